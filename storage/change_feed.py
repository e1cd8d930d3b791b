"""The change feed of dossiers (Art. 20, R-D5; its rules in `domain/changes.py`): one entry
per change of record, in one total order, that a department's sync reads page by page.

How it is kept, without transactions:

- Order. Every entry takes the next number of one global sequence, `seq`, claimed by
  inserting the entry itself under a unique index on `seq` (as the audit chains claim
  theirs). A writer tries `n + 1` only after seeing `n` taken (by the `counters` hint,
  written after an insert, or by a duplicate-key refusal, which both servers give only for
  a committed entry), so the sequence has no gaps, and once `n + 1` is visible every entry
  before it is. A reader fixes a head `H` before it reads and reads its scope's entries up
  to `H` only: the hint (only ever set to a number taken), and when the page is not full by
  then, the head probed past it (`H + 1`, … until absent; a hint may lag). Nothing can
  appear later at or below `H`, so no page skips or repeats an entry, whatever is written
  meanwhile.
- Exactly once. The entry's `_id` is the id of the transition-log entry whose change it
  records (`student:{id}:{version}`). The log claim is the change; the feed entry is
  appended after it and before the projection, by the writer or by whoever finds the claim
  unprojected (`TransitionLog.current`, on every read and write of the dossier), and the
  daily sweep (`repair_projections`) appends what a stopped writer left without one. A
  second append of the same change is refused by `_id`. A projection is written only after
  its feed entry, and every write brings the projection up to the log first, so a
  dossier's versions enter the feed in version order.
- Scope. `scope_keys` holds the scope tokens (`domain.access.school_tokens`) of the school
  that held and the school that hosted (Art. 12) the student just before and just after
  the change. A page is one equality on `scope_keys` and a range of the sequence.

One global sequence rather than one per scope: a change belongs to five to fifteen scopes
(the school, its supervisor, county, city and province, before and after it), so per-scope
sequences would claim and store every change that many times, and the province's sequence
would still take every change; with one sequence a change is one insert, and every
scope's feed is a subsequence of one total order.

Query cost. On MongoDB a page is an index range on (scope_keys, block, seq) or
(scope_keys, seq). FerretDB 1.24 filters only equalities in SQL, sorts and limits in Go and
uses no index, so a range `seq > n` decodes every entry of the scope, on every page (64 s a
page for a province of 200,000 changes, measured). So each entry also carries `block`
(`seq` // 256) and a page reads its scope block by block, by equality, decoding at most a
block; a scope that proves sparse in a block (fewer than 8 of its 256 entries) reads the
rest with one range query, which decodes only that scope's entries. Every query is still a
scan of the whole table there, so reading the whole feed grows with the square of its size."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import date

from pymongo.errors import BulkWriteError, DuplicateKeyError

from domain.ports import ChangePage, DossierChange
from storage.bulk import DUPLICATE_KEY
from storage.dossier_changes import history_entry
from storage.mongo import Collections, Doc
from storage.placement import SchoolPlacement
from storage.sequences import raise_hint, read_hint

AGGREGATE = "student"
BLOCK = 256
SPARSE = 8  # fewer of a scope's entries than this in a whole block: read the rest by range
HEAD = "change-feed"  # the sequence's hint in `counters`
# Documents per ordered insert in a bulk append. FerretDB 1.24 inserts up to 100 documents
# (its batch size) as one transaction and, past a refused one, goes on with the next
# hundred: an ordered insert of more would leave numbers free below taken ones.
CHUNK = 100


def feeds(entry: Doc) -> bool:
    """A transition-log entry recording a change of record to a dossier. Versions that only
    take or release the dossier's business lock record none and are not in the feed."""
    return entry.get("aggregate") == AGGREGATE and bool(entry.get("change"))


def _change(doc: Doc) -> DossierChange:
    return DossierChange(
        seq=int(doc["seq"]),
        dossier_id=doc["dossier_id"],
        version=int(doc["version"]),
        number=doc["number"],
        school_code=doc["school_code"],
        entry=history_entry(doc["dossier_id"], doc["at"], doc["actor"], doc["change"]),
    )


class ChangeFeed:
    def __init__(self, collections: Collections, placement: SchoolPlacement) -> None:
        self._c = collections.changes
        self._hints = collections.counters
        self._placement = placement

    async def _doc(self, entry: Doc, previous: Doc | None) -> Doc:
        """The feed entry of a log entry; `previous` is the dossier's state before it."""
        state, before = entry["state"], previous or {}
        schools = [
            before.get("school_code"),
            before.get("attending_school_code"),
            state["school_code"],
            state.get("attending_school_code"),
        ]
        return {
            "_id": entry["_id"],
            "dossier_id": entry["aggregate_id"],
            "version": entry["version"],
            "number": state["number"],
            "school_code": state["school_code"],
            "scope_keys": await self._placement.tokens(schools),
            "at": entry["at"],
            "day": entry["day"],
            "actor": entry["actor"],
            "change": entry["change"],
        }

    # -- appending --------------------------------------------------------------------
    async def append(self, entry: Doc, previous: Doc | None) -> bool:
        """Append the change a log entry records (see `feeds`), at the next number of the
        sequence. False when it is in the feed already (appended by someone else)."""
        doc = await self._doc(entry, previous)
        seq = await read_hint(self._hints, HEAD) + 1
        while True:
            doc.update(seq=seq, block=seq // BLOCK)
            try:
                await self._c.insert_one(doc)
            except DuplicateKeyError:
                following = await self._after_refusal(doc["_id"], seq)
                if following is None:
                    return False
                seq = following
                continue
            await raise_hint(self._hints, HEAD, seq)
            return True

    async def _after_refusal(self, entry_id: str, seq: int) -> int | None:
        """An insert at `seq` was refused, for its number or for its `_id`: None when the
        entry is in the feed already, else the next number to try. The hint says which
        without reading this table (one scan of it on FerretDB) when the number is taken."""
        await asyncio.sleep(random.uniform(0, 0.002))  # the winner raises the hint right after its insert
        hint = await read_hint(self._hints, HEAD)
        if hint >= seq:
            return hint + 1
        if await self._c.find_one({"_id": entry_id}, {"_id": 1}) is not None:
            return None
        return seq + 1

    async def append_many(self, entries: Sequence[Doc]) -> int:
        """Append the changes of many first versions (a bulk import) at consecutive numbers,
        `CHUNK` at a time as ordered inserts: those before a refused one are in, and the
        refused one is either in the feed already (dropped) or lost its number to another
        writer (tried again after it). The number appended."""
        pending = [await self._doc(e, None) for e in entries if feeds(e)]
        appended = 0
        start = await read_hint(self._hints, HEAD) + 1
        while pending:
            chunk = pending[:CHUNK]
            for i, doc in enumerate(chunk):
                doc.update(seq=start + i, block=(start + i) // BLOCK)
            try:
                await self._c.insert_many(chunk, ordered=True)
            except BulkWriteError as e:
                errors = e.details.get("writeErrors", [])
                stopped = int(errors[0]["index"]) if errors else -1
                if len(errors) != 1 or errors[0].get("code") != DUPLICATE_KEY or e.details.get("nInserted") != stopped:
                    raise RuntimeError(f"an ordered insert did not stop at its first refusal: {e.details}") from e
                appended += stopped
                if stopped:
                    await raise_hint(self._hints, HEAD, start + stopped - 1)
                following = await self._after_refusal(chunk[stopped]["_id"], start + stopped)
                if following is None:
                    pending, start = pending[stopped + 1 :], start + stopped
                else:
                    pending, start = pending[stopped:], following
                continue
            appended += len(chunk)
            await raise_hint(self._hints, HEAD, start + len(chunk) - 1)
            pending, start = pending[len(chunk) :], start + len(chunk)
        return appended

    async def ids_on(self, day: date) -> set[str]:
        """The log entry ids of the changes in the feed that were claimed on a day (UTC)."""
        return {d["_id"] for d in await self._c.find({"day": day.isoformat()}, {"_id": 1}).to_list()}

    # -- reading ----------------------------------------------------------------------
    async def head(self, known: int = 0) -> int:
        """The newest number taken: every entry up to it is visible from now on. From the
        hint (or `known`), probing past it, since the hint may lag."""
        seq = max(known, await read_hint(self._hints, HEAD))
        while await self._c.find_one({"seq": seq + 1}, {"_id": 1}) is not None:
            seq += 1
        return seq

    async def _read(self, query: Doc, limit: int) -> list[Doc]:
        return await self._c.find(query).sort("seq", 1).limit(limit).to_list()

    async def page(self, scope_key: str, *, after: int, first: int) -> ChangePage:
        """The first `first` changes in scope after position `after`, oldest first. Read up
        to the hint, which only ever names a visible number; past it (a stale hint must not
        hide the newest changes) only when the page is not full by then, after probing."""
        found: list[Doc] = []
        head = await read_hint(self._hints, HEAD)
        position = await self._walk(scope_key, after, head, found, first)
        if len(found) <= first and position >= head:
            newest = await self.head(head)
            if newest > head:
                head = newest
                position = await self._walk(scope_key, position, head, found, first)
        if len(found) > first:
            shown = found[:first]
            return ChangePage([_change(d) for d in shown], int(shown[-1]["seq"]), True)
        return ChangePage([_change(d) for d in found], max(position, after), position < head)

    async def _walk(self, scope_key: str, position: int, head: int, found: list[Doc], first: int) -> int:
        """Add to `found` the scope's entries after `position` up to `head`, oldest first,
        until it holds `first + 1`: block by block, or by one range once the scope proves
        sparse. Where the reading stopped (everything in scope up to it is in `found`)."""
        scope: Doc = {"scope_keys": scope_key}
        while position < head and len(found) <= first:
            block = (position + 1) // BLOCK
            end = min((block + 1) * BLOCK - 1, head)
            wanted = first + 1 - len(found)
            docs = await self._read({**scope, "block": block, "seq": {"$gt": position, "$lte": end}}, wanted)
            found += docs
            if len(docs) == wanted:
                return position  # full: the page ends at its last entry
            sparse = end - position >= BLOCK // 2 and len(docs) < SPARSE
            position = end
            if sparse and position < head:
                wanted = first + 1 - len(found)
                docs = await self._read({**scope, "seq": {"$gt": position, "$lte": head}}, wanted)
                found += docs
                return head if len(docs) < wanted else position
        return position
