"""Running status-change cases: load the facts, let the engine decide, store the results.

Writes without transactions, in an order that can be resumed: the case is written first
(version-guarded), then its effects on the dossier (guarded by the dossier still naming the
case as its open business), then the case records how many effects are written. Effects
decided but not written are written by the next decision on the case, or, for a
completed case, by its last party deciding again. A completed transfer opens its archive
handover (Art. 18) in the same way: after its effects, and again on a repeated decision
when the first stopped before it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from domain.access import SchoolScope, student_scope
from domain.calendar import WorkingCalendar
from domain.dossier import Dossier
from domain.access import WRITER_CODES, require_writer
from domain.accounts import Role
from domain.error_codes import declared
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.jurisdiction import School
from domain.ports import Change, Reminder, Stamp
from domain.student_number import normalise_number
from domain.withdrawal import USABLE_CODES, require_usable
from domain.school_handover import OPEN_SCHOOL_CODES, require_open
from domain.workflows.definitions import DEFINITIONS, GUARD_CODES
from domain.workflows.engine import (
    DECIDE_CODES,
    OPEN_CODES,
    WITHDRAW_CODES,
    Case,
    CaseKind,
    CaseState,
    Decision,
    EvidenceFact,
    Facts,
    Party,
    acts_as,
    active_steps,
    pending_effects,
    decide as engine_decide,
    escalate as engine_escalate,
    open_case,
    withdraw as engine_withdraw,
)
from application.session import Session, Stores
from application import archive_handovers
from application import students as students

EVERY_SCHOOL = SchoolScope(everything=True)


async def working_calendar(stores: Stores) -> WorkingCalendar:
    return WorkingCalendar(await stores.calendar.overrides())


EVIDENCE_LOOKUP_CODES = declared("NOT_FOUND", *USABLE_CODES)  # `evidence_facts`


async def evidence_facts(ctx: Session, dossier_id: str, ids: tuple[str, ...]) -> tuple[EvidenceFact, ...]:
    """The documents offered as evidence: stored, of this student, and not withdrawn from
    the dossier. Every decision reads its case's evidence again, so a case never goes
    on, or is decided, on a document withdrawn meanwhile."""
    facts = []
    for document_id in ids:
        document = await ctx.stores.documents.get(document_id)
        current = document.current if document else None
        if document is None or document.dossier_id != dossier_id or current is None:
            raise NotFound("evidence", "document of this student")
        require_usable(document)
        facts.append(EvidenceFact(document.id, document.kind, current.original.content_type))
    return tuple(facts)


async def _school(ctx: Session, code: str) -> School:
    school = await ctx.loaders.school.load(code)
    assert school is not None
    return school


OPEN_CASE_CODES = declared(
    *WRITER_CODES, "WRONG_OPENER", *students.LOOKUP_CODES, *students.BUSINESS_CODES, *OPEN_CODES, *GUARD_CODES,
    *EVIDENCE_LOOKUP_CODES, *OPEN_SCHOOL_CODES,
)


async def open_status_case(
    ctx: Session,
    *,
    kind: CaseKind,
    number: str,
    grounds: str | None,
    target_code: str | None,
    params: dict[str, Any],
    evidence: tuple[str, ...],
    comment: str | None,
) -> Case:
    definition = DEFINITIONS[kind]
    if definition.opened_by is Party.TARGET_SCHOOL:
        # The receiving school acts on the guardian's application, which names the student:
        # it finds the dossier by number although the student is not yet in its scope. Only
        # the registrar of that receiving school may look, and only after passing the gate.
        require_writer(ctx.account)
        if not (ctx.account.role is Role.SCHOOL_REGISTRAR and target_code and ctx.account.scope_code == target_code):
            raise PermissionDenied(
                f"a {kind.value} case is opened by the receiving school ({definition.article})", "WRONG_OPENER"
            )
        row = await ctx.stores.students.by_number(normalise_number(number), None)
        if row is None:
            raise NotFound("number", "student")
        school = await _school(ctx, row.dossier.status.school_code)
    else:
        row, school = await students.student_in_scope(ctx, number)
    dossier = row.dossier
    await students.require_no_open_business(ctx, dossier)
    target = None
    if target_code:
        target = await ctx.stores.schools.get(target_code, EVERY_SCHOOL)
        if target is None:
            raise NotFound("targetSchoolCode", "school")
        require_open(target, "targetSchoolCode")  # Art. 19: no transfer into a merged or closed school
    now = datetime.now(UTC)
    case = open_case(
        definition,
        Facts(dossier, school, target, grounds, params, now.date()),
        ctx.account,
        case_id=students.new_business_id("case"),
        now=now,
        calendar=await working_calendar(ctx.stores),
        evidence=await evidence_facts(ctx, dossier.id, evidence),
        comment=comment,
    )
    await students.open_business(ctx, dossier.id, case.id)  # Art. 8: one business at a time
    await ctx.stores.cases.insert(case, ctx.stamp())
    return case


CASE_LOOKUP_CODES = declared("NOT_FOUND")  # `case_in_scope`


async def case_in_scope(ctx: Session, case_id: str) -> Case:
    case = await ctx.stores.cases.get(case_id)
    if case is None:
        raise NotFound("id", "case")
    scope = student_scope(ctx.account)
    mine = ctx.account.scope_code
    codes = [v for k, v in case.parties.items() if k.endswith("_SCHOOL")]
    schools = await ctx.loaders.school.load_many(codes)
    if any(school is not None and scope.contains(school) for school in schools):
        return case
    if mine is not None and ctx.account.role is not Role.ADMIN and mine in (case.escalated_to, *case.parties.values()):
        return case  # a party of the case, or the level above it was escalated to
    raise NotFound("id", "case")


# A completed case decided again only finishes its effects; a dossier changed meanwhile is a CONFLICT.
DECIDE_CASE_CODES = declared(*CASE_LOOKUP_CODES, *WRITER_CODES, "NOT_OPEN", *DECIDE_CODES, *EVIDENCE_LOOKUP_CODES, "CONFLICT")


async def decide_case(
    ctx: Session,
    case_id: str,
    decision: Decision,
    *,
    comment: str | None,
    evidence: tuple[str, ...],
    override_reason: str | None,
) -> tuple[Case, Dossier | None]:
    case = await case_in_scope(ctx, case_id)
    definition = DEFINITIONS[case.kind]
    if case.state is CaseState.COMPLETED:
        # Resume an interrupted completion: only the party of the last step may, and only
        # once the decision is old enough that its own request is no longer writing it.
        require_writer(ctx.account)
        last = active_steps(definition, case.grounds, case.params)[-1]
        if not acts_as(ctx.account, last.party, case.parties):
            raise DomainError("id", "this case is completed; nothing awaits a decision", "NOT_OPEN")
        slots, _ = pending_effects(definition, case)
        recent = bool(case.events) and datetime.now(UTC) - case.events[-1].at < students.STALE_BUSINESS
        if slots != case.effects_applied and recent:
            raise DomainError("id", "someone decided this case meanwhile; reload it", "CONFLICT")
        case, dossier = await _apply_pending(ctx, case)
        if await archive_handovers.open_after_transfer(ctx, case):  # Art. 18: a completion stopped before it
            return case, dossier or await ctx.stores.students.by_id(case.dossier_id)
        if dossier is None:
            raise DomainError("id", "this case is completed; nothing awaits a decision", "NOT_OPEN")
        return case, dossier
    if case.state is CaseState.OPEN:
        case, _ = await _apply_pending(ctx, case)  # an earlier step's effect that did not land
    now = datetime.now(UTC)
    outcome = engine_decide(
        definition,
        case,
        ctx.account,
        decision,
        now=now,
        calendar=await working_calendar(ctx.stores),
        comment=comment,
        evidence=await evidence_facts(ctx, case.dossier_id, evidence),
        override_reason=override_reason,
        prior_evidence=await evidence_facts(ctx, case.dossier_id, case.evidence),
    )
    if not await ctx.stores.cases.replace(case, outcome.case, ctx.stamp()):
        raise DomainError("id", "someone decided this case meanwhile; reload it", "CONFLICT")
    updated = replace(outcome.case, version=case.version + 1)
    if updated.state in (CaseState.REJECTED, CaseState.WITHDRAWN):
        await ctx.stores.students.release_business(case.dossier_id, case.id, ctx.stamp())
        return updated, None
    updated, dossier = await _apply_pending(ctx, updated)
    await archive_handovers.open_after_transfer(ctx, updated)  # Art. 18: the archive follows a transfer
    return updated, dossier


async def _apply_pending(ctx: Session, case: Case) -> tuple[Case, Dossier | None]:
    """Write the decided effects to the dossier (guarded by the dossier still naming this
    case as its business), then record on the case that they are written. Either write may
    be interrupted; the next decision on the case finishes the work, once."""
    definition = DEFINITIONS[case.kind]
    slots, effects = pending_effects(definition, case)
    if slots == case.effects_applied:
        return case, None
    dossier = await _write_effects(ctx, case, effects)
    done = replace(case, effects_applied=slots)
    if await ctx.stores.cases.replace(case, done, ctx.stamp()):
        return replace(done, version=case.version + 1), dossier
    return case, dossier  # someone else recorded it meanwhile: the effects are idempotent


async def _write_effects(ctx: Session, case: Case, effects: tuple[Any, ...]) -> Dossier | None:
    before = await ctx.stores.students.by_id(case.dossier_id)
    assert before is not None
    if before.open_business != case.id:
        await _documents_follow(ctx, before)  # already written (and the business closed)
        return None
    after = before
    for effect in effects:
        after = effect(after, case)
    if case.state is CaseState.COMPLETED:
        after = replace(after, open_business=None, open_business_since=None)
    changes = _status_changes(before, after)
    change = (
        Change(f"STATUS:{case.kind.value}", changes, reason=case.grounds, evidence=case.evidence, business_id=case.id)
        if changes
        else None
    )
    if not await ctx.stores.students.replace(before, after, ctx.stamp(), change):
        raise DomainError(None, "the dossier changed meanwhile; decide again to finish", "CONFLICT")
    await _documents_follow(ctx, after)
    return replace(after, version=before.version + 1)


async def _documents_follow(ctx: Session, dossier: Dossier) -> None:
    """A dossier that moved to or through another school (a transfer, a placement, Art.
    11, 12, 19) is seen there from now on, and so are its documents: their scope follows
    (an archivist's lists filter on it). Run again when a completion is resumed, for an
    interruption between the two writes; the reconcile sweep catches any other lag."""
    if dossier.former_school_codes or dossier.attending_school_code:
        await ctx.stores.documents.follow_dossier(dossier.id, ctx.stamp())


def _status_changes(before: Dossier, after: Dossier) -> dict[str, tuple[object, object]]:
    pairs = {
        "state": (before.status.state.value, after.status.state.value),
        "school": (before.status.school_code, after.status.school_code),
        "grade": (before.status.grade, after.status.grade),
        "attending_school": (before.attending_school_code, after.attending_school_code),
        "suspension_until": (before.suspension_until, after.suspension_until),
        "sanction_until": (before.sanction_until, after.sanction_until),
        "missing": (before.missing, after.missing),
        "skipped_grades": (list(before.skipped_grades), list(after.skipped_grades)),
    }
    return {k: v for k, v in pairs.items() if v[0] != v[1]}


WITHDRAW_CASE_CODES = declared(*CASE_LOOKUP_CODES, *WITHDRAW_CODES, "CONFLICT")


async def withdraw_case(ctx: Session, case_id: str, reason: str | None) -> Case:
    case = await case_in_scope(ctx, case_id)
    withdrawn = engine_withdraw(DEFINITIONS[case.kind], case, ctx.account, now=datetime.now(UTC), reason=reason)
    if not await ctx.stores.cases.replace(case, withdrawn, ctx.stamp()):
        raise DomainError("id", "the case changed meanwhile; reload it", "CONFLICT")
    await ctx.stores.students.release_business(case.dossier_id, case.id, ctx.stamp())
    return replace(withdrawn, version=case.version + 1)


async def escalate_overdue(stores: Stores, now: datetime) -> int:
    """Overdue steps go to the level above (Art. 11(3)). Running it twice changes nothing more."""
    escalated = 0
    for case in await stores.cases.overdue(now.date()):
        moved = engine_escalate(DEFINITIONS[case.kind], case, now=now)
        if moved is not None and await stores.cases.replace(case, moved, Stamp.system("workflows")):
            escalated += 1
    return escalated


async def remind_suspensions_ended(stores: Stores, today: date) -> int:
    """Art. 13(3): the school is reminded to urge the student back when a suspension ends."""
    created = 0
    for dossier in await stores.students.suspensions_ended(today):
        assert dossier.suspension_until is not None
        reminder = Reminder(
            id=f"suspension-ended:{dossier.id}:{dossier.suspension_until.isoformat()}",
            kind="SUSPENSION_ENDED",
            school_code=dossier.status.school_code,
            dossier_id=dossier.id,
            number=dossier.number,
            due=dossier.suspension_until,
            message="the suspension has run out: arrange resumption or an extension (Art. 13(3))",
        )
        created += await stores.cases.remind(reminder)
    return created

