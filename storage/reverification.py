"""Term re-verification (复核, Art. 23): campaigns (`reverifications`, aggregate
"reverification") and their schools' results (`reverification_schools`, aggregate
"reverification_school"), each the projection of its transition log.

A campaign's `_id` is "<term>:<department>", so opening it twice claims the same version 1
and one opener wins. A result holds its discrepancies, so a school's confirmation, the
department's decision, a raised or resolved discrepancy and an escalation all claim the
result's next version and never cross. The version a school's confirmation claims carries
the confirmed roster (dossier, number, version, state) as its change of record.

Results carry the scope tokens of their school (`scope_keys`) and the day after which they
are next escalated (`escalates_after`); campaigns the area codes
their department lies in (`area_keys`) and their schools (`school_codes`). The roster is
read from `students` with equality filters, one query per roster state."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from domain.access import SchoolScope, scope_token
from domain.dossier import StudentState
from domain.identity import Sex
from domain.jurisdiction import area_lineage
from domain.ports import ConcurrentWrite, Page, Stamp, StudentRow
from domain.reverification.campaigns import ROSTER_STATES, next_escalation
from domain.reverification.records import (
    Campaign,
    CampaignState,
    Discrepancy,
    DiscrepancyKind,
    DiscrepancyState,
    DossierField,
    FollowUpKind,
    ReportedChild,
    Resolution,
    ResultEvent,
    ResultState,
    RosterEntry,
    SchoolResult,
)
from storage.mongo import Collections, Doc
from storage.placement import SchoolPlacement
from storage.students import dossier_from_doc, id_doc_from_doc, id_doc_to_doc
from storage.transitions import TransitionLog

CAMPAIGN, RESULT = "reverification", "reverification_school"


def _dt(d: date | None) -> datetime | None:
    return datetime.combine(d, time(), UTC) if d is not None else None


def _d(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def campaign_to_doc(c: Campaign) -> Doc:
    return {
        "_id": c.id,
        "term_code": c.term_code,
        "department_code": c.department_code,
        "area_keys": area_lineage(c.department_code),
        "school_codes": list(c.school_codes),
        "schools_due": _dt(c.schools_due),
        "department_due": _dt(c.department_due),
        "state": c.state.value,
        "opened_by": c.opened_by,
        "opened_at": c.opened_at,
        "closed_by": c.closed_by,
        "closed_at": c.closed_at,
        "close_note": c.close_note,
    }


def campaign_from_doc(d: Doc) -> Campaign:
    schools_due, department_due = _d(d["schools_due"]), _d(d["department_due"])
    assert schools_due is not None and department_due is not None
    return Campaign(
        id=d["_id"],
        term_code=d["term_code"],
        department_code=d["department_code"],
        school_codes=tuple(d.get("school_codes", [])),
        schools_due=schools_due,
        department_due=department_due,
        state=CampaignState(d["state"]),
        opened_by=d["opened_by"],
        opened_at=d["opened_at"],
        closed_by=d.get("closed_by"),
        closed_at=d.get("closed_at"),
        close_note=d.get("close_note"),
        version=d.get("version", 1),
    )


def _child_to_doc(c: ReportedChild | None) -> Doc | None:
    if c is None:
        return None
    return {
        "name": c.name,
        "sex": c.sex.value,
        "birth_date": _dt(c.birth_date),
        "id_document": id_doc_to_doc(c.id_document),
        "enrolled_at": c.enrolled_at,
    }


def _child_from_doc(d: Doc | None) -> ReportedChild | None:
    if d is None:
        return None
    return ReportedChild(
        name=d["name"],
        sex=Sex(d["sex"]),
        birth_date=d["birth_date"].date(),
        id_document=id_doc_from_doc(d.get("id_document")),
        enrolled_at=d.get("enrolled_at"),
    )


def _resolution_to_doc(r: Resolution | None) -> Doc | None:
    if r is None:
        return None
    return {
        "state": r.state.value,
        "by": r.by,
        "role": r.role,
        "at": r.at,
        "business_kind": r.business_kind.value if r.business_kind else None,
        "business_id": r.business_id,
        "business_version": r.business_version,
        "reason": r.reason,
    }


def _resolution_from_doc(d: Doc | None) -> Resolution | None:
    if d is None:
        return None
    return Resolution(
        state=DiscrepancyState(d["state"]),
        by=d["by"],
        role=d["role"],
        at=d["at"],
        business_kind=FollowUpKind(d["business_kind"]) if d.get("business_kind") else None,
        business_id=d.get("business_id"),
        business_version=d.get("business_version"),
        reason=d.get("reason"),
    )


def discrepancy_to_doc(x: Discrepancy) -> Doc:
    return {
        "id": x.id,
        "kind": x.kind.value,
        "state": x.state.value,  # for readers of the log; derived from the resolution
        "raised_by": x.raised_by,
        "raised_at": x.raised_at,
        "dossier_id": x.dossier_id,
        "number": x.number,
        "field": x.field.value if x.field else None,
        "recorded_value": x.recorded_value,
        "correct_value": x.correct_value,
        "child": _child_to_doc(x.child),
        "note": x.note,
        "resolution": _resolution_to_doc(x.resolution),
    }


def discrepancy_from_doc(d: Doc) -> Discrepancy:
    return Discrepancy(
        id=d["id"],
        kind=DiscrepancyKind(d["kind"]),
        raised_by=d["raised_by"],
        raised_at=d["raised_at"],
        dossier_id=d.get("dossier_id"),
        number=d.get("number"),
        field=DossierField(d["field"]) if d.get("field") else None,
        recorded_value=d.get("recorded_value"),
        correct_value=d.get("correct_value"),
        child=_child_from_doc(d.get("child")),
        note=d.get("note"),
        resolution=_resolution_from_doc(d.get("resolution")),
    )


def result_to_doc(r: SchoolResult) -> Doc:
    return {
        "_id": r.id,
        "campaign_id": r.campaign_id,
        "term_code": r.term_code,
        "school_code": r.school_code,
        "department_code": r.department_code,
        "state": r.state.value,
        "due": _dt(r.due),
        "department_due": _dt(r.department_due),
        "escalated_to": r.escalated_to,
        "closed": r.closed,
        "roster_size": r.roster_size,
        "roster_digest": r.roster_digest,
        "discrepancies": [discrepancy_to_doc(x) for x in r.discrepancies],
        "events": [dict(e.__dict__) for e in r.events],
    }


def result_from_doc(d: Doc) -> SchoolResult:
    return SchoolResult(
        id=d["_id"],
        campaign_id=d["campaign_id"],
        term_code=d["term_code"],
        school_code=d["school_code"],
        department_code=d["department_code"],
        state=ResultState(d["state"]),
        due=_d(d.get("due")),
        department_due=_d(d.get("department_due")),
        escalated_to=d.get("escalated_to"),
        closed=bool(d.get("closed")),
        roster_size=d.get("roster_size"),
        roster_digest=d.get("roster_digest"),
        discrepancies=tuple(discrepancy_from_doc(x) for x in d.get("discrepancies", [])),
        events=tuple(ResultEvent(**e) for e in d.get("events", [])),
        version=d.get("version", 1),
    )


def _roster_record(roster: Sequence[RosterEntry]) -> Doc | None:
    if not roster:
        return None
    return {
        "roster": [
            {"dossier_id": r.dossier_id, "number": r.number, "version": r.version, "state": r.state.value}
            for r in sorted(roster, key=lambda r: r.dossier_id)
        ]
    }


class ReverificationRepository:
    def __init__(self, collections: Collections, log: TransitionLog, placement: SchoolPlacement) -> None:
        self._campaigns = collections.reverifications
        self._results = collections.reverification_schools
        self._students = collections.students
        self._log = log
        self._placement = placement

    # -- campaigns ----------------------------------------------------------------------
    async def open(self, campaign: Campaign, stamp: Stamp) -> bool:
        try:
            await self._log.commit(
                CAMPAIGN, self._campaigns, campaign_to_doc(campaign), expected=0, prev_hash=None, stamp=stamp, action="OPENED"
            )
        except ConcurrentWrite:
            await self.campaign(campaign.id)  # project what the winner claimed, if it stopped
            return False
        return True

    async def campaign(self, campaign_id: str) -> Campaign | None:
        doc = await self._log.current(CAMPAIGN, self._campaigns, await self._campaigns.find_one({"_id": campaign_id}), campaign_id)
        return campaign_from_doc(doc) if doc else None

    async def campaigns(
        self, *, within: str | None, school_code: str | None, term_code: str | None, after: str | None, first: int
    ) -> Page[Campaign]:
        query: Doc = {"area_keys": within} if within is not None else {"school_codes": school_code}
        if term_code is not None:
            query["term_code"] = term_code
        total = await self._campaigns.count_documents(query)
        page_query = {**query, "_id": {"$gt": after}} if after is not None else query
        docs = await self._campaigns.find(page_query).sort("_id", 1).limit(first + 1).to_list()
        items = [campaign_from_doc(d) for d in docs[:first]]
        return Page(items, [c.id for c in items], len(docs) > first, total)

    async def open_campaigns(self) -> list[Campaign]:
        return [campaign_from_doc(d) for d in await self._campaigns.find({"state": CampaignState.OPEN.value}).to_list()]

    async def replace_campaign(self, before: Campaign, after: Campaign, stamp: Stamp, *, action: str) -> None:
        await self._commit(CAMPAIGN, self._campaigns, before.id, before.version, campaign_to_doc(after), stamp, action, None)

    # -- results ------------------------------------------------------------------------
    async def _result_doc(self, r: SchoolResult) -> Doc:
        """The stored result, with its school's scope tokens and the day after which the
        daily job next escalates it (`next_escalation`), for its one range query."""
        upcoming = next_escalation(r)
        return {
            **result_to_doc(r),
            "scope_keys": await self._placement.tokens([r.school_code]),
            "escalates_after": _dt(upcoming[0]) if upcoming else None,
        }

    async def add_results(self, results: Sequence[SchoolResult], stamp: Stamp) -> int:
        added = 0
        for r in results:
            if await self.result(r.id) is not None:
                continue
            try:
                await self._log.commit(RESULT, self._results, await self._result_doc(r), expected=0, prev_hash=None, stamp=stamp, action="OPENED")
                added += 1
            except ConcurrentWrite:
                pass  # added meanwhile by another request (the same campaign's results)
        return added

    async def result(self, result_id: str) -> SchoolResult | None:
        doc = await self._log.current(RESULT, self._results, await self._results.find_one({"_id": result_id}), result_id)
        return result_from_doc(doc) if doc else None

    async def results(self, campaign_id: str) -> list[SchoolResult]:
        docs = await self._results.find({"campaign_id": campaign_id}).sort("_id", 1).to_list()
        return [result_from_doc(d) for d in docs]

    async def replace_result(
        self, before: SchoolResult, after: SchoolResult, stamp: Stamp, *, action: str, roster: Sequence[RosterEntry] = ()
    ) -> None:
        doc = await self._result_doc(after)
        await self._commit(RESULT, self._results, before.id, before.version, doc, stamp, action, _roster_record(roster))

    async def _commit(
        self,
        aggregate: str,
        projection: AsyncCollection[Doc],
        aggregate_id: str,
        version: int,
        state: Doc,
        stamp: Stamp,
        action: str,
        change: Doc | None,
    ) -> None:
        """Claim the version after `version`; ConcurrentWrite, changing nothing, when another
        writer claimed it first (its claim is projected, should it have stopped)."""
        stored = await projection.find_one({"_id": aggregate_id}, {"log_hash": 1, "version": 1})
        prev_hash = stored.get("log_hash") if stored and stored.get("version") == version else None
        try:
            await self._log.commit(aggregate, projection, state, expected=version, prev_hash=prev_hash, stamp=stamp, action=action, change=change)
        except ConcurrentWrite:
            await self._log.current(aggregate, projection, await projection.find_one({"_id": aggregate_id}), aggregate_id)
            raise

    async def overdue_results(self, today: date) -> list[SchoolResult]:
        docs = await self._results.find({"escalates_after": {"$lt": _dt(today)}}).to_list()
        return [result_from_doc(d) for d in docs]

    async def escalated_to(self, code: str, *, after: str | None, first: int) -> Page[SchoolResult]:
        query: Doc = {"escalated_to": code}
        total = await self._results.count_documents(query)
        page_query = {**query, "_id": {"$gt": after}} if after is not None else query
        docs = await self._results.find(page_query).sort("_id", 1).limit(first + 1).to_list()
        items = [result_from_doc(d) for d in docs[:first]]
        return Page(items, [r.id for r in items], len(docs) > first, total)

    # -- the roster ---------------------------------------------------------------------
    async def roster(self, school_code: str) -> list[RosterEntry]:
        fields = {"number": 1, "version": 1, "state": 1}
        found = await asyncio.gather(
            *(self._students.find({"school_code": school_code, "state": s.value}, fields).to_list() for s in ROSTER_STATES)
        )
        return [
            RosterEntry(d["_id"], d["number"], int(d.get("version", 1)), StudentState(d["state"]))
            for docs in found
            for d in docs
        ]

    async def roster_page(
        self, school_code: str, *, grade: int | None, class_name: str | None, after: str | None, first: int
    ) -> Page[StudentRow]:
        """One page of the roster in `_id` order: the next page of each roster state,
        merged (equality filters only, each served by the scope index). FerretDB reads every
        document matching the equalities for each page, so a grade or a class keeps a big
        school's pages small."""
        token = scope_token(SchoolScope(False, (("code", frozenset({school_code})),)))
        narrow: Doc = {k: v for k, v in (("grade", grade), ("class_name", class_name)) if v is not None}
        queries: list[Doc] = [
            {"scope_keys": token, "school_code": school_code, **narrow, "state": s.value} for s in ROSTER_STATES
        ]
        after_filter: dict[str, Any] = {"_id": {"$gt": after}} if after is not None else {}
        pages, totals = await asyncio.gather(
            asyncio.gather(*(self._students.find({**q, **after_filter}).sort("_id", 1).limit(first + 1).to_list() for q in queries)),
            asyncio.gather(*(self._students.count_documents(q) for q in queries)),
        )
        docs = sorted((d for page in pages for d in page), key=lambda d: str(d["_id"]))
        rows = [StudentRow(dossier_from_doc(d), tuple(d.get("missing", []))) for d in docs[:first]]
        return Page(rows, [r.dossier.id for r in rows], len(docs) > first, sum(totals))
