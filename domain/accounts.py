"""Accounts, roles and scopes (R-A4, R-A5; Art. 21, 22)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.errors import DomainError
from domain.jurisdiction import AreaLevel, area_level, validate_area_code, validate_school_code
from domain.text import ascii_pattern

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
