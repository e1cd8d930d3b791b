"""Workflow cases, the working-calendar override table, and reminders.

A case document carries what its inboxes query: `awaiting` (the school or department the
current step waits for), `escalated_to`, `school_codes` (both schools, for scope) and
`due`. Decisions are appended under a version guard; parameters are stored as JSON text
(dates as ISO strings)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from domain.calendar import YearSchedule, check_override
from domain.ports import CaseFilter, Page, Reminder
from domain.workflows.definitions import DEFINITIONS
from domain.workflows.engine import Case, CaseEvent, CaseKind, CaseState, active_steps
from storage.mongo import Collections, Doc
from storage.pages import keyset

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


class CaseRepository:
    def __init__(self, collections: Collections) -> None:
        self._c = collections.cases
        self._reminders = collections.reminders

    async def insert(self, case: Case) -> None:
        await self._c.insert_one(case_to_doc(case))

    async def get(self, case_id: str) -> Case | None:
        doc = await self._c.find_one({"_id": case_id})
        return case_from_doc(doc) if doc else None

    async def exists(self, case_id: str) -> bool:
        return await self._c.count_documents({"_id": case_id}, limit=1) > 0

    async def replace(self, before: Case, after: Case) -> bool:
        doc = case_to_doc(after)
        doc.pop("_id")
        doc["version"] = before.version + 1
        result = await self._c.update_one({"_id": before.id, "version": before.version}, {"$set": doc})
        return result.modified_count == 1

    async def for_dossier(self, dossier_id: str) -> list[Case]:
        docs = await self._c.find({"dossier_id": dossier_id}).sort("opened_at", 1).to_list()
        return [case_from_doc(d) for d in docs]

    async def overdue(self, today: date) -> list[Case]:
        docs = await self._c.find({"state": "OPEN", "escalated_to": None, "due": {"$lt": _dt(today)}}).to_list()
        return [case_from_doc(d) for d in docs]

    async def page(self, school_codes: Sequence[str] | None, f: CaseFilter, *, after: str | None, first: int) -> Page[Case]:
        conditions: list[Doc] = []
        if school_codes is not None:
            conditions.append({"school_codes": {"$in": list(school_codes)}})
        if f.kind is not None:
            conditions.append({"kind": f.kind.value})
        if f.state is not None:
            conditions.append({"state": f.state.value})
        if f.school_code is not None:
            conditions.append({"school_codes": f.school_code})
        if f.overdue_on is not None:
            conditions += [{"state": "OPEN"}, {"due": {"$lt": _dt(f.overdue_on)}}]
        if f.awaiting_codes is not None:
            conditions.append({"$or": [{"awaiting": {"$in": list(f.awaiting_codes)}}, {"escalated_to": {"$in": list(f.awaiting_codes)}}]})
            conditions.append({"state": "OPEN"})
        if f.number is not None:
            conditions.append({"number": f.number})
        query: Doc = {"$and": conditions} if conditions else {}
        total = await self._c.count_documents(query)
        page_query = keyset(query, after)
        docs = await self._c.find(page_query).sort("_id", 1).limit(first + 1).to_list()
        cases = [case_from_doc(d) for d in docs[:first]]
        return Page(cases, [c.id for c in cases], len(docs) > first, total)

    async def remind(self, reminder: Reminder) -> bool:
        """Record a reminder once (keyed), True when it is new."""
        result = await self._reminders.update_one(
            {"_id": reminder.id}, {"$setOnInsert": {**reminder.__dict__, "due": _dt(reminder.due)}}, upsert=True
        )
        return result.upserted_id is not None

    async def reminders(self, school_codes: Sequence[str] | None) -> list[Reminder]:
        query: Doc = {} if school_codes is None else {"school_code": {"$in": list(school_codes)}}
        docs = await self._reminders.find(query).sort("due", 1).to_list()
        return [Reminder(**{**{k: v for k, v in d.items() if k != "_id"}, "id": d["_id"], "due": d["due"].date()}) for d in docs]


class CalendarRepository:
    def __init__(self, collections: Collections) -> None:
        self._c = collections.calendar_years

    async def overrides(self) -> list[YearSchedule]:
        docs = await self._c.find({}).to_list()
        return [
            check_override(d["_id"], (x.date() for x in d.get("days_off", [])), (x.date() for x in d.get("workdays", [])))
            for d in docs
        ]

    async def save(self, schedule: YearSchedule, by: str) -> None:
        await self._c.update_one(
            {"_id": schedule.year},
            {
                "$set": {
                    "days_off": [_dt(d) for d in sorted(schedule.days_off)],
                    "workdays": [_dt(d) for d in sorted(schedule.workdays)],
                    "updated_by": by,
                    "updated_at": datetime.now(UTC),
                }
            },
            upsert=True,
        )
