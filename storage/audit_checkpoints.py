"""Signed chain heads of the audit trail, archived under COMPLIANCE retention in the
object store (`audit-checkpoints/<day>/<shard>/<seq>.json`) and indexed in
`audit_checkpoints`; and the export an outside auditor verifies (`./scripts/audit`)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bson import json_util
from bson.json_util import JSONOptions, JSONMode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pymongo.errors import DuplicateKeyError

from domain.audit_chain import SHARDS, Checkpoint, sign_head
from domain.evidence import PERMANENT
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, Doc

EXPORT_OPTIONS = JSONOptions(json_mode=JSONMode.RELAXED, tz_aware=True, tzinfo=UTC)
PREFIX = "audit-checkpoints"


async def _chain(collections: Collections, chain: str) -> list[Doc]:
    docs = await collections.audit.find({"chain": chain}).to_list()
    return sorted(docs, key=lambda d: int(d["seq"]))


async def checkpoint(
    collections: Collections, archive: EvidenceArchive, key: Ed25519PrivateKey, days: Iterable[date], *, now: datetime | None = None
) -> list[Checkpoint]:
    """Sign the head of every chain of these days that grew since its last checkpoint and
    archive it under lock. Idempotent: a head already signed is not signed again."""
    now = now or datetime.now(UTC)
    made: list[Checkpoint] = []
    for day in days:
        for shard in range(SHARDS):
            chain = f"{day.isoformat()}/{shard}"
            events = await _chain(collections, chain)
            if not events:
                continue
            head = events[-1]
            signed = sign_head(key, chain, int(head["seq"]), str(head["hash"]), now)
            try:
                await collections.audit_checkpoints.insert_one({"_id": f"{chain}:{signed.seq:010d}", **signed.as_dict()})
            except DuplicateKeyError:
                continue  # this head is signed already
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "checkpoint.json"
                path.write_bytes(json.dumps(signed.as_dict(), sort_keys=True).encode())
                await archive.put_locked(
                    f"{PREFIX}/{chain}/{signed.seq:010d}.json", path, path.stat().st_size, "application/json",
                    PERMANENT.mode.value, now + PERMANENT.period,
                )
            made.append(signed)
    return made


async def stored_checkpoints(archive: EvidenceArchive) -> list[Checkpoint]:
    """The checkpoints as archived in the object store (what an auditor is given)."""
    return [Checkpoint.of(json.loads(body)) for body in await archive.read_prefix(f"{PREFIX}/")]


async def export_events(collections: Collections) -> AsyncIterator[str]:
    """Every chained event as one line of relaxed Extended JSON, chain by chain."""
    chains = sorted(str(c) for c in await collections.audit.distinct("chain") if c)
    for chain in chains:
        for event in await _chain(collections, chain):
            yield json_util.dumps(event, json_options=EXPORT_OPTIONS, ensure_ascii=False)


def load_events(lines: Iterable[str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for line in lines:
        if line.strip():
            event = json_util.loads(line, json_options=EXPORT_OPTIONS)
            event["_id"] = str(event.get("_id"))
            events.append(event)
    return events
