"""Bulk exports of dossiers only with written approval (Art. 24, R-A6): 非经学籍主管教育行政部门
书面批准，学籍信息一律不得向外提供.

An export request names its purpose, its scope (one school, or one area), filters, the
fields wanted and the format. The written approval document is attached as an evidence
upload; the department in charge of the scope's records (学籍主管部门: a school's
supervising department, an area's own department) approves or refuses it, never the
requester. Only an approved request is downloaded, by its requester, with exactly the
approved fields: identifiers stay masked unless the approval names them in full."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from domain.access import ROLE_CODES, area_contains, require_writer, school_scope
from domain.accounts import Account, Role
from domain.dossier import Dossier, StudentState, mask_text
from domain.error_codes import declared
from domain.errors import DomainError, PermissionDenied
from domain.jurisdiction import School


class ExportField(StrEnum):
    """The fields an export may carry; nothing else of a dossier ever leaves in one."""

    NUMBER = "NUMBER"  # 学籍号 (G + the ID number: an identifier)
    NAME = "NAME"
    SEX = "SEX"
    BIRTH_DATE = "BIRTH_DATE"
    ID_NUMBER = "ID_NUMBER"  # 身份证件号 (an identifier)
    SCHOOL_CODE = "SCHOOL_CODE"
    GRADE = "GRADE"
    CLASS_NAME = "CLASS_NAME"
    STATE = "STATE"
    ENTRY_DATE = "ENTRY_DATE"
    ADDRESS = "ADDRESS"  # 现住址 (an identifier)
    PHONE = "PHONE"  # (an identifier)


# Masked unless the approval names the field in full (R-A6: identifiers, addresses, phones).
IDENTIFIER_FIELDS = frozenset({ExportField.NUMBER, ExportField.ID_NUMBER, ExportField.ADDRESS, ExportField.PHONE})

HEADERS: dict[ExportField, str] = {
    ExportField.NUMBER: "学籍号",
    ExportField.NAME: "姓名",
    ExportField.SEX: "性别",
    ExportField.BIRTH_DATE: "出生日期",
    ExportField.ID_NUMBER: "身份证件号",
    ExportField.SCHOOL_CODE: "学校标识码",
    ExportField.GRADE: "年级",
    ExportField.CLASS_NAME: "班级",
    ExportField.STATE: "学籍状态",
    ExportField.ENTRY_DATE: "入学日期",
    ExportField.ADDRESS: "现住址",
    ExportField.PHONE: "联系电话",
}


class ExportFormat(StrEnum):
    XLSX = "XLSX"
    CSV = "CSV"


class ExportState(StrEnum):
    REQUESTED = "REQUESTED"  # waiting for the approval document and the department's decision
    APPROVED = "APPROVED"
    REFUSED = "REFUSED"


@dataclass(frozen=True)
class ExportScope:
    """One school, or one area (county, city or province), with optional filters."""

    school_code: str | None
    area_code: str | None
    grade: int | None = None
    state: StudentState | None = None

    @property
    def filed_under(self) -> str | None:
        """The code its records (audit events, the approval letter) are filed under: the
        school, or the area, whose departments, archivists and auditors see them."""
        return self.school_code or self.area_code


@dataclass(frozen=True)
class ExportRequest:
    id: str
    requester: str  # login
    requester_role: str
    purpose: str
    scope: ExportScope
    department_code: str  # the department that approves (学籍主管部门 of the scope)
    fields: tuple[ExportField, ...]
    full_fields: tuple[ExportField, ...]  # identifiers asked for unmasked
    format: ExportFormat
    state: ExportState
    created_at: datetime
    approval_documents: tuple[str, ...] = ()
    approved_fields: tuple[ExportField, ...] = ()
    approved_full_fields: tuple[ExportField, ...] = ()
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    revision: int = 1


REQUEST_CODES = declared(*ROLE_CODES, "INVALID_VALUE")  # `check_request`


def approving_department(scope: ExportScope, school: School | None) -> str:
    """Art. 24: the 学籍主管教育行政部门 of the records: a school's supervising department
    (Art. 3), or the department of the area itself."""
    if school is not None:
        return school.supervisor_code
    assert scope.area_code is not None
    return scope.area_code


def check_request(
    account: Account,
    scope: ExportScope,
    school: School | None,
    fields: Sequence[ExportField],
    full_fields: Sequence[ExportField],
) -> None:
    """Registrars export their own school; departments a school they see or an area within
    their own. `school` is the scope's school as found in the caller's scope (None for an
    area). Fields are named, at least one; full fields are identifiers among them."""
    require_writer(account)
    if (scope.school_code is None) == (scope.area_code is None):
        raise DomainError("schoolCode", "name either one school or one area", "INVALID_VALUE")
    if account.role is Role.SCHOOL_REGISTRAR:
        if scope.school_code is None or account.scope_code != scope.school_code:
            raise PermissionDenied("a school's registrar requests exports of its own school only")
    elif account.is_department:
        if school is not None and not school_scope(account).contains(school):
            raise PermissionDenied("a department requests exports of the schools it sees only")
        if scope.area_code is not None and not area_contains(account.scope_code or "", scope.area_code):
            raise PermissionDenied("a department requests exports of its own area only", field="areaCode")
    else:
        raise PermissionDenied("exports are requested by a school's registrar or a department")
    if not fields:
        raise DomainError("fields", "name at least one field", "INVALID_VALUE")
    if scope.grade is not None and not 1 <= scope.grade <= 9:
        raise DomainError("grade", "a grade is 1-9", "INVALID_VALUE")
    not_identifiers = [f.value for f in full_fields if f not in IDENTIFIER_FIELDS]
    if not_identifiers:
        raise DomainError("fullFields", f"only identifiers are masked, so only they are asked for in full: {not_identifiers}", "INVALID_VALUE")
    not_asked = [f.value for f in full_fields if f not in fields]
    if not_asked:
        raise DomainError("fullFields", f"a field asked for in full is also one of the fields: {not_asked}", "INVALID_VALUE")


def may_see_request(account: Account, request: ExportRequest) -> bool:
    """The requester; the approving department and the departments and auditors above it
    (Art. 25: the level above oversees)."""
    if account.disabled:
        return False
    if account.login == request.requester:
        return True
    if account.is_department or account.role is Role.AUDITOR:
        return area_contains(account.scope_code or "", request.department_code)
    return False


ATTACH_CODES = declared(*ROLE_CODES, "ALREADY_DECIDED")  # `require_attacher`


def require_attacher(account: Account, request: ExportRequest) -> None:
    """The written approval is attached by the requester or by the approving department,
    while the request waits for its decision."""
    require_writer(account)
    own_department = account.is_department and account.scope_code == request.department_code
    if not (account.login == request.requester or own_department):
        raise PermissionDenied("the requester or the approving department attaches the approval document")
    if request.state is not ExportState.REQUESTED:
        raise DomainError("exportRequest", "the request is decided; nothing is attached to it any more", "ALREADY_DECIDED")


DECIDE_CODES = declared(
    *ROLE_CODES, "ALREADY_DECIDED", "OWN_EXPORT_REQUEST", "APPROVAL_DOCUMENT_MISSING", "FIELD_NOT_REQUESTED", "REASON_REQUIRED"
)


def decide(
    account: Account,
    request: ExportRequest,
    *,
    approve: bool,
    fields: Collection[ExportField] | None,
    full_fields: Collection[ExportField] | None,
    reason: str | None,
    now: datetime,
) -> ExportRequest:
    """The approving department decides (Art. 24); the requester never decides their own
    request. An approval needs the written approval attached and names the fields (a subset
    of those requested, all of them by default) and the identifiers given in full (a subset
    of those asked for in full, none by default)."""
    require_writer(account)
    if account.login == request.requester:
        raise PermissionDenied("a request is never decided by its requester", "OWN_EXPORT_REQUEST")
    if not (account.is_department and account.scope_code == request.department_code):
        raise PermissionDenied(f"only the department {request.department_code} decides this request (Art. 24)")
    if request.state is not ExportState.REQUESTED:
        raise DomainError("id", f"the request is {request.state.value} already", "ALREADY_DECIDED")
    if not approve:
        if not reason:
            raise DomainError("reason", "say why the export is refused", "REASON_REQUIRED")
        return replace(request, state=ExportState.REFUSED, decided_by=account.login, decided_at=now, decision_reason=reason)
    if not request.approval_documents:
        raise DomainError(
            "id", "attach the written approval (POST /uploads?exportRequest=…&kind=APPROVAL_LETTER) first", "APPROVAL_DOCUMENT_MISSING"
        )
    approved = tuple(request.fields) if fields is None else tuple(f for f in ExportField if f in set(fields))
    full = () if full_fields is None else tuple(f for f in ExportField if f in set(full_fields))
    if not approved or any(f not in request.fields for f in approved):
        raise DomainError("fields", "approve one or more of the requested fields, no others", "FIELD_NOT_REQUESTED")
    if any(f not in request.full_fields or f not in approved for f in full):
        raise DomainError("fullFields", "only approved fields asked for in full are given in full", "FIELD_NOT_REQUESTED")
    return replace(
        request,
        state=ExportState.APPROVED,
        approved_fields=approved,
        approved_full_fields=full,
        decided_by=account.login,
        decided_at=now,
        decision_reason=reason,
    )


def _mask_number(value: str | None) -> str | None:
    if value is None:
        return None
    return value[:7] + "*" * max(len(value) - 11, 0) + value[-4:] if len(value) > 11 else mask_text(value, 1)


def row(dossier: Dossier, fields: Sequence[ExportField], full: Collection[ExportField]) -> list[str | int | date | None]:
    """One dossier as the export carries it: exactly these fields, identifiers masked
    unless named in `full`."""
    b, s = dossier.basic, dossier.status
    shown: dict[ExportField, str | int | date | None] = {
        ExportField.NUMBER: dossier.number if ExportField.NUMBER in full else _mask_number(dossier.number),
        ExportField.NAME: b.name,
        ExportField.SEX: "男" if b.sex.value == "MALE" else "女",
        ExportField.BIRTH_DATE: b.birth_date,
        ExportField.ID_NUMBER: dossier.id_document.number if ExportField.ID_NUMBER in full else dossier.id_document.masked,
        ExportField.SCHOOL_CODE: s.school_code,
        ExportField.GRADE: s.grade,
        ExportField.CLASS_NAME: s.class_name,
        ExportField.STATE: s.state.value,
        ExportField.ENTRY_DATE: s.entry_date,
        ExportField.ADDRESS: b.address if ExportField.ADDRESS in full else mask_text(b.address, 3),
        ExportField.PHONE: b.phone if ExportField.PHONE in full else mask_text(b.phone, 3),
    }
    return [shown[f] for f in fields]


LINK_LIFETIME = timedelta(minutes=5)  # a download link is issued for one download, now

LINK_CODES = declared("NOT_FOUND", "PERMISSION_DENIED", "LINK_EXPIRED")  # `check_link`


@dataclass(frozen=True)
class ExportLink:
    """A short-lived download link: for its requester only, until it expires."""

    request_id: str
    login: str
    expires_at: datetime


def check_link(link: ExportLink | None, account: Account, now: datetime) -> ExportLink:
    if link is None:
        raise DomainError("link", "no such download link", "NOT_FOUND")
    if account.disabled or account.login != link.login:
        raise PermissionDenied("a download link works only for the account it was issued to", field="link")
    if now >= link.expires_at:
        raise DomainError("link", "the link has expired; ask for a new one (ExportRequest.downloadUrl)", "LINK_EXPIRED")
    return link
