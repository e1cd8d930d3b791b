"""Workflow cases, the working-calendar override table, and reminders.

A case document carries what its inboxes query: `awaiting` (the school or department the
current step waits for), `escalated_to`, both in `inbox_keys`; `scope_keys` (the scope
tokens of both schools) and `due`. Every change claims the case's next version in the
transition log (`storage/transitions.py`); parameters are stored as JSON text (dates as
ISO strings)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from pymongo.errors import DuplicateKeyError

from domain.access import NO_TOKEN
from domain.calendar import YearSchedule, check_override
from domain.ports import CaseFilter, ConcurrentWrite, Page, Reminder, Stamp
from domain.workflows.definitions import DEFINITIONS
from domain.workflows.engine import Case, CaseEvent, CaseKind, CaseState, active_steps
from storage.mongo import Collections, Doc
from storage.placement import SchoolPlacement
from storage.transitions import TransitionLog

_DATE_KEYS = ("fromDate", "untilDate", "informedOn")


def _dt(d: date | None) -> datetime | None:
    return datetime.combine(d, time(), UTC) if d is not None else None


def _params_to_json(params: dict[str, Any]) -> str:
    return json.dumps({k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items()}, ensure_ascii=False)


def _params_from_json(text: str) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(text)
    return {k: (date.fromisoformat(v) if k in _DATE_KEYS and isinstance(v, str) else v) for k, v in raw.items()}


def awaiting(case: Case) -> str | None:
    if case.state is not CaseState.OPEN:
        return None
    step = active_steps(DEFINITIONS[case.kind], case.grounds, case.params)[case.step]
    return case.parties.get(step.party.value)


def case_to_doc(case: Case) -> Doc:
    return {
        "_id": case.id,
        "kind": case.kind.value,
        "dossier_id": case.dossier_id,
        "number": case.number,
        "parties": dict(case.parties),
        "school_codes": sorted({v for k, v in case.parties.items() if k.endswith("_SCHOOL")}),
        "grounds": case.grounds,
        "params_json": _params_to_json(case.params),
        "warnings": list(case.warnings),
        "state": case.state.value,
        "step": case.step,
        "step_started": _dt(case.step_started),
        "due": _dt(case.due),
        "provisional": case.provisional,
        "awaiting": awaiting(case),
        "escalated_to": case.escalated_to,
        "opened_by": case.opened_by,
        "opened_at": case.opened_at,
        "events": [
            {**e.__dict__, "evidence": list(e.evidence)} for e in case.events
        ],
        "evidence": list(case.evidence),
        "version": case.version,
        "effects_applied": case.effects_applied,
    }


def case_from_doc(d: Doc) -> Case:
    return Case(
        id=d["_id"],
        kind=CaseKind(d["kind"]),
        dossier_id=d["dossier_id"],
        number=d["number"],
        parties=dict(d["parties"]),
        grounds=d.get("grounds"),
        params=_params_from_json(d["params_json"]),
        warnings=tuple(d.get("warnings", [])),
        state=CaseState(d["state"]),
        step=d["step"],
        step_started=d["step_started"].date(),
        due=d["due"].date() if d.get("due") else None,
        provisional=bool(d.get("provisional")),
        opened_by=d["opened_by"],
        opened_at=d["opened_at"],
        events=tuple(CaseEvent(**{**e, "evidence": tuple(e.get("evidence", []))}) for e in d.get("events", [])),
        escalated_to=d.get("escalated_to"),
        evidence=tuple(d.get("evidence", [])),
        version=d.get("version", 1),
        effects_applied=d.get("effects_applied", 0),
    )


def _school_codes(case: Case) -> list[str]:
    return sorted({v for k, v in case.parties.items() if k.endswith("_SCHOOL")})


class CaseRepository:
    def __init__(self, collections: Collections, log: TransitionLog, placement: SchoolPlacement) -> None:
        self._c = collections.cases
        self._reminders = collections.reminders
        self._log = log
        self._placement = placement

    async def _doc(self, case: Case) -> Doc:
        doc = case_to_doc(case)
        doc["scope_keys"] = await self._placement.tokens(_school_codes(case))
        doc["inbox_keys"] = [k for k in (doc["awaiting"], doc["escalated_to"]) if k]
        return doc

    async def insert(self, case: Case, stamp: Stamp) -> None:
        await self._log.commit("case", self._c, await self._doc(case), expected=0, prev_hash=None, stamp=stamp, action="OPENED")

    async def get(self, case_id: str) -> Case | None:
        doc = await self._log.current("case", self._c, await self._c.find_one({"_id": case_id}), case_id)
        return case_from_doc(doc) if doc else None

    async def exists(self, case_id: str) -> bool:
        return await self._c.count_documents({"_id": case_id}, limit=1) > 0

    async def replace(self, before: Case, after: Case, stamp: Stamp) -> bool:
        """Claim the case's next version; False when another decision claimed it first."""
        stored = await self._c.find_one({"_id": before.id}, {"log_hash": 1, "version": 1})
        prev_hash = stored.get("log_hash") if stored and stored.get("version") == before.version else None
        action = after.events[-1].action if len(after.events) > len(before.events) else "UPDATED"
        try:
            await self._log.commit(
                "case", self._c, await self._doc(after), expected=before.version, prev_hash=prev_hash, stamp=stamp, action=str(action)
            )
        except ConcurrentWrite:
            await self.get(before.id)  # project what the winner claimed, if it stopped
            return False
        return True

    async def for_dossier(self, dossier_id: str) -> list[Case]:
        docs = await self._c.find({"dossier_id": dossier_id}).sort("opened_at", 1).to_list()
        return [case_from_doc(d) for d in docs]

    async def overdue(self, today: date) -> list[Case]:
        docs = await self._c.find({"state": "OPEN", "escalated_to": None, "due": {"$lt": _dt(today)}}).to_list()
        return [case_from_doc(d) for d in docs]

    async def page(self, scope_key: str | None, f: CaseFilter, *, after: str | None, first: int) -> Page[Case]:
        """Equality on top-level scalar fields and array elements only (see students)."""
        query: Doc = {}
        if scope_key is not None:
            query["scope_keys"] = scope_key
        if f.kind is not None:
            query["kind"] = f.kind.value
        if f.state is not None:
            query["state"] = f.state.value
        if f.school_code is not None:
            query["school_codes"] = f.school_code
        if f.overdue_on is not None:
            query["state"] = "OPEN" if f.state in (None, CaseState.OPEN) else NO_TOKEN
            query["due"] = {"$lt": _dt(f.overdue_on)}
        if f.awaiting_codes is not None:
            # The caller's inbox: steps waiting for its code, or escalated to it.
            (code,) = f.awaiting_codes or (NO_TOKEN,)
            query["inbox_keys"] = code
            query["state"] = "OPEN" if f.state in (None, CaseState.OPEN) else NO_TOKEN
        if f.number is not None:
            query["number"] = f.number
        total = await self._c.count_documents(query)
        page_query = {**query, "_id": {"$gt": after}} if after is not None else query
        docs = await self._c.find(page_query).sort("_id", 1).limit(first + 1).to_list()
        cases = [case_from_doc(d) for d in docs[:first]]
        return Page(cases, [c.id for c in cases], len(docs) > first, total)

    async def remind(self, reminder: Reminder) -> bool:
        """Record a reminder once (claimed by its key), True when it is new."""
        doc = {**reminder.__dict__, "_id": reminder.id, "due": _dt(reminder.due)}
        doc.pop("id")
        doc["scope_keys"] = await self._placement.tokens([reminder.school_code])
        try:
            await self._reminders.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def reminders(self, scope_key: str | None) -> list[Reminder]:
        query: Doc = {} if scope_key is None else {"scope_keys": scope_key}
        docs = await self._reminders.find(query).sort("due", 1).to_list()
        fields = Reminder.__dataclass_fields__
        return [Reminder(**{**{k: v for k, v in d.items() if k in fields}, "id": d["_id"], "due": d["due"].date()}) for d in docs]


class CalendarRepository:
    def __init__(self, collections: Collections, log: TransitionLog) -> None:
        self._c = collections.calendar_years
        self._log = log

    async def overrides(self) -> list[YearSchedule]:
        docs = await self._c.find({}).to_list()
        return [
            check_override(d["_id"], (x.date() for x in d.get("days_off", [])), (x.date() for x in d.get("workdays", [])))
            for d in docs
        ]

    async def save(self, schedule: YearSchedule, stamp: Stamp) -> None:
        """A new version of the year's schedule, claimed in the log (the last one wins, and
        every earlier one stays in the log)."""
        state: Doc = {
            "_id": schedule.year,
            "days_off": [_dt(d) for d in sorted(schedule.days_off)],
            "workdays": [_dt(d) for d in sorted(schedule.workdays)],
            "updated_by": stamp.actor,
            "updated_at": stamp.at,
        }
        if await self._c.find_one({"_id": schedule.year}) is None:
            try:
                await self._log.commit("calendar", self._c, state, expected=0, prev_hash=None, stamp=stamp, action="SCHEDULE_SET")
                return
            except ConcurrentWrite:
                pass  # set by someone else meanwhile: this one becomes the next version
        await self._log.update("calendar", self._c, schedule.year, lambda d: state, stamp=stamp, action="SCHEDULE_SET")
