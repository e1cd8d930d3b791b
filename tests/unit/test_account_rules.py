"""Who administers which account (R-A4; Art. 3, 21, 22), every actor role against every
kind of target: creating, disabling and re-enabling (`may_manage_account`), looking it up
(`may_see_account`) and recording its filing with the level above (`may_record_filing`)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.access import (
    filing_department,
    may_manage_account,
    may_record_filing,
    may_see_account,
    require_account_administrator,
    require_account_manager,
    require_filing_recorder,
)
from domain.accounts import Account, Role, login_of, new_account
from domain.errors import DomainError
from domain.jurisdiction import Ownership, School, SchoolKind

K, O, R = SchoolKind, Ownership, Role
SCHOOLS = {
    s.code: s
    for s in (
        School("2141010501", "县管小学", K.PRIMARY, O.PUBLIC, "410105", "410105"),
        School("2141010202", "市直管特教学校", K.SPECIAL_EDUCATION, O.PUBLIC, "410102", "410100"),
        School("2141012202", "省直管学校", K.TWELVE_YEAR, O.PUBLIC, "410122", "410000"),
        School("2141030201", "洛阳的小学", K.PRIMARY, O.PUBLIC, "410302", "410302"),
    )
}
TRAINED = date(2026, 3, 1)

ACTORS = {
    "admin": Account("admin", "系统管理员", R.ADMIN, None),
    "province": Account("henan.dept", "省", R.PROVINCE_DEPARTMENT, "410000"),
    "city": Account("zhengzhou.dept", "郑州", R.CITY_DEPARTMENT, "410100"),
    "county": Account("jinshui.dept", "金水", R.COUNTY_DEPARTMENT, "410105"),
    "other county": Account("zhongyuan.dept", "中原", R.COUNTY_DEPARTMENT, "410102"),
    "registrar": Account("weiwu.registrar", "纬五路", R.SCHOOL_REGISTRAR, "2141010501", TRAINED),
    "archivist": Account("zhengzhou.archivist", "档案", R.ARCHIVIST, "410100"),
    "auditor": Account("henan.auditor", "审计", R.AUDITOR, "410000"),
    "disabled admin": Account("old.admin", "停用管理员", R.ADMIN, None, disabled=True),
}

TARGETS = {
    "admin": Account("second.admin", "管理员", R.ADMIN, None),
    "province dept": Account("t.province", "省", R.PROVINCE_DEPARTMENT, "410000"),
    "its city dept": Account("t.zhengzhou", "郑州", R.CITY_DEPARTMENT, "410100"),
    "other city dept": Account("t.luoyang", "洛阳", R.CITY_DEPARTMENT, "410300"),
    "jinshui dept": Account("t.jinshui", "金水", R.COUNTY_DEPARTMENT, "410105"),
    "zhongyuan dept": Account("t.zhongyuan", "中原", R.COUNTY_DEPARTMENT, "410102"),
    "laocheng dept": Account("t.laocheng", "老城", R.COUNTY_DEPARTMENT, "410302"),
    "province archivist": Account("t.p.archivist", "档案", R.ARCHIVIST, "410000"),
    "zhengzhou auditor": Account("t.z.auditor", "审计", R.AUDITOR, "410100"),
    "jinshui archivist": Account("t.j.archivist", "档案", R.ARCHIVIST, "410105"),
    "jinshui auditor": Account("t.j.auditor", "审计", R.AUDITOR, "410105"),
    "laocheng auditor": Account("t.l.auditor", "审计", R.AUDITOR, "410302"),
    "registrar of a county school": Account("t.r1", "管理员", R.SCHOOL_REGISTRAR, "2141010501"),
    "registrar of the city's school": Account("t.r2", "管理员", R.SCHOOL_REGISTRAR, "2141010202"),
    "registrar of the province's school": Account("t.r3", "管理员", R.SCHOOL_REGISTRAR, "2141012202"),
    "registrar in another city": Account("t.r4", "管理员", R.SCHOOL_REGISTRAR, "2141030201"),
}
EVERY_TARGET = frozenset(TARGETS) | {"itself"}

MANAGES = {
    "admin": EVERY_TARGET - {"itself"},
    "province": {
        "its city dept", "other city dept", "jinshui dept", "zhongyuan dept", "laocheng dept", "province archivist",
        "zhengzhou auditor", "jinshui archivist", "jinshui auditor", "laocheng auditor", "registrar of the province's school",
    },
    # archivists and auditors see every school located in their area, directly managed ones
    # included, which a county does not see: a county creates none of them
    "city": {
        "jinshui dept", "zhongyuan dept", "zhengzhou auditor", "jinshui archivist", "jinshui auditor",
        "registrar of the city's school",
    },
    "county": {"registrar of a county school"},
    "other county": set(),
    "registrar": set(),
    "archivist": set(),
    "auditor": set(),
    "disabled admin": set(),
}

SEES = {
    "admin": EVERY_TARGET,
    "province": EVERY_TARGET - {"admin"},
    "city": {
        "itself", "its city dept", "jinshui dept", "zhongyuan dept", "zhengzhou auditor", "jinshui archivist",
        "jinshui auditor", "registrar of a county school", "registrar of the city's school",
        "registrar of the province's school",
    },
    "county": {"itself", "jinshui dept", "jinshui archivist", "jinshui auditor", "registrar of a county school"},
    "other county": {"itself", "zhongyuan dept"},
    "registrar": {"itself"},
    "archivist": {"itself"},
    "auditor": {"itself"},
    "disabled admin": set(),
}

RECORDS_FILING = {
    "admin": {"itself", "admin", "province dept", "province archivist"},
    "province": {"its city dept", "other city dept", "zhengzhou auditor", "registrar of the province's school"},
    "city": {"jinshui dept", "zhongyuan dept", "jinshui archivist", "jinshui auditor", "registrar of the city's school"},
    "county": {"registrar of a county school"},
    "other county": set(),
    "registrar": set(),
    "archivist": set(),
    "auditor": set(),
    "disabled admin": set(),
}


def _target(actor: Account, label: str) -> tuple[Account, School | None]:
    target = actor if label == "itself" else TARGETS[label]
    school = SCHOOLS.get(target.scope_code or "") if target.role is R.SCHOOL_REGISTRAR else None
    return target, school


def _allowed(rule, actor_label: str) -> set[str]:  # type: ignore[no-untyped-def]
    actor = ACTORS[actor_label]
    return {label for label in EVERY_TARGET if rule(actor, *_target(actor, label))}


@pytest.mark.parametrize("actor", list(ACTORS))
def test_who_creates_disables_and_re_enables_which_account(actor: str) -> None:
    assert _allowed(may_manage_account, actor) == MANAGES[actor]


@pytest.mark.parametrize("actor", list(ACTORS))
def test_which_accounts_an_administrator_may_look_up(actor: str) -> None:
    assert _allowed(may_see_account, actor) == SEES[actor]


@pytest.mark.parametrize("actor", list(ACTORS))
def test_who_records_the_filing_with_the_level_above(actor: str) -> None:
    assert _allowed(may_record_filing, actor) == RECORDS_FILING[actor]


def test_what_an_administrator_manages_it_also_sees() -> None:
    for actor in ACTORS:
        assert MANAGES[actor] <= SEES[actor], actor


def test_filing_goes_one_level_up() -> None:
    assert filing_department(TARGETS["jinshui dept"], None) == "410100"
    assert filing_department(TARGETS["its city dept"], None) == "410000"
    assert filing_department(TARGETS["province dept"], None) is None
    assert filing_department(TARGETS["admin"], None) is None
    registrar, school = _target(ACTORS["admin"], "registrar of the city's school")
    assert filing_department(registrar, school) == "410100"


@pytest.mark.parametrize(
    ("actor", "code"),
    [
        ("auditor", "READ_ONLY_ROLE"),
        ("registrar", "PERMISSION_DENIED"),
        ("archivist", "PERMISSION_DENIED"),
        ("disabled admin", "ACCOUNT_DISABLED"),
    ],
)
def test_roles_that_administer_no_account_are_refused_before_anything_else(actor: str, code: str) -> None:
    with pytest.raises(DomainError) as e:
        require_account_administrator(ACTORS[actor])
    assert e.value.code == code
    untrained = Account("new.registrar", "新", R.SCHOOL_REGISTRAR, "2141010501")
    with pytest.raises(DomainError) as e:
        require_account_administrator(untrained)
    assert e.value.code == "REGISTRAR_NOT_TRAINED"


def test_the_gates_refuse_with_permission_denied_what_the_rules_refuse() -> None:
    county, admin = ACTORS["county"], ACTORS["admin"]
    for gate in (require_account_manager, require_filing_recorder):
        with pytest.raises(DomainError) as e:
            gate(county, *_target(county, "zhongyuan dept"))
        assert e.value.code == "PERMISSION_DENIED"
    require_account_manager(county, *_target(county, "registrar of a county school"))
    with pytest.raises(DomainError) as refused:
        require_account_manager(county, *_target(county, "jinshui auditor"))
    assert refused.value.code == "PERMISSION_DENIED"
    require_filing_recorder(admin, *_target(admin, "province dept"))


@pytest.mark.parametrize(
    ("login", "role", "scope", "field", "code"),
    [
        ("Upper.Case", R.AUDITOR, "410105", "login", "INVALID_LOGIN"),
        ("ab", R.AUDITOR, "410105", "login", "INVALID_LOGIN"),
        ("new.registrar", R.SCHOOL_REGISTRAR, "410105", "scopeCode", "INVALID_SCHOOL_CODE"),
        ("new.county", R.COUNTY_DEPARTMENT, "410100", "scopeCode", "INVALID_SCOPE"),
        ("new.city", R.CITY_DEPARTMENT, "2141010501", "scopeCode", "INVALID_AREA_CODE"),
        ("new.admin", R.ADMIN, "410000", "scopeCode", "INVALID_SCOPE"),
        ("new.auditor", R.AUDITOR, None, "scopeCode", "INVALID_AREA_CODE"),
    ],
)
def test_a_new_accounts_login_and_scope_fit_its_role(login: str, role: Role, scope: str | None, field: str, code: str) -> None:
    with pytest.raises(DomainError) as e:
        new_account(login, "名字", role, scope)
    assert (e.value.field, e.value.code) == (field, code)


def test_a_new_account_is_normalised_enabled_and_neither_trained_nor_filed() -> None:
    account = new_account(" new.registrar ", " 新任管理员 ", R.SCHOOL_REGISTRAR, "２１４１０１０５０１", " 0371-1 ")
    assert account == Account("new.registrar", "新任管理员", R.SCHOOL_REGISTRAR, "2141010501", phone="0371-1")
    assert not account.disabled and account.trained_on is None and account.filed_on is None
    assert new_account("first.admin", "管理员", R.ADMIN, "  ").scope_code is None
    with pytest.raises(DomainError) as e:
        new_account("a.b.c", "名\n字", R.ADMIN, None)
    assert (e.value.field, e.value.code) == ("name", "INVALID_VALUE")


def test_a_login_has_one_spelling_and_keeps_its_case() -> None:
    assert login_of(" ｊｉｎｓｈｕｉ.dept\u3000") == "jinshui.dept"
    assert login_of("Jinshui.Dept") == "Jinshui.Dept"  # refused by the login rule, never lowered
