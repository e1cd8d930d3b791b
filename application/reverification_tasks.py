"""Discrepancies of a term's re-verification (Art. 23) and the tasks they become: the school
raises and withdraws them while its result is its own; once the department confirms the
result, each open one is a task, resolved when the business it calls for is opened (the
link is recorded) or waived by the department with a reason.

Each change claims the next version of the school's result, which holds its discrepancies
(`application.reverification.change_result`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain import access
from domain.access import ROLE_CODES
from domain.corrections import CorrectionState
from domain.error_codes import declared
from domain.errors import DomainError, NotFound
from domain.ports import StudentRow
from domain.reverification import discrepancies as rules
from domain.reverification.records import Discrepancy, DossierField, FollowUpKind, ReportedChild, SchoolResult, result_of_discrepancy
from domain.text import identifier
from domain.workflows.engine import CaseState, Party
from application import cases, corrections, students
from application.reverification import BY_ID_CODES, RESULT_LOOKUP_CODES, change_result, result_by_id, result_in_scope, school_of
from application.session import Session


@dataclass(frozen=True)
class LeftReport:
    number: str
    note: str | None


@dataclass(frozen=True)
class WrongDataReport:
    number: str
    field: DossierField
    correct_value: str
    note: str | None


@dataclass(frozen=True)
class ChildReport:
    child: ReportedChild
    note: str | None


ONE_REPORT_CODES = declared("INVALID_VALUE")  # `_one`


def _one(*reports: object) -> None:
    if sum(r is not None for r in reports) != 1:
        raise DomainError(
            None, "give exactly one of leftWithoutChange, presentWithoutDossier and dataWrong", "INVALID_VALUE"
        )


async def _roster_student(ctx: Session, number: str) -> StudentRow:
    row, _ = await students.student_in_scope(ctx, number)
    return row


RAISE_DISCREPANCY_CODES = declared(
    *RESULT_LOOKUP_CODES, *ROLE_CODES, *ONE_REPORT_CODES, *students.LOOKUP_CODES, *rules.LEFT_CODES, *rules.DATA_CODES,
    *rules.PRESENT_CODES,
)


async def raise_discrepancy(
    ctx: Session,
    key: str,
    school_code: str,
    *,
    left: LeftReport | None,
    wrong: WrongDataReport | None,
    child: ChildReport | None,
) -> tuple[SchoolResult, Discrepancy]:
    """The school's registrar flags one discrepancy while its result is open or returned."""
    _, result = await result_in_scope(ctx, key, school_code)
    _one(left, wrong, child)
    access.require_school_registrar(ctx.account, await school_of(ctx, result))
    now = datetime.now(UTC)
    if left is not None:
        dossier = (await _roster_student(ctx, left.number)).dossier
        updated = await change_result(
            ctx, result.id,
            lambda r: rules.raise_left_without_change(r, dossier, ctx.account, now=now, note=left.note),
            action="DISCREPANCY_RAISED",
        )
    elif wrong is not None:
        dossier = (await _roster_student(ctx, wrong.number)).dossier
        updated = await change_result(
            ctx, result.id,
            lambda r: rules.raise_data_wrong(r, dossier, wrong.field, wrong.correct_value, ctx.account, now=now, note=wrong.note),
            action="DISCREPANCY_RAISED",
        )
    else:
        assert child is not None
        key_ = child.child.id_document.key if child.child.id_document else None
        holder = await ctx.stores.students.identity_holder(key_) if key_ else None
        updated = await change_result(
            ctx, result.id,
            lambda r: rules.raise_present_without_dossier(r, child.child, holder, ctx.account, now=now, note=child.note),
            action="DISCREPANCY_RAISED",
        )
    return updated, updated.discrepancies[-1]


async def _discrepancy_result(ctx: Session, discrepancy_id: str) -> SchoolResult:
    _, result = await result_by_id(ctx, result_of_discrepancy(discrepancy_id), "discrepancy")
    return result


WITHDRAW_DISCREPANCY_CODES = declared(*BY_ID_CODES, *ROLE_CODES, *rules.WITHDRAW_CODES)


async def withdraw_discrepancy(ctx: Session, discrepancy_id: str) -> tuple[SchoolResult, Discrepancy]:
    result = await _discrepancy_result(ctx, discrepancy_id)
    access.require_school_registrar(ctx.account, await school_of(ctx, result))
    now = datetime.now(UTC)
    updated = await change_result(
        ctx, result.id, lambda r: rules.withdraw(r, discrepancy_id, ctx.account, now=now), action="DISCREPANCY_WITHDRAWN"
    )
    found = updated.discrepancy(discrepancy_id)
    assert found is not None
    return updated, found


FOLLOW_UP_CODES = declared("NOT_FOUND")  # `follow_up`


async def follow_up(ctx: Session, kind: FollowUpKind, business_id: str) -> rules.FollowUp:
    """The business offered, as the caller sees it (NOT_FOUND outside its scope)."""
    if kind is FollowUpKind.CASE:
        try:
            case = await cases.case_in_scope(ctx, business_id)
        except NotFound:
            raise NotFound("businessId", "case") from None
        dossier = await ctx.stores.students.by_id(case.dossier_id)
        assert dossier is not None
        return rules.FollowUp(
            kind, case.id, dossier,
            ended_without_effect=case.state in (CaseState.REJECTED, CaseState.WITHDRAWN),
            case_kind=case.kind,
            target_school=case.parties.get(Party.TARGET_SCHOOL.value),
        )
    if kind is FollowUpKind.CORRECTION:
        try:
            correction = await corrections.correction_in_scope(ctx, business_id)
        except NotFound:
            raise NotFound("businessId", "correction") from None
        dossier = await ctx.stores.students.by_id(correction.dossier_id)
        assert dossier is not None
        return rules.FollowUp(
            kind, correction.id, dossier,
            ended_without_effect=correction.state in (CorrectionState.REJECTED, CorrectionState.WITHDRAWN),
            fields=frozenset(correction.changes.given()),
        )
    # ENROLMENT, DOSSIER_UPDATE: the student number (current or alias)
    row = await ctx.stores.students.by_number(identifier(business_id), ctx.student_scope_key)
    if row is None:
        raise NotFound("businessId", "student")
    return rules.FollowUp(kind, row.dossier.number, row.dossier)


LINK_DISCREPANCY_CODES = declared(*BY_ID_CODES, *ROLE_CODES, *FOLLOW_UP_CODES, *rules.LINK_CODES)


async def link_discrepancy(
    ctx: Session, discrepancy_id: str, kind: FollowUpKind, business_id: str
) -> tuple[SchoolResult, Discrepancy]:
    """The school's registrar or its department records the business opened for a task."""
    campaign, result = await result_by_id(ctx, result_of_discrepancy(discrepancy_id), "discrepancy")
    access.require_follow_up_recorder(ctx.account, await school_of(ctx, result))
    rules.require_fitting_kind(rules.require_task(result, discrepancy_id), kind)  # before looking the business up
    business = await follow_up(ctx, kind, business_id)
    now = datetime.now(UTC)
    updated = await change_result(
        ctx, result.id,
        lambda r: rules.link(r, discrepancy_id, business, ctx.account, now=now, opened_at=campaign.opened_at),
        action="DISCREPANCY_LINKED",
    )
    found = updated.discrepancy(discrepancy_id)
    assert found is not None
    return updated, found


WAIVE_DISCREPANCY_CODES = declared(*BY_ID_CODES, *ROLE_CODES, *rules.WAIVE_CODES)


async def waive_discrepancy(ctx: Session, discrepancy_id: str, reason: str | None) -> tuple[SchoolResult, Discrepancy]:
    """The department ends a task that needs no business, with the reason."""
    campaign, result = await result_by_id(ctx, result_of_discrepancy(discrepancy_id), "discrepancy")
    access.require_reverification_department(ctx.account, campaign.department_code)
    now = datetime.now(UTC)
    updated = await change_result(
        ctx, result.id, lambda r: rules.waive(r, discrepancy_id, ctx.account, now=now, reason=reason), action="DISCREPANCY_WAIVED"
    )
    found = updated.discrepancy(discrepancy_id)
    assert found is not None
    return updated, found


def tasks(result: SchoolResult) -> list[Discrepancy]:
    """The result's open discrepancies once the department confirmed it."""
    return [d for d in result.discrepancies if rules.is_task(result, d)]
