"""The Art. 26 compliance report (R-F2) for a department's area and a period: one finder per
kind of finding, each `async (stores, area, period) -> list[Finding]`, run together.

The area's schools are those the department of the area is in charge of: a county's the
schools it supervises (Art. 3), a city's or the province's every school in them. Sources:
re-verification discrepancies (Art. 23), cases and their escalations, and the audit trail of
the accounts of those schools (read by actor, newest first, back to the period's start)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from application.archive_handovers import late_archive_handovers
from application.session import Session, Stores
from domain.accounts import Account
from domain.compliance import (
    BULK_FULL_READS_PER_DAY,
    ComplianceReport,
    EvidenceKind,
    EvidenceRef,
    Finding,
    FindingKind,
    Period,
    check_period,
    require_report_reader,
)
from domain.error_codes import declared
from domain.jurisdiction import AreaLevel, School, area_level, validate_area_code
from domain.ports import AuditEvent, CaseFilter
from domain.reverification.records import Discrepancy, DiscrepancyKind, DiscrepancyState, FollowUpKind, SchoolResult
from domain.workflows.engine import CaseKind, CaseState

Finder = Callable[[Stores, str, Period], Awaitable[list[Finding]]]
T = TypeVar("T")
PAGE = 100


async def schools_of(stores: Stores, area_code: str) -> list[School]:
    """The schools the area's department is in charge of."""
    located = await stores.schools.in_area(area_code)
    if area_level(area_code) is AreaLevel.COUNTY:
        return [s for s in located if s.supervisor_code == area_code]
    return located


def _scope_key(area_code: str) -> str:
    field_name = {AreaLevel.COUNTY: "supervisor_code", AreaLevel.CITY: "city_code", AreaLevel.PROVINCE: "province_code"}
    return f"{field_name[area_level(area_code)]}:{area_code}"


# -- re-verification discrepancies (Art. 23) ----------------------------------------------


# What several finders of one report read alike (discrepancies, the audit trail) is read once
# per report: `compliance_report` opens a memo the finders share; without one, each reads.
_memo: ContextVar[dict[tuple[str, str, Period], asyncio.Future[Any]] | None] = ContextVar("compliance_memo", default=None)


async def _once(name: str, area_code: str, period: Period, read: Callable[[], Awaitable[T]]) -> T:
    memo = _memo.get()
    if memo is None:
        return await read()
    key = (name, area_code, period)
    if key not in memo:
        memo[key] = asyncio.ensure_future(read())
    result: T = await memo[key]
    return result


async def _discrepancies(stores: Stores, area_code: str, period: Period) -> list[tuple[SchoolResult, Discrepancy]]:
    return await _once("discrepancies", area_code, period, lambda: _read_discrepancies(stores, area_code, period))


async def _read_discrepancies(stores: Stores, area_code: str, period: Period) -> list[tuple[SchoolResult, Discrepancy]]:
    """Discrepancies raised in the period at the area's schools and not withdrawn."""
    codes = {s.code for s in await schools_of(stores, area_code)}
    found: list[tuple[SchoolResult, Discrepancy]] = []
    after: str | None = None
    while True:
        page = await stores.reverification.campaigns(within=area_code, school_code=None, term_code=None, after=after, first=PAGE)
        for campaign in page.items:
            for result in await stores.reverification.results(campaign.id):
                if result.school_code not in codes:
                    continue
                found += [
                    (result, d) for d in result.discrepancies if period.holds(d.raised_at) and d.state is not DiscrepancyState.WITHDRAWN
                ]
        if not page.has_next:
            return found
        after = page.keys[-1]


FOLLOW_UP_EVIDENCE = {
    FollowUpKind.CASE: EvidenceKind.CASE,
    FollowUpKind.CORRECTION: EvidenceKind.CORRECTION,
    FollowUpKind.DOSSIER_UPDATE: EvidenceKind.STUDENT,
    FollowUpKind.ENROLMENT: EvidenceKind.STUDENT,
}


def _discrepancy_evidence(result: SchoolResult, d: Discrepancy) -> tuple[EvidenceRef, ...]:
    refs = [EvidenceRef(EvidenceKind.DISCREPANCY, d.id)]
    if d.number:
        refs.append(EvidenceRef(EvidenceKind.STUDENT, d.number))
    r = d.resolution
    if r is not None and r.business_id and r.business_kind is not None:
        refs.append(EvidenceRef(FOLLOW_UP_EVIDENCE[r.business_kind], r.business_id))
    return tuple(refs)


async def attending_without_dossier(stores: Stores, area_code: str, period: Period) -> list[Finding]:
    return [
        Finding(
            FindingKind.ATTENDING_WITHOUT_DOSSIER,
            d.raised_at,
            result.school_code,
            f"复核发现在校无学籍档案学生（{d.state.value}）",
            student_name=d.child.name if d.child else None,
            evidence=_discrepancy_evidence(result, d),
        )
        for result, d in await _discrepancies(stores, area_code, period)
        if d.kind is DiscrepancyKind.PRESENT_WITHOUT_DOSSIER and not (d.child and d.child.enrolled_at)
    ]


async def admitted_without_transfer_in_reverification(stores: Stores, area_code: str, period: Period) -> list[Finding]:
    return [
        Finding(
            FindingKind.ADMITTED_WITHOUT_TRANSFER,
            d.raised_at,
            result.school_code,
            f"在校学生学籍在 {d.child.enrolled_at}，未办理转学手续",
            student_name=d.child.name,
            evidence=_discrepancy_evidence(result, d),
        )
        for result, d in await _discrepancies(stores, area_code, period)
        if d.kind is DiscrepancyKind.PRESENT_WITHOUT_DOSSIER and d.child and d.child.enrolled_at
    ]


async def left_without_change(stores: Stores, area_code: str, period: Period) -> list[Finding]:
    found = [(r, d) for r, d in await _discrepancies(stores, area_code, period) if d.kind is DiscrepancyKind.LEFT_WITHOUT_CHANGE]
    names = await _names(stores, [d.number for _, d in found if d.number])
    return [
        Finding(
            FindingKind.DROPOUT_NOT_REPORTED,
            d.raised_at,
            result.school_code,
            f"复核发现学生已不在校且无学籍变动记录（{d.state.value}）",
            student_number=d.number,
            student_name=names.get(d.number or ""),
            evidence=_discrepancy_evidence(result, d),
        )
        for result, d in found
    ]


async def _names(stores: Stores, numbers: list[str]) -> dict[str, str]:
    rows = await asyncio.gather(*(stores.students.by_number(n, None) for n in set(numbers)))
    return {n: r.dossier.basic.name for n, r in zip(set(numbers), rows, strict=True) if r is not None}


# -- cases past their deadline (Art. 11-16, 26(3), 26(4)) ----------------------------------


async def _late_cases(stores: Stores, area_code: str, period: Period, *, dropout: bool) -> list[Finding]:
    today = datetime.now(UTC).date()
    found: list[Finding] = []
    after: str | None = None
    while True:
        page = await stores.cases.page(_scope_key(area_code), CaseFilter(), after=after, first=PAGE)
        for case in page.items:
            if (case.kind is CaseKind.DROPOUT_REPORT) != dropout:
                continue
            escalations = [e for e in case.events if e.action == "ESCALATED" and period.holds(e.at)]
            still_overdue = case.state is CaseState.OPEN and case.due is not None and case.due < min(today, period.end)
            if not (escalations or still_overdue):
                continue
            at = escalations[0].at if escalations else datetime.combine(case.due or today, datetime.min.time(), UTC)
            step = escalations[0].step if escalations else None
            school = case.parties.get("STUDENT_SCHOOL")
            what = "辍学报告未按期办理" if dropout else "学籍变动未按期办理"
            found.append(
                Finding(
                    FindingKind.DROPOUT_NOT_REPORTED if dropout else FindingKind.CHANGE_NOT_RECORDED_IN_TIME,
                    at,
                    school,
                    f"{what}：{case.kind.value}" + (f"（{step} 逾期）" if step else f"（{case.due} 到期）"),
                    student_number=case.number,
                    evidence=(
                        EvidenceRef(EvidenceKind.CASE, case.id),
                        EvidenceRef(EvidenceKind.STUDENT, case.number),
                        *(EvidenceRef(EvidenceKind.DOCUMENT, d) for d in case.evidence),
                    ),
                )
            )
        if not page.has_next:
            break
        after = page.keys[-1]
    names = await _names(stores, [f.student_number for f in found if f.student_number])
    return [replace(f, student_name=names.get(f.student_number or "")) for f in found]


async def changes_not_recorded_in_time(stores: Stores, area_code: str, period: Period) -> list[Finding]:
    return await _late_cases(stores, area_code, period, dropout=False)


async def dropout_reports_overdue(stores: Stores, area_code: str, period: Period) -> list[Finding]:
    return await _late_cases(stores, area_code, period, dropout=True)


# -- the audit trail (Art. 24, 26(5), 26(7)) ----------------------------------------------


async def _school_accounts(stores: Stores, area_code: str) -> list[tuple[Account, str]]:
    schools = await schools_of(stores, area_code)
    found = await asyncio.gather(*(stores.accounts.registrars_of([s.code]) for s in schools))
    return [(account, school.code) for school, accounts in zip(schools, found, strict=True) for account in accounts]


async def _events_of(stores: Stores, login: str, period: Period) -> list[AuditEvent]:
    """One account's audit events in the period, newest first, read back to its start."""
    events: list[AuditEvent] = []
    after: str | None = None
    while True:
        page = await stores.audit.page(scope_key=None, actor=login, target_type=None, target_id=None, after=after, first=PAGE)
        for event in page.items:
            if event.at < period.since:
                return events
            if period.holds(event.at):
                events.append(event)
        if not page.has_next:
            return events
        after = page.keys[-1]


def _audit_ref(event: AuditEvent) -> EvidenceRef:
    return EvidenceRef(EvidenceKind.AUDIT_EVENT, event.id or "")


async def _audited(stores: Stores, area_code: str, period: Period) -> list[tuple[str, AuditEvent]]:
    return await _once("audited", area_code, period, lambda: _read_audited(stores, area_code, period))


async def _read_audited(stores: Stores, area_code: str, period: Period) -> list[tuple[str, AuditEvent]]:
    """The audit events of the period of the accounts of the area's schools, with their school."""
    accounts = await _school_accounts(stores, area_code)
    found = await asyncio.gather(*(_events_of(stores, a.login, period) for a, _ in accounts))
    return [(school, e) for (_, school), events in zip(accounts, found, strict=True) for e in events]


async def enrolled_elsewhere_refusals(stores: Stores, area_code: str, period: Period) -> list[Finding]:
    return [
        Finding(
            FindingKind.ADMITTED_WITHOUT_TRANSFER,
            e.at,
            school,
            "为已在他校有学籍的学生新建学籍被拒（应办理转学）",
            account=e.actor,
            evidence=(_audit_ref(e),),
        )
        for school, e in await _audited(stores, area_code, period)
        if e.outcome == "ENROLLED_ELSEWHERE"
    ]


async def unauthorised_attempts(stores: Stores, area_code: str, period: Period) -> list[Finding]:
    return [
        Finding(
            FindingKind.UNAUTHORISED_ATTEMPT,
            e.at,
            school,
            f"越权操作被拒：{e.action} {e.target_type} {e.target_id}",
            student_number=e.target_id if e.target_type == "student" else None,
            account=e.actor,
            evidence=(_audit_ref(e),),
        )
        for school, e in await _audited(stores, area_code, period)
        if e.outcome == "PERMISSION_DENIED"
    ]


async def reads_outside_purpose(stores: Stores, area_code: str, period: Period) -> list[Finding]:
    by_day: dict[tuple[str, str, date], list[AuditEvent]] = defaultdict(list)
    for school, e in await _audited(stores, area_code, period):
        if e.action == "read:studentFull" and e.outcome == "ok":
            by_day[(school, e.actor, e.at.date())].append(e)
    return [
        Finding(
            FindingKind.READS_OUTSIDE_PURPOSE,
            min(e.at for e in events),
            school,
            f"{day.isoformat()} 单日查阅完整学籍信息 {len(events)} 次（超过 {BULK_FULL_READS_PER_DAY} 次）",
            account=login,
            evidence=tuple(_audit_ref(e) for e in sorted(events, key=lambda e: e.at)),
        )
        for (school, login, day), events in sorted(by_day.items())
        if len(events) > BULK_FULL_READS_PER_DAY
    ]


# -- archives after a transfer (Art. 18, 26(6)) -------------------------------------------


async def archives_not_handed_over_in_time(stores: Stores, area_code: str, period: Period) -> list[Finding]:
    """Handovers whose one-month deadline (Art. 18) fell in the period and that the sending
    school had not handed over by it: handed over later, or not yet."""
    late = await late_archive_handovers(stores, area_code, period.start, period.end)
    return [
        Finding(
            FindingKind.ARCHIVE_NOT_HANDED_OVER,
            datetime.combine(h.due, time(), UTC),
            h.sending_school_code,
            f"学籍档案应于 {h.due} 前转出至 {h.receiving_school_code}，"
            + (f"实际于 {h.handed_over_at.date()} 转出" if h.handed_over_at else "至今未转出"),
            student_number=h.number,
            evidence=(
                EvidenceRef(EvidenceKind.ARCHIVE_HANDOVER, h.id),
                EvidenceRef(EvidenceKind.CASE, h.case_id),
                EvidenceRef(EvidenceKind.STUDENT, h.number),
            ),
        )
        for h in late
    ]


# One finder per line.
FINDERS: list[Finder] = [
    attending_without_dossier,
    changes_not_recorded_in_time,
    left_without_change,
    dropout_reports_overdue,
    admitted_without_transfer_in_reverification,
    archives_not_handed_over_in_time,
    enrolled_elsewhere_refusals,
    unauthorised_attempts,
    reads_outside_purpose,
]


REPORT_CODES = declared("INVALID_AREA_CODE", "INVALID_VALUE", "PERMISSION_DENIED")  # `compliance_report`


async def compliance_report(ctx: Session, area_code: str, start: date, end: date) -> ComplianceReport:
    """The report, for the departments over the area; audited with its size."""
    area = validate_area_code(area_code, "areaCode")
    period = check_period(start, end)
    require_report_reader(ctx.account, area)
    token = _memo.set({})
    try:
        results = await asyncio.gather(*(finder(ctx.stores, area, period) for finder in FINDERS))
    finally:
        _memo.reset(token)
    findings = sorted((f for found in results for f in found), key=lambda f: (list(FindingKind).index(f.kind), f.at))
    report = ComplianceReport(area, period, datetime.now(UTC), ctx.account.login, tuple(findings))
    counts: dict[str, int] = defaultdict(int)
    for f in findings:
        counts[f.kind.value] += 1
    await ctx.audit(
        "read:complianceReport", "area", area, details={"from": start.isoformat(), "to": end.isoformat(), "findings": dict(counts)}
    )
    return report
