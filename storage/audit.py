"""The audit trail: append-only. This repository has no update and no delete. Each event
carries the scope tokens of its school, so an auditor's view is one equality filter."""

from __future__ import annotations

from bson import ObjectId

from storage.mongo import Collections, Doc
from storage.placement import SchoolPlacement
from domain.ports import AuditEvent, Page


class AuditRepository:
    def __init__(self, collections: Collections, placement: SchoolPlacement) -> None:
        self._c = collections.audit
        self._placement = placement

    async def append(self, event: AuditEvent) -> None:
        doc = {k: v for k, v in event.__dict__.items() if k != "id"}
        doc["scope_keys"] = await self._placement.tokens([event.school_code])
        await self._c.insert_one(doc)

    async def page(
        self,
        *,
        scope_key: str | None,
        actor: str | None,
        target_type: str | None,
        target_id: str | None,
        after: str | None,
        first: int,
    ) -> Page[AuditEvent]:
        """Newest first. `scope_key=None` means every event."""
        query: Doc = {}
        if scope_key is not None:
            query["scope_keys"] = scope_key
        if actor:
            query["actor"] = actor
        if target_type:
            query["target_type"] = target_type
        if target_id:
            query["target_id"] = target_id
        total = await self._c.count_documents(query) if query else await self._c.estimated_document_count()
        page_query: Doc = query if after is None else {**query, "_id": {"$lt": ObjectId(after)}}
        docs = await self._c.find(page_query).sort("_id", -1).limit(first + 1).to_list()
        events = [
            AuditEvent(**{k: v for k, v in d.items() if k in _FIELDS}, id=str(d["_id"])) for d in docs[:first]
        ]
        return Page(events, [e.id or "" for e in events], len(docs) > first, total)


_FIELDS = frozenset(AuditEvent.__dataclass_fields__) - {"id"}
