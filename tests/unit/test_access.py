"""The authorisation rules, role by role (R-A4, R-A5)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.access import (
    area_scope,
    audit_school_filter,
    may_see_registrars,
    require_school_maintainer,
    require_training_recorder,
    require_writer,
    school_scope,
)
from domain.accounts import Account, Role
from domain.errors import DomainError, PermissionDenied
from domain.jurisdiction import Ownership, School, SchoolKind

COUNTY_SCHOOL = School("2141010501", "a", SchoolKind.PRIMARY, Ownership.PUBLIC, "410105", "410105")
CITY_SCHOOL = School("2141010202", "b", SchoolKind.SPECIAL_EDUCATION, Ownership.PUBLIC, "410102", "410100")
OTHER_CITY = School("2141030201", "c", SchoolKind.PRIMARY, Ownership.PUBLIC, "410302", "410302")


def acct(role: Role, scope: str | None, trained: bool = True, disabled: bool = False) -> Account:
    return Account("someone", "某人", role, scope, date(2026, 1, 1) if trained else None, disabled=disabled)


@pytest.mark.parametrize(
    ("account", "sees"),
    [
        (acct(Role.SCHOOL_REGISTRAR, "2141010501"), {"2141010501"}),
        (acct(Role.COUNTY_DEPARTMENT, "410105"), {"2141010501"}),
        (acct(Role.COUNTY_DEPARTMENT, "410102"), set()),  # the city's school in its county is not its own
        (acct(Role.CITY_DEPARTMENT, "410100"), {"2141010501", "2141010202"}),
        (acct(Role.PROVINCE_DEPARTMENT, "410000"), {"2141010501", "2141010202", "2141030201"}),
        (acct(Role.ARCHIVIST, "410102"), {"2141010202"}),
        (acct(Role.AUDITOR, "410300"), {"2141030201"}),
        (acct(Role.ADMIN, None), {"2141010501", "2141010202", "2141030201"}),
        (acct(Role.PROVINCE_DEPARTMENT, "410000", disabled=True), set()),
    ],
)
def test_school_scope(account: Account, sees: set[str]) -> None:
    scope = school_scope(account)
    assert {s.code for s in (COUNTY_SCHOOL, CITY_SCHOOL, OTHER_CITY) if scope.contains(s)} == sees


def test_area_scope_is_subtree_plus_path_above() -> None:
    city = area_scope(acct(Role.CITY_DEPARTMENT, "410100"))
    assert city.contains("410000") and city.contains("410100") and city.contains("410105")
    assert not city.contains("410300") and not city.contains("410302")
    registrar = area_scope(acct(Role.SCHOOL_REGISTRAR, "2141010501"), COUNTY_SCHOOL)
    assert {c for c in ("410000", "410100", "410105", "410102") if registrar.contains(c)} == {"410000", "410100", "410105"}
    assert not area_scope(acct(Role.SCHOOL_REGISTRAR, "2141010501"), None).contains("410000")


@pytest.mark.parametrize(
    ("account", "code"),
    [
        (acct(Role.AUDITOR, "410000"), "READ_ONLY_ROLE"),
        (acct(Role.SCHOOL_REGISTRAR, "2141010501", trained=False), "REGISTRAR_NOT_TRAINED"),
        (acct(Role.COUNTY_DEPARTMENT, "410105", disabled=True), "ACCOUNT_DISABLED"),
    ],
)
def test_write_gate_refuses(account: Account, code: str) -> None:
    with pytest.raises(PermissionDenied) as e:
        require_writer(account)
    assert e.value.code == code


def test_write_gate_lets_trained_registrars_and_departments_through() -> None:
    require_writer(acct(Role.SCHOOL_REGISTRAR, "2141010501"))
    require_writer(acct(Role.COUNTY_DEPARTMENT, "410105", trained=False))  # training is a registrar rule


def test_school_maintainers() -> None:
    require_school_maintainer(acct(Role.SCHOOL_REGISTRAR, "2141010501"), COUNTY_SCHOOL)
    require_school_maintainer(acct(Role.COUNTY_DEPARTMENT, "410105"), COUNTY_SCHOOL)
    require_school_maintainer(acct(Role.CITY_DEPARTMENT, "410100"), CITY_SCHOOL)
    for account, school in [
        (acct(Role.SCHOOL_REGISTRAR, "2141010502"), COUNTY_SCHOOL),
        (acct(Role.CITY_DEPARTMENT, "410100"), COUNTY_SCHOOL),
        (acct(Role.COUNTY_DEPARTMENT, "410102"), CITY_SCHOOL),
        (acct(Role.ADMIN, None), COUNTY_SCHOOL),
    ]:
        with pytest.raises(PermissionDenied):
            require_school_maintainer(account, school)


def test_training_is_recorded_by_the_supervising_department_only() -> None:
    require_training_recorder(acct(Role.COUNTY_DEPARTMENT, "410105"), COUNTY_SCHOOL)
    with pytest.raises(PermissionDenied):
        require_training_recorder(acct(Role.PROVINCE_DEPARTMENT, "410000"), COUNTY_SCHOOL)


def test_registrar_details_and_audit_trail_visibility() -> None:
    assert may_see_registrars(acct(Role.CITY_DEPARTMENT, "410100"), "2141010501")
    assert may_see_registrars(acct(Role.SCHOOL_REGISTRAR, "2141010501"), "2141010501")
    assert not may_see_registrars(acct(Role.AUDITOR, "410000"), "2141010501")
    assert audit_school_filter(acct(Role.AUDITOR, "410000")) is not None
    city_auditor = audit_school_filter(acct(Role.AUDITOR, "410100"))
    assert city_auditor is not None and city_auditor.contains(COUNTY_SCHOOL) and not city_auditor.contains(OTHER_CITY)
    assert audit_school_filter(acct(Role.PROVINCE_DEPARTMENT, "410000")) is None
    assert audit_school_filter(acct(Role.ADMIN, None)) is None


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.SCHOOL_REGISTRAR, "410105"),
        (Role.COUNTY_DEPARTMENT, "410100"),
        (Role.CITY_DEPARTMENT, "410105"),
        (Role.PROVINCE_DEPARTMENT, "410100"),
        (Role.ADMIN, "410000"),
        (Role.AUDITOR, None),
    ],
)
def test_accounts_refuse_a_scope_of_the_wrong_kind(role: Role, scope: str | None) -> None:
    with pytest.raises(DomainError):
        Account("someone", "某人", role, scope)
