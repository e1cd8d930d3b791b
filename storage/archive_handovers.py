"""Archive handovers after a transfer (Art. 18, 19), one aggregate of the transition log
each, keyed by the transfer case's id: opening claims version 1, so a completion that is
retried or runs twice at once opens exactly one. Every later change claims the next
version. A handover carries the scope tokens of both schools (`scope_keys`), so every
list is one equality; the sender's electronic copy is the dossier's version the transfer
wrote, read from the dossier's log by `_id`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from domain.archive_handovers import ArchiveHandover, ArchivePart, HandoverEvent, HandoverState, PaperCopy
from domain.dossier import Dossier
from domain.ports import ConcurrentWrite, Page, Stamp
from storage.mongo import Collections, Doc
from storage.placement import SchoolPlacement
from storage.students import AGGREGATE as DOSSIER
from storage.students import dossier_from_doc
from storage.transitions import TransitionLog, entry_id, projection_of

AGGREGATE = "archive_handover"


def _dt(d: date) -> datetime:
    return datetime.combine(d, time(), UTC)


def handover_to_doc(h: ArchiveHandover) -> Doc:
    return {
        "_id": h.id,
        "case_id": h.case_id,
        "dossier_id": h.dossier_id,
        "number": h.number,
        "sending_school_code": h.sending_school_code,
        "sending_supervisor_code": h.sending_supervisor_code,
        "receiving_school_code": h.receiving_school_code,
        "receiving_supervisor_code": h.receiving_supervisor_code,
        "transferred_at": h.transferred_at,
        "transfer_date": _dt(h.transfer_date),
        "dossier_version": h.dossier_version,
        "due": _dt(h.due),
        "due_provisional": h.due_provisional,
        "state": h.state.value,
        "sent": [p.value for p in h.sent],
        "handed_over_at": h.handed_over_at,
        "handed_over_by": h.handed_over_by,
        "handover_note": h.handover_note,
        "received_at": h.received_at,
        "received_by": h.received_by,
        "paper_copies": [{"item": c.item, "location": c.location} for c in h.paper_copies],
        "escalated_to": h.escalated_to,
        "events": [dict(e.__dict__) for e in h.events],
    }


def handover_from_doc(d: Doc) -> ArchiveHandover:
    return ArchiveHandover(
        id=d["_id"],
        case_id=d["case_id"],
        dossier_id=d["dossier_id"],
        number=d["number"],
        sending_school_code=d["sending_school_code"],
        sending_supervisor_code=d["sending_supervisor_code"],
        receiving_school_code=d["receiving_school_code"],
        receiving_supervisor_code=d["receiving_supervisor_code"],
        transferred_at=d["transferred_at"],
        transfer_date=d["transfer_date"].date(),
        dossier_version=int(d["dossier_version"]),
        due=d["due"].date(),
        due_provisional=bool(d.get("due_provisional")),
        state=HandoverState(d["state"]),
        sent=tuple(ArchivePart(p) for p in d.get("sent", [])),
        handed_over_at=d.get("handed_over_at"),
        handed_over_by=d.get("handed_over_by"),
        handover_note=d.get("handover_note"),
        received_at=d.get("received_at"),
        received_by=d.get("received_by"),
        paper_copies=tuple(PaperCopy(c["item"], c["location"]) for c in d.get("paper_copies", [])),
        escalated_to=d.get("escalated_to"),
        events=tuple(HandoverEvent(**e) for e in d.get("events", [])),
        version=int(d.get("version", 1)),
    )


class ArchiveHandoverRepository:
    def __init__(self, collections: Collections, log: TransitionLog, placement: SchoolPlacement) -> None:
        self._handovers = collections.archive_handovers
        self._students = collections.students
        self._log_entries = collections.transitions
        self._log = log
        self._placement = placement

    async def _doc(self, h: ArchiveHandover) -> Doc:
        tokens = await self._placement.tokens([h.sending_school_code, h.receiving_school_code])
        return {**handover_to_doc(h), "scope_keys": tokens}

    async def open(self, h: ArchiveHandover, stamp: Stamp) -> bool:
        """Claim version 1; False when the handover exists already (the stored one is kept)."""
        try:
            await self._log.commit(AGGREGATE, self._handovers, await self._doc(h), expected=0, prev_hash=None, stamp=stamp, action="OPENED")
        except ConcurrentWrite:
            await self.get(h.id)  # project what the winner claimed, if it stopped
            return False
        return True

    async def get(self, handover_id: str) -> ArchiveHandover | None:
        doc = await self._log.current(AGGREGATE, self._handovers, await self._handovers.find_one({"_id": handover_id}), handover_id)
        return handover_from_doc(doc) if doc else None

    async def replace(self, before: ArchiveHandover, after: ArchiveHandover, stamp: Stamp, *, action: str) -> None:
        """Claim the version after `before`; ConcurrentWrite, changing nothing, when another
        writer claimed it first."""
        stored = await self._handovers.find_one({"_id": before.id}, {"log_hash": 1, "version": 1})
        prev_hash = stored.get("log_hash") if stored and stored.get("version") == before.version else None
        try:
            await self._log.commit(
                AGGREGATE, self._handovers, await self._doc(after), expected=before.version, prev_hash=prev_hash,
                stamp=stamp, action=action,
            )
        except ConcurrentWrite:
            await self.get(before.id)
            raise

    async def page(self, scope_key: str | None, state: HandoverState | None, *, after: str | None, first: int) -> Page[ArchiveHandover]:
        query: Doc = {"scope_keys": scope_key} if scope_key is not None else {}
        if state is not None:
            query["state"] = state.value
        total = await self._handovers.count_documents(query)
        page_query = {**query, "_id": {"$gt": after}} if after is not None else query
        docs = await self._handovers.find(page_query).sort("_id", 1).limit(first + 1).to_list()
        items = [handover_from_doc(d) for d in docs[:first]]
        return Page(items, [h.id for h in items], len(docs) > first, total)

    async def overdue(self, today: date) -> list[ArchiveHandover]:
        """Open handovers past their deadline not escalated yet (the daily job)."""
        query = {"state": HandoverState.OPEN.value, "escalated_to": None, "due": {"$lt": _dt(today)}}
        return [handover_from_doc(d) for d in await self._handovers.find(query).to_list()]

    async def due_between(self, scope_key: str, start: date, end: date) -> list[ArchiveHandover]:
        """Handovers seen through a scope token whose deadline falls in [start, end]."""
        query = {"scope_keys": scope_key, "due": {"$gte": _dt(start), "$lt": _dt(end + timedelta(days=1))}}
        return [handover_from_doc(d) for d in await self._handovers.find(query).sort("due", 1).to_list()]

    # -- the dossier's version the transfer wrote (Art. 19: the sender's copy) --------------
    async def transfer_version(self, dossier_id: str, case_id: str) -> tuple[int, datetime] | None:
        """The version of the dossier whose status change the case made, and when it was
        recorded; None when the case changed nothing on it (yet)."""
        live = await self._students.find_one({"_id": dossier_id}, {"version": 1})
        if live is None:
            return None
        entries = await self._log.entries(DOSSIER, dossier_id, int(live.get("version", 0)))
        made = [e for e in entries if (e.get("change") or {}).get("business_id") == case_id]
        return (int(made[-1]["version"]), made[-1]["at"]) if made else None

    async def dossier_at(self, dossier_id: str, version: int) -> Dossier | None:
        """One logged version of a dossier, by its log entry's `_id`."""
        entry = await self._log_entries.find_one({"_id": entry_id(DOSSIER, dossier_id, version)})
        return dossier_from_doc(projection_of(entry)) if entry else None
