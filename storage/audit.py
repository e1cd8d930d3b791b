"""The audit trail: append-only. This repository has no update and no delete."""

from __future__ import annotations

from bson import ObjectId

from storage.mongo import Collections, Doc
from domain.ports import AuditEvent, Page


class AuditRepository:
    def __init__(self, collections: Collections) -> None:
        self._c = collections.audit

    async def append(self, event: AuditEvent) -> None:
        doc = {k: v for k, v in event.__dict__.items() if k != "id"}
        await self._c.insert_one(doc)

    async def page(
        self,
        *,
        school_codes: list[str] | None,
        actor: str | None,
        target_type: str | None,
        target_id: str | None,
        after: str | None,
        first: int,
    ) -> Page[AuditEvent]:
        """Newest first. `school_codes=None` means every event."""
        conditions: list[Doc] = []
        if school_codes is not None:
            conditions.append({"school_code": {"$in": school_codes}})
        if actor:
            conditions.append({"actor": actor})
        if target_type:
            conditions.append({"target_type": target_type})
        if target_id:
            conditions.append({"target_id": target_id})
        query: Doc = {"$and": conditions} if conditions else {}
        total = await self._c.count_documents(query)
        page_query: Doc = query
        if after is not None:
            page_query = {"$and": [*conditions, {"_id": {"$lt": ObjectId(after)}}]}
        docs = await self._c.find(page_query).sort("_id", -1).limit(first + 1).to_list()
        events = [
            AuditEvent(**{k: v for k, v in d.items() if k != "_id"}, id=str(d["_id"])) for d in docs[:first]
        ]
        return Page(events, [e.id or "" for e in events], len(docs) > first, total)
