"""The compliance report (R-F2): the failures Art. 26 lists (and Art. 25 for departments),
found for a department's area and a period, each with links to its evidence.

Art. 26: 学校违反本细则的规定，有下列情形之一的，由主管部门责令改正 — (一) 不为已接收学生建立学籍档案的；
(三) 不及时把学籍变动信息纳入学籍档案的；(四) 不及时报告义务教育阶段学生辍学情况的；(五) 接收学生不为其
办理转学手续的；(六) 不按规定为学生转接学籍档案的；(七) 泄露或非法使用学生学籍信息的。

Each kind of finding is produced by its own finder (`application/compliance.py`), so that a
kind found elsewhere is added by one line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from domain.access import area_contains
from domain.accounts import Account
from domain.errors import DomainError, PermissionDenied

MAX_PERIOD_DAYS = 366 * 2  # a report covers at most two school years
BULK_FULL_READS_PER_DAY = 20  # more full reads by one account on one day than any business needs


class FindingKind(StrEnum):
    ATTENDING_WITHOUT_DOSSIER = "ATTENDING_WITHOUT_DOSSIER"
    """Art. 26(1): a child attends without a dossier — a re-verification discrepancy
    PRESENT_WITHOUT_DOSSIER raised in the period (not withdrawn)."""

    CHANGE_NOT_RECORDED_IN_TIME = "CHANGE_NOT_RECORDED_IN_TIME"
    """Art. 26(3): a status change not recorded in time — a case step escalated as overdue
    in the period, or still open past its deadline (dropout reports excepted: see below)."""

    DROPOUT_NOT_REPORTED = "DROPOUT_NOT_REPORTED"
    """Art. 26(4): a dropout not reported in time — a re-verification discrepancy
    LEFT_WITHOUT_CHANGE (flagged as gone, no change recorded), or a dropout report whose
    step went overdue."""

    ADMITTED_WITHOUT_TRANSFER = "ADMITTED_WITHOUT_TRANSFER"
    """Art. 26(5): a child admitted without a transfer — a PRESENT_WITHOUT_DOSSIER
    discrepancy of a child whose identity holds a status at another school, or an enrolment
    refused as ENROLLED_ELSEWHERE in the audit trail."""

    ARCHIVE_NOT_HANDED_OVER = "ARCHIVE_NOT_HANDED_OVER"
    """Art. 26(6): an archive not handed over in time after a transfer — found by the
    archive handovers (`application.archive_handovers.late_archive_handovers`)."""

    UNAUTHORISED_ATTEMPT = "UNAUTHORISED_ATTEMPT"
    """Art. 26(7): an attempt to change or read what the account may not — a refusal
    with PERMISSION_DENIED in the audit trail, by an account of a school in the area."""

    READS_OUTSIDE_PURPOSE = "READS_OUTSIDE_PURPOSE"
    """Art. 24, 26(7): full reads of dossiers beyond any business — more than
    BULK_FULL_READS_PER_DAY full reads by one account on one day (bulk collection outside
    an approved export)."""


FINDING_LABELS: dict[FindingKind, str] = {
    FindingKind.ATTENDING_WITHOUT_DOSSIER: "不为已接收学生建立学籍档案",
    FindingKind.CHANGE_NOT_RECORDED_IN_TIME: "不及时把学籍变动信息纳入学籍档案",
    FindingKind.DROPOUT_NOT_REPORTED: "不及时报告学生辍学情况",
    FindingKind.ADMITTED_WITHOUT_TRANSFER: "接收学生不为其办理转学手续",
    FindingKind.ARCHIVE_NOT_HANDED_OVER: "不按规定为学生转接学籍档案",
    FindingKind.UNAUTHORISED_ATTEMPT: "越权操作或访问学籍信息",
    FindingKind.READS_OUTSIDE_PURPOSE: "超出用途批量查阅学籍信息",
}


class EvidenceKind(StrEnum):
    CASE = "CASE"  # `case(id)`
    AUDIT_EVENT = "AUDIT_EVENT"  # an audit event id (`auditEvents`)
    DOCUMENT = "DOCUMENT"  # `document(id)`
    CORRECTION = "CORRECTION"  # `correction(id)`
    DISCREPANCY = "DISCREPANCY"  # a re-verification discrepancy id ("<campaign>:<school>:<n>")
    STUDENT = "STUDENT"  # a student number
    ARCHIVE_HANDOVER = "ARCHIVE_HANDOVER"  # `archiveHandover(id)`


@dataclass(frozen=True)
class EvidenceRef:
    kind: EvidenceKind
    id: str


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    at: datetime  # when it happened (raised, escalated, refused, read)
    school_code: str | None
    summary: str  # one line, Chinese, for a department head
    student_number: str | None = None
    student_name: str | None = None
    account: str | None = None  # the account whose act it is (audit findings)
    evidence: tuple[EvidenceRef, ...] = ()


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included (UTC)."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    def holds(self, at: datetime) -> bool:
        return self.since <= at < self.until


@dataclass(frozen=True)
class ComplianceReport:
    area_code: str
    period: Period
    generated_at: datetime
    generated_by: str
    findings: tuple[Finding, ...]


def check_period(start: date, end: date) -> Period:
    if end < start:
        raise DomainError("to", "the period ends before it starts", "INVALID_VALUE")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise DomainError("to", f"a report covers at most {MAX_PERIOD_DAYS} days", "INVALID_VALUE")
    return Period(start, end)


def require_report_reader(account: Account, area_code: str) -> None:
    """Art. 25, 26: the department in charge (主管部门) reads the report of its own area
    (a higher department, of any area within its own)."""
    if account.disabled or not account.is_department or not area_contains(account.scope_code or "", area_code):
        raise PermissionDenied("the compliance report is for the departments over the area (Art. 25, 26)")
