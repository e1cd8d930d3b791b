"""The audit trail: append-only. This repository has no update and no delete. Each event
carries the scope tokens of its school, so an auditor's view is one equality filter, and
its place in a hash chain (`domain/audit_chain.py`): the next number of one of the day's
chains, claimed by the unique index on (chain, seq), and the hash of the event before it.
`audit_heads` only hints where each chain ends; the unique index decides."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bson import ObjectId, decode, encode
from bson.codec_options import CodecOptions
from pymongo.errors import DuplicateKeyError

from domain.audit_chain import SHARDS, chain_of, event_hash
from storage.mongo import Collections, Doc
from storage.placement import SchoolPlacement
from domain.ports import AuditEvent, Page

_AS_STORED: CodecOptions[Doc] = CodecOptions(tz_aware=True)
MAX_CLAIMS = 1000


def _millis(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(microsecond=at.microsecond // 1000 * 1000)


class AuditRepository:
    def __init__(self, collections: Collections, placement: SchoolPlacement) -> None:
        self._c = collections.audit
        self._heads = collections.audit_heads
        self._placement = placement

    async def append(self, event: AuditEvent) -> None:
        doc: Doc = {k: v for k, v in event.__dict__.items() if k != "id"}
        doc["at"] = _millis(event.at)
        doc["scope_keys"] = await self._placement.tokens([event.school_code])
        chain = chain_of(doc["at"], random.randrange(SHARDS))
        head = await self._heads.find_one({"_id": chain})
        seq, previous = (int(head["seq"]), head["hash"]) if head else (0, None)
        for _ in range(MAX_CLAIMS):
            doc.update(chain=chain, seq=seq + 1, prev_hash=previous)
            doc.pop("_id", None)
            doc["hash"] = event_hash(decode(encode(doc), _AS_STORED))
            try:
                await self._c.insert_one(doc)
            except DuplicateKeyError:
                # Someone took this number: link after their event instead.
                taken = await self._c.find_one({"chain": chain, "seq": seq + 1}, {"hash": 1})
                if taken is None:  # the duplicate was not (chain, seq): a real error
                    raise
                seq, previous = seq + 1, taken["hash"]
                continue
            try:  # a hint only: a stale one costs the next writer a few steps, never a fork
                await self._heads.replace_one({"_id": chain}, {"seq": seq + 1, "hash": doc["hash"]}, upsert=True)
            except DuplicateKeyError:
                await self._heads.replace_one({"_id": chain}, {"seq": seq + 1, "hash": doc["hash"]})
            return
        raise RuntimeError(f"audit chain {chain}: no free number after {MAX_CLAIMS} attempts")

    async def chain(self, chain: str) -> list[Doc]:
        """Every event of one chain, in order (for export and checkpoints)."""
        docs = await self._c.find({"chain": chain}).to_list()
        return sorted(docs, key=lambda d: int(d["seq"]))

    async def chains_of(self, day: str) -> list[str]:
        """The chains a day has (those with a head)."""
        return [f"{day}/{shard}" for shard in range(SHARDS) if await self._heads.find_one({"_id": f"{day}/{shard}"})]

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
