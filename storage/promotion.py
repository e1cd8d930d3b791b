"""Year-end plans and their runs (Art. 17; `domain/promotion.py`).

- `promotion_items`: one document per move of a plan (`_id` "<plan>:<dossier>"), written
  before the plan, so a plan that exists always has all its moves; `promotion_plans`: the
  plan (scope, date, counts per school and grade, exceptions, fingerprint).
- `promotion_events`: the confirmation ("<plan>:confirmed") and the end of the run
  ("<plan>:finished"), each inserted once.
- `promotion_outcomes`: one per student the run has dealt with (`_id` "<plan>:<dossier>"):
  moved, or stale (the dossier changed since the plan). The progress is their count.

How a student is moved exactly once, without transactions: the plan names the dossier
version `v` it was made on, and the run claims version `v + 1` in the transition log
(`student:<id>:<v+1>`, the one commit protocol), tagged with the plan (`job`). Whoever
inserts it has moved the student; a second run (a re-run after a kill, or two at once) is
refused by `_id`, sees its own plan on the refused entry, and only completes what may be
missing: the feed entry (refused again when there) and the projection (guarded by
version). A dossier changed since the plan has a `v + 1` of someone else, or a projection
past `v` not made by this plan (`year_end_plan`): it is reported stale and not moved.

Bulk: a school's dossiers are read with one equality query; log entries, feed entries,
projections and outcomes are written `batch` at a time, one round trip each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time

from pymongo import ReplaceOne
from pymongo.errors import DuplicateKeyError

from domain.access import area_field
from domain.ports import Change, Page, Stamp, StudentRow
from domain.promotion import (
    Excepted,
    ExceptionReason,
    GroupCount,
    Move,
    MoveKind,
    YearEndPlan,
    apply_move,
    move_changes,
)
from domain.dossier import Dossier, StudentState
from storage.bulk import insert_unordered
from storage.mongo import Collections, Doc
from storage.students import AGGREGATE, StudentRepository, change_to_doc, dossier_from_doc, row_of
from storage.transitions import TransitionLog, entry_hash, new_entry, projection_of

MOVED, STALE = "MOVED", "STALE"
# Replacements per `update` command. FerretDB 1.24 keeps a PostgreSQL connection of its pool
# for every statement of an update command until the command ends, and waits for a free
# one for the next: a command of more statements than its pool holds (about 50) never
# returns, and every later request to that FerretDB waits behind it (measured: a school of
# more than 50 students hung the server).
UPDATE_CHUNK = 16
ACTIONS = {MoveKind.PROMOTE: "STATUS:YEAR_END_PROMOTION", MoveKind.GRADUATE: "STATUS:YEAR_END_GRADUATION"}


def _dt(d: date) -> datetime:
    return datetime.combine(d, time(), UTC)


def _move_doc(plan_id: str, m: Move) -> Doc:
    return {
        "_id": f"{plan_id}:{m.dossier_id}",
        "plan_id": plan_id,
        "dossier_id": m.dossier_id,
        "number": m.number,
        "school_code": m.school_code,
        "version": m.version,
        "kind": m.kind.value,
        "grade": m.grade,
        "class_name": m.class_name,
        "to_grade": m.to_grade,
        "to_class_name": m.to_class_name,
    }


def _move_of(d: Doc) -> Move:
    return Move(
        d["dossier_id"], d["number"], d["school_code"], d["version"], MoveKind(d["kind"]), d["grade"], d["class_name"],
        d["to_grade"], d["to_class_name"],
    )


def _plan_doc(p: YearEndPlan) -> Doc:
    return {
        "_id": p.id,
        "made_by": p.made_by,
        "made_at": p.made_at,
        "effective_date": _dt(p.effective_date),
        "school_codes": list(p.school_codes),
        "grades": list(p.grades),
        "groups": [g.__dict__ for g in p.groups],
        "exceptions": [{**x.__dict__, "reason": x.reason.value} for x in p.exceptions],
        "fingerprint": p.fingerprint,
        "moves": p.total,
    }


def _plan_of(d: Doc, moves: tuple[Move, ...] = ()) -> YearEndPlan:
    return YearEndPlan(
        id=d["_id"],
        made_by=d["made_by"],
        made_at=d["made_at"],
        effective_date=d["effective_date"].date(),
        school_codes=tuple(d["school_codes"]),
        grades=tuple(d["grades"]),
        groups=tuple(GroupCount(**g) for g in d["groups"]),
        exceptions=tuple(Excepted(**{**x, "reason": ExceptionReason(x["reason"])}) for x in d["exceptions"]),
        fingerprint=d["fingerprint"],
        moves=moves,
    )


class PromotionRepository:
    def __init__(self, collections: Collections, log: TransitionLog, students: StudentRepository) -> None:
        self._plans = collections.promotion_plans
        self._items = collections.promotion_items
        self._events = collections.promotion_events
        self._outcomes = collections.promotion_outcomes
        self._students = collections.students
        self._log_entries = collections.transitions
        self._log = log
        self._repo = students

    # -- plans ---------------------------------------------------------------------------
    async def school_dossiers(self, school_code: str) -> list[Dossier]:
        """Every dossier the school holds, in any state (one equality query)."""
        return [dossier_from_doc(d) async for d in self._students.find({"school_code": school_code})]

    async def save(self, plan: YearEndPlan, *, batch: int = 1000) -> None:
        docs = [_move_doc(plan.id, m) for m in plan.moves]
        for start in range(0, len(docs), batch):
            await insert_unordered(self._items, docs[start : start + batch])
        await self._plans.insert_one(_plan_doc(plan))

    async def plan(self, plan_id: str, *, with_moves: bool = False) -> YearEndPlan | None:
        doc = await self._plans.find_one({"_id": plan_id})
        if doc is None:
            return None
        moves: tuple[Move, ...] = ()
        if with_moves:
            found = [_move_of(d) async for d in self._items.find({"plan_id": plan_id})]
            moves = tuple(sorted(found, key=lambda m: (m.school_code, m.dossier_id)))
        return _plan_of(doc, moves)

    # -- the run's events ------------------------------------------------------------------
    async def _event(self, plan_id: str, name: str, stamp: Stamp, details: Doc | None = None) -> bool:
        try:
            await self._events.insert_one(
                {"_id": f"{plan_id}:{name}", "plan_id": plan_id, "event": name, "by": stamp.actor, "at": stamp.at, **(details or {})}
            )
        except DuplicateKeyError:
            return False
        return True

    async def confirm(self, plan_id: str, stamp: Stamp) -> bool:
        """Record the confirmation; False when the plan was confirmed before."""
        return await self._event(plan_id, "confirmed", stamp)

    async def finish(self, plan_id: str, stamp: Stamp) -> bool:
        return await self._event(plan_id, "finished", stamp)

    async def events(self, plan_id: str) -> dict[str, tuple[str, datetime]]:
        """Event name → (who, when)."""
        return {d["event"]: (d["by"], d["at"]) async for d in self._events.find({"plan_id": plan_id})}

    async def unfinished(self) -> dict[str, str]:
        """Plan id → who confirmed it, of every confirmed plan whose job has not finished."""
        finished = {d["plan_id"] async for d in self._events.find({"event": "finished"})}
        return {d["plan_id"]: d["by"] async for d in self._events.find({"event": "confirmed"}) if d["plan_id"] not in finished}

    async def outcomes(self, plan_id: str) -> dict[str, tuple[str, str]]:
        """Dossier id → (number, MOVED or STALE), for every student the run has dealt with."""
        return {d["dossier_id"]: (d["number"], d["outcome"]) async for d in self._outcomes.find({"plan_id": plan_id})}

    # -- the run -----------------------------------------------------------------------------
    async def apply(self, plan: YearEndPlan, moves: Sequence[Move], stamp: Stamp, *, batch: int = 500) -> None:
        """Carry out moves of one school, `batch` at a time, each exactly once (see above)."""
        if not moves:
            return
        held = {d["_id"]: d async for d in self._students.find({"school_code": moves[0].school_code})}
        for start in range(0, len(moves), batch):
            await self._apply_batch(plan, moves[start : start + batch], held, stamp)

    async def _apply_batch(self, plan: YearEndPlan, moves: Sequence[Move], held: dict[str, Doc], stamp: Stamp) -> None:
        outcomes: dict[str, str] = {}
        claims: list[tuple[Move, Doc]] = []
        for m in moves:
            doc = held.get(m.dossier_id)
            if doc is None or int(doc.get("version", 0)) != m.version:
                done = doc is not None and doc.get("year_end_plan") == plan.id
                outcomes[m.dossier_id] = MOVED if done else STALE
                continue
            claims.append((m, await self._entry(plan, m, doc, stamp)))
        refused = await insert_unordered(self._log_entries, [e for _, e in claims])
        if refused:
            ids = [claims[i][1]["_id"] for i in refused]
            stored = {d["_id"]: d async for d in self._log_entries.find({"_id": {"$in": ids}})}
            for i in sorted(refused):
                m, entry = claims[i]
                found = stored.get(entry["_id"])
                if found is not None and found.get("job") == plan.id:
                    claims[i] = (m, found)  # claimed by an earlier run of this plan
                else:
                    outcomes[m.dossier_id] = STALE  # someone else's version: changed since the plan
        won = [(m, e) for m, e in claims if m.dossier_id not in outcomes]
        await self._log.feed.append_many([e for _, e in won])  # before the projections, as in `commit`
        replacements = [ReplaceOne({"_id": e["aggregate_id"], "version": {"$not": {"$gte": e["version"]}}}, projection_of(e)) for _, e in won]
        for start in range(0, len(replacements), UPDATE_CHUNK):
            await self._students.bulk_write(replacements[start : start + UPDATE_CHUNK], ordered=False)
        outcomes.update({m.dossier_id: MOVED for m, _ in won})
        number = {m.dossier_id: m.number for m in moves}
        await insert_unordered(
            self._outcomes,
            [
                {"_id": f"{plan.id}:{dossier_id}", "plan_id": plan.id, "dossier_id": dossier_id, "number": number[dossier_id], "outcome": outcome}
                for dossier_id, outcome in outcomes.items()
            ],
        )

    async def _entry(self, plan: YearEndPlan, m: Move, doc: Doc, stamp: Stamp) -> Doc:
        before = dossier_from_doc(doc)
        after = apply_move(before, m, plan.id, plan.effective_date)
        state = await self._repo.stored_form(replace(after, version=m.version + 1))
        change = Change(ACTIONS[m.kind], move_changes(m, plan.effective_date), reason=f"year-end plan {plan.id} (Art. 17)", business_id=plan.id)
        entry = new_entry(
            AGGREGATE, state, version=m.version + 1, prev_hash=doc.get("log_hash"), stamp=stamp, action=change.action,
            change=change_to_doc(change),
        )
        entry["job"] = plan.id  # set by the run only: a client's request id cannot pass for it
        entry["hash"] = entry_hash(entry)
        return entry

    # -- progression ---------------------------------------------------------------------------
    async def unplaced(self, area_code: str, today: date, *, after: str | None, first: int) -> Page[StudentRow]:
        """Primary graduates of schools in the area whose placement fell due before today."""
        query: Doc = {
            area_field(area_code): area_code,
            "state": StudentState.GRADUATED.value,
            "placement_due": {"$lt": _dt(today)},
        }
        total = await self._students.count_documents(query)
        page_query = {**query, "_id": {"$gt": after}} if after is not None else query
        docs = await self._students.find(page_query).sort("_id", 1).limit(first + 1).to_list()
        rows = [row_of(d) for d in docs[:first]]
        return Page(rows, [r.dossier.id for r in rows], len(docs) > first, total)
