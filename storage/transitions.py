"""The commit protocol: every change to a mutable aggregate is claimed by inserting its
next version into one append-only log, and only then projected onto the live document.

Why: FerretDB 1.24 applies a conditional `update_one({_id, version})` by reading the
document, updating it in Go and writing it back without re-checking the filter, so two
writers can both "win" the same version (measured on SQLite and PostgreSQL). Inserting a
duplicate `_id` fails for all but one writer on every server. So:

- `transitions._id = "{aggregate}:{id}:{version:010d}"`: whoever inserts it has won that
  version; a second writer gets `ConcurrentWrite` before it has changed anything.
- The entry holds the new state (the projection as of that version), who made it, when,
  under which request, the change of record (Art. 6(1), Art. 10, Art. 20) and the hash of
  the previous entry, so the log is also a history, a change feed and a hash chain.
- The live document is written after the claim, guarded by its version, and idempotent.
  A writer that stopped between claim and projection leaves the log ahead of the live
  document; `current` (used by every write path) and `repair` (a sweep) project it.
- A dossier's change of record also goes to the change feed (`storage/change_feed.py`),
  after the claim and before the projection, by the same paths: the writer, `current`,
  and the sweep, which also appends what no projection repair reached.
- Sequences (temporary student numbers) are claimed the same way, one version per number.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from bson import decode, encode
from bson.codec_options import CodecOptions
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from domain.ports import ConcurrentWrite, Stamp
from storage.bulk import insert_unordered
from storage.change_feed import AGGREGATE as FEED_AGGREGATE
from storage.change_feed import ChangeFeed, feeds
from storage.mongo import Collections, Doc
from storage.placement import SchoolPlacement
from storage.sequences import raise_hint, read_hint

MAX_SEQUENCE_ATTEMPTS = 200
UPDATE_ATTEMPTS = 50


def entry_id(aggregate: str, aggregate_id: str, version: int) -> str:
    return f"{aggregate}:{aggregate_id}:{version:010d}"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not hashable into the log")


_AS_STORED: CodecOptions[Doc] = CodecOptions(tz_aware=True)


def entry_hash(entry: Doc) -> str:
    """SHA-256 over the canonical JSON of an entry without its own hash, taken after a BSON
    round trip (milliseconds, UTC), so that anyone can recompute it from the stored entry."""
    body = decode(encode({k: v for k, v in entry.items() if k != "hash"}), _AS_STORED)
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()


def new_entry(
    aggregate: str,
    state: Doc,
    *,
    version: int,
    prev_hash: str | None,
    stamp: Stamp,
    action: str,
    change: Doc | None = None,
) -> Doc:
    """The log entry that claims `version` of `state["_id"]`, with its hash: what `commit`
    inserts, and what a bulk import inserts many at a time."""
    aggregate_id = state["_id"]
    entry: Doc = {
        "_id": entry_id(aggregate, aggregate_id, version),
        "aggregate": aggregate,
        "aggregate_id": aggregate_id,
        "version": version,
        "at": stamp.at,
        "day": stamp.at.date().isoformat(),  # equality bucket for sweeps and feeds
        "actor": stamp.actor,
        "request_id": stamp.request_id,
        "action": action,
        "change": change,
        "state": {k: v for k, v in state.items() if k not in ("_id", "version", "log_hash")},
        "prev_hash": prev_hash,
    }
    entry["hash"] = entry_hash(entry)
    return entry


def projection_of(entry: Doc) -> Doc:
    """The live document as of a log entry."""
    return {"_id": entry["aggregate_id"], **entry["state"], "version": entry["version"], "log_hash": entry["hash"]}


class TransitionLog:
    """Claims versions of aggregates and keeps their projections (one per collection)."""

    def __init__(self, collections: Collections, placement: SchoolPlacement | None = None) -> None:
        self._log = collections.transitions
        self._hints = collections.counters
        self.feed = ChangeFeed(collections, placement or SchoolPlacement(collections))

    async def commit(
        self,
        aggregate: str,
        projection: AsyncCollection[Doc],
        state: Doc,
        *,
        expected: int,
        prev_hash: str | None,
        stamp: Stamp,
        action: str,
        change: Doc | None = None,
        previous: Doc | None = None,
    ) -> Doc:
        """Claim version `expected + 1` of `state["_id"]` and project it. Raises
        ConcurrentWrite, having changed nothing, when another writer claimed it first.
        `previous` is the state it follows, when the caller has it (for the change feed)."""
        entry = new_entry(
            aggregate, state, version=expected + 1, prev_hash=prev_hash, stamp=stamp, action=action, change=change
        )
        try:
            await self._log.insert_one(entry)
        except DuplicateKeyError:
            if not await self._is_ours(entry):
                raise ConcurrentWrite(aggregate, entry["aggregate_id"], entry["version"]) from None
        await self._feed(entry, previous)
        return await self._project(projection, entry)

    async def _is_ours(self, entry: Doc) -> bool:
        """Whether the entry refused as a duplicate is the one this call wrote: an insert that
        reached the log but whose answer was lost (a driver's retried write, a server that
        retried its own statement) is a win, not a conflict. The hash covers the whole entry
        (state, actor, request id, time), so another writer's entry never matches."""
        stored = await self._log.find_one({"_id": entry["_id"]}, {"hash": 1})
        return stored is not None and stored.get("hash") == entry["hash"]

    async def create_many(
        self,
        aggregate: str,
        projection: AsyncCollection[Doc],
        states: Sequence[Doc],
        *,
        stamp: Stamp,
        action: str,
        changes: Sequence[Doc | None],
    ) -> None:
        """Claim version 1 of many new aggregates in one round trip and project them (a
        list import). Raises ConcurrentWrite when another writer claimed any of them
        first, after projecting the ones claimed here."""
        entries = [
            new_entry(aggregate, state, version=1, prev_hash=None, stamp=stamp, action=action, change=change)
            for state, change in zip(states, changes, strict=True)
        ]
        lost = await insert_unordered(self._log, entries)
        won = [e for i, e in enumerate(entries) if i not in lost]
        taken = await insert_unordered(projection, [projection_of(e) for e in won])
        for i in sorted(taken):  # a live document without a log (seeded): the log's version wins
            await self._project(projection, won[i])
        if lost:
            first = entries[min(lost)]
            raise ConcurrentWrite(aggregate, first["aggregate_id"], 1)

    async def _feed(self, entry: Doc, previous: Doc | None) -> bool:
        """Append a claimed change of record to the change feed (before it is projected, so
        that a projected version is always in the feed). True when this call appended it."""
        if not feeds(entry):
            return False
        if previous is None and entry["version"] > 1:
            before = await self._log.find_one({"_id": entry_id(entry["aggregate"], entry["aggregate_id"], entry["version"] - 1)})
            previous = before["state"] if before else None
        return await self.feed.append(entry, previous)

    async def _project(self, projection: AsyncCollection[Doc], entry: Doc) -> Doc:
        doc = projection_of(entry)
        if entry["version"] == 1:
            try:
                await projection.insert_one(doc)
                return doc
            except DuplicateKeyError:
                pass  # projected already (by a repair), or a document that predates the log
        # Never move a projection backwards: only an older version is replaced.
        await projection.replace_one({"_id": doc["_id"], "version": {"$not": {"$gte": entry["version"]}}}, doc)
        return doc

    async def update(
        self,
        aggregate: str,
        projection: AsyncCollection[Doc],
        aggregate_id: Any,
        change: Callable[[Doc], Doc | None],
        *,
        stamp: Stamp,
        action: str,
        record: Callable[[Doc, Doc], Doc | None] | None = None,
        attempts: int = UPDATE_ATTEMPTS,
    ) -> Doc | None:
        """Read the current state, change it and claim the next version; when another
        writer claims it first, read again and re-apply (for changes that set a value, where
        the last one wins and every one is logged). None when there is nothing to change or
        nothing to change it on. `change` returns the new state, or None for no change;
        `record` gives the change of record from the states before and after."""
        for attempt in range(attempts):
            doc = await self.current(aggregate, projection, await projection.find_one({"_id": aggregate_id}), aggregate_id)
            if doc is None:
                return None
            state = change(dict(doc))
            if state is None:
                return doc
            try:
                return await self.commit(
                    aggregate, projection, state, expected=int(doc.get("version", 0)), prev_hash=doc.get("log_hash"),
                    stamp=stamp, action=action, change=record(doc, state) if record else None,
                )
            except ConcurrentWrite:
                await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # let the winner project first
        raise ConcurrentWrite(aggregate, str(aggregate_id), 0)

    async def current(self, aggregate: str, projection: AsyncCollection[Doc], doc: Doc | None, aggregate_id: str) -> Doc | None:
        """The projection brought up to the log: entries claimed after `doc`'s version (a
        writer that stopped after its claim) are projected first. One `_id` read when the
        projection is current."""
        version = int(doc.get("version", 0)) if doc else 0
        latest: Doc | None = None
        while True:
            following = await self._log.find_one({"_id": entry_id(aggregate, aggregate_id, version + 1)})
            if following is None:
                break
            await self._feed(following, latest["state"] if latest else doc)
            latest, version = following, version + 1
        if latest is None:
            return doc
        return await self._project(projection, latest)

    async def entries(self, aggregate: str, aggregate_id: str, upto: int) -> list[Doc]:
        """The logged versions 1..`upto` of one aggregate, oldest first: one `_id` lookup
        each, all at once. FerretDB evaluates other filters on this table by reading all of
        it (its SQL uses no secondary index), so a history read would grow with every
        change anyone ever made; by `_id` it stays the size of this aggregate's history."""
        found = await asyncio.gather(*(self._log.find_one({"_id": entry_id(aggregate, aggregate_id, v)}) for v in range(1, upto + 1)))
        return [d for d in found if d is not None]

    async def entries_of(self, aggregate: str, aggregate_ids: list[str]) -> list[Doc]:
        """Every logged version of several aggregates, in one query (`$in`, which FerretDB
        filters in Go: it reads every version of that aggregate kind)."""
        if not aggregate_ids:
            return []
        return await self._log.find({"aggregate_id": {"$in": aggregate_ids}, "aggregate": aggregate}).to_list()

    async def repair(self, aggregate: str, projection: AsyncCollection[Doc], ids: Iterable[str]) -> int:
        """Project every listed aggregate whose live document lags its log; the count."""
        repaired = 0
        for aggregate_id in ids:
            doc = await projection.find_one({"_id": aggregate_id})
            after = await self.current(aggregate, projection, doc, aggregate_id)
            if after is not None and (doc is None or after.get("version") != doc.get("version")):
                repaired += 1
        return repaired

    async def fill_feed(self, day: date) -> int:
        """Append to the change feed every change of record claimed on a day (UTC) that is
        not in it: a writer stopped after its claim and nothing has read or written the
        dossier since. Oldest version first; idempotent. The number appended."""
        claimed = await self._log.find(
            {"aggregate": FEED_AGGREGATE, "day": day.isoformat()}, {"aggregate_id": 1, "version": 1, "change": 1}
        ).to_list()
        fed = await self.feed.ids_on(day)
        missing = sorted((c for c in claimed if c.get("change") and c["_id"] not in fed), key=lambda c: (c["aggregate_id"], c["version"]))
        appended = 0
        for claim in missing:
            entry = await self._log.find_one({"_id": claim["_id"]})
            if entry is not None and await self._feed(entry, None):
                appended += 1
        return appended

    async def ids_changed_on(self, aggregate: str, day: date) -> list[str]:
        """Aggregates with a version claimed on a day (UTC), for the repair sweep."""
        docs = await self._log.find({"aggregate": aggregate, "day": day.isoformat()}, {"aggregate_id": 1}).to_list()
        return sorted({d["aggregate_id"] for d in docs})

    async def claim_next(self, sequence: str, stamp: Stamp) -> int:
        """The next number of a sequence, claimed by insert: unique under any concurrency.
        The `counters` document is only a hint of where to start (it may lag)."""
        candidate = await read_hint(self._hints, sequence) + 1
        for _ in range(MAX_SEQUENCE_ATTEMPTS):
            try:
                await self._log.insert_one(
                    {
                        "_id": entry_id("sequence", sequence, candidate),
                        "aggregate": "sequence",
                        "aggregate_id": sequence,
                        "version": candidate,
                        "at": stamp.at,
                        "actor": stamp.actor,
                        "request_id": stamp.request_id,
                        "action": "CLAIMED",
                    }
                )
            except DuplicateKeyError:
                candidate += 1
                continue
            await raise_hint(self._hints, sequence, candidate)
            return candidate
        raise ConcurrentWrite("sequence", sequence, candidate)


# Each aggregate kind and the collection that holds its projection.
PROJECTIONS = {
    "student": "students",
    "case": "cases",
    "correction": "corrections",
    "document": "documents",
    "account": "accounts",
    "school": "schools",
    "area": "areas",
    "calendar": "calendar_years",
    "reverification": "reverifications",
    "reverification_school": "reverification_schools",
    "archive_handover": "archive_handovers",
    "export_request": "export_requests",
    "school_handover": "school_handovers",
}


async def repair_projections(collections: Collections, days: Iterable[date]) -> int:
    """Project every aggregate changed on these days whose live document lags its log (a
    writer that stopped between claim and projection and was not followed by another
    write), and append to the change feed every dossier change of those days it lacks.
    Idempotent; the count of projections and feed entries brought up to date."""
    log = TransitionLog(collections)
    repaired = 0
    days = list(days)
    for aggregate, collection in PROJECTIONS.items():
        projection: AsyncCollection[Doc] = getattr(collections, collection)
        for day in days:
            repaired += await log.repair(aggregate, projection, await log.ids_changed_on(aggregate, day))
    for day in days:
        repaired += await log.fill_feed(day)
    return repaired
