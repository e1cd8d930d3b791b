"""Accounts, roles and scopes (R-A4, R-A5; Art. 21, 22)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.error_codes import declared
from domain.errors import DomainError
from domain.jurisdiction import AreaLevel, area_level, validate_area_code, validate_school_code
from domain.text import ONE_LINE, SHORT, TEXT_CODES, ascii_pattern, optional_text, required_text

_LOGIN = ascii_pattern(r"[a-z][a-z0-9._-]{2,63}")


class Role(StrEnum):
    SCHOOL_REGISTRAR = "SCHOOL_REGISTRAR"  # 学校学籍管理员: one school
    COUNTY_DEPARTMENT = "COUNTY_DEPARTMENT"  # 县级教育行政部门
    CITY_DEPARTMENT = "CITY_DEPARTMENT"  # 省辖市教育行政部门
    PROVINCE_DEPARTMENT = "PROVINCE_DEPARTMENT"  # 省级教育行政部门
    ARCHIVIST = "ARCHIVIST"  # archive handovers, retention, integrity (Art. 19)
    AUDITOR = "AUDITOR"  # read-only: compliance and the audit trail
    ADMIN = "ADMIN"  # system administration; no access to dossiers


DEPARTMENT_LEVEL: dict[Role, AreaLevel] = {
    Role.COUNTY_DEPARTMENT: AreaLevel.COUNTY,
    Role.CITY_DEPARTMENT: AreaLevel.CITY,
    Role.PROVINCE_DEPARTMENT: AreaLevel.PROVINCE,
}

AREA_SCOPED_ROLES = frozenset({*DEPARTMENT_LEVEL, Role.ARCHIVIST, Role.AUDITOR})


@dataclass(frozen=True)
class Account:
    """A person who signs in. `scope_code` is a school identifier for registrars, an area
    code for departments, archivists and auditors, and None for the system admin."""

    login: str
    name: str
    role: Role
    scope_code: str | None
    trained_on: date | None = None  # Art. 22: 先培训后上岗
    phone: str | None = None  # 备案 details, visible to the supervising level
    disabled: bool = False
    filed_on: date | None = None  # Art. 22: the details filed with (报送…备案) the level above
    filing_reference: str | None = None

    def __post_init__(self) -> None:
        if not _LOGIN.fullmatch(self.login):
            raise DomainError("login", "a login is 3-64 lower-case letters, digits, '.', '_' or '-'", "INVALID_LOGIN")
        if self.role is Role.SCHOOL_REGISTRAR:
            validate_school_code(self.scope_code or "")
        elif self.role in AREA_SCOPED_ROLES:
            validate_area_code(self.scope_code or "")
            expected = DEPARTMENT_LEVEL.get(self.role)
            if expected is not None and area_level(self.scope_code or "") is not expected:
                raise DomainError("scopeCode", f"a {self.role.value} is scoped to a {expected.value} area", "INVALID_SCOPE")
        elif self.scope_code is not None:
            raise DomainError("scopeCode", "the system admin has no scope", "INVALID_SCOPE")

    @property
    def is_department(self) -> bool:
        return self.role in DEPARTMENT_LEVEL

    @property
    def trained(self) -> bool:
        return self.trained_on is not None


# What `new_account` refuses: the login, the name and phone, the scope for the role.
NEW_ACCOUNT_CODES = declared("INVALID_LOGIN", *TEXT_CODES, "INVALID_SCHOOL_CODE", "INVALID_AREA_CODE", "INVALID_SCOPE")


def login_of(text: str) -> str:
    """A login as typed, in its one spelling: NFKC (full-width letters become ASCII), stripped.
    Case is kept: an upper-case login is refused, never silently lowered."""
    return unicodedata.normalize("NFKC", text).strip()


def new_account(login: str, name: str, role: Role, scope_code: str | None, phone: str | None = None) -> Account:
    """An account as a manager (or `scripts/admin create-admin`) creates it: enabled, not yet
    trained or filed. The scope fits the role: a school identifier for a registrar, an area
    of the department's level, any area for an archivist or auditor, none for the admin."""
    login = login_of(login)
    name = required_text("name", name, max_length=ONE_LINE)
    phone = optional_text("phone", phone, max_length=SHORT)
    scope = (scope_code or "").strip() or None
    if role is Role.SCHOOL_REGISTRAR:
        scope = validate_school_code(scope or "", "scopeCode")
    elif role in AREA_SCOPED_ROLES:
        scope = validate_area_code(scope or "", "scopeCode")
        expected = DEPARTMENT_LEVEL.get(role)
        if expected is not None and area_level(scope) is not expected:
            raise DomainError("scopeCode", f"a {role.value} is scoped to a {expected.value} area", "INVALID_SCOPE")
    elif scope is not None:
        raise DomainError("scopeCode", "the system admin has no scope; leave it empty", "INVALID_SCOPE")
    return Account(login, name, role, scope, phone=phone)
