"""Administering accounts through GraphQL (R-A4; Art. 3, 21, 22): who creates, disables and
re-enables which account, the filing with the level above, every refusal changing nothing,
and a disabled account refused from its very next request.

Against an API of its own: the shared deployment's tests count the demo registrars."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from storage.embedded import Endpoints
from tests.support import ApiServer, GraphQLClient, settings_for

ACCOUNT = "account { login name role scopeCode phone disabled trainedOn filedOn filingReference }"
CREATE = f"""mutation($input: CreateAccountInput!) {{ createAccount(input: $input) {{ __typename
  ... on CreateAccountSuccess {{ {ACCOUNT} }} ... on CreateAccountError {{ code field message }} }} }}"""
DISABLE = f"""mutation($input: SetAccountDisabledInput!) {{ disableAccount(input: $input) {{ __typename
  ... on DisableAccountSuccess {{ {ACCOUNT} }} ... on DisableAccountError {{ code field message }} }} }}"""
ENABLE = f"""mutation($input: SetAccountDisabledInput!) {{ enableAccount(input: $input) {{ __typename
  ... on EnableAccountSuccess {{ {ACCOUNT} }} ... on EnableAccountError {{ code field message }} }} }}"""
FILE = f"""mutation($input: RecordAccountFilingInput!) {{ recordAccountFiling(input: $input) {{ __typename
  ... on RecordAccountFilingSuccess {{ {ACCOUNT} }} ... on RecordAccountFilingError {{ code field message }} }} }}"""
VIEWER = "{ viewer { login role canWrite } }"


@pytest.fixture(scope="module")
def accounts_api(endpoints: Endpoints) -> Iterator[ApiServer]:
    server = ApiServer(settings_for(endpoints)).start()
    yield server
    server.stop()


@pytest.fixture
def client(accounts_api: ApiServer) -> Iterator[GraphQLClient]:
    with httpx.Client(base_url=accounts_api.base_url, timeout=60) as http:
        yield GraphQLClient(http, accounts_api.settings)


@pytest.fixture(scope="module")
def store(accounts_api: ApiServer) -> Iterator[Any]:
    assert accounts_api.settings.mongodb_uri is not None
    mongo: MongoClient[dict[str, Any]] = MongoClient(accounts_api.settings.mongodb_uri, tz_aware=True)
    yield mongo[accounts_api.settings.mongodb_database]
    mongo.close()


def create(client: GraphQLClient, as_: str, login: str, role: str, scope: str | None, **more: Any) -> dict[str, Any]:
    value = {"login": login, "name": more.pop("name", "新账号"), "role": role, "scopeCode": scope, **more}
    result: dict[str, Any] = client(CREATE, {"input": value}, as_=as_)["createAccount"]
    return result


def act(client: GraphQLClient, mutation: str, as_: str, **value: Any) -> dict[str, Any]:
    name = mutation.split("{", 2)[1].split("(")[0].strip()
    result: dict[str, Any] = client(mutation, {"input": value}, as_=as_)[name]
    return result


def state(store: Any) -> tuple[list[dict[str, Any]], int]:
    """Accounts and the account log: what a refused mutation must leave as it was."""
    return list(store.accounts.find({}, sort=[("_id", 1)])), store.transitions.count_documents({"aggregate": "account"})


def status(client: GraphQLClient, login: str) -> int:
    return client.post(VIEWER, as_=login).status_code


@pytest.mark.parametrize(
    ("actor", "login", "role", "scope"),
    [
        ("jinshui.dept", "jinshui.r2", "SCHOOL_REGISTRAR", "2141010502"),  # a school it supervises
        ("zhengzhou.dept", "jinshui.auditor", "AUDITOR", "410105"),  # archivists and auditors: a city or the province
        ("henan.dept", "jinshui.archivist", "ARCHIVIST", "410105"),
        ("zhengzhou.dept", "tejiao.r2", "SCHOOL_REGISTRAR", "2141010202"),  # its 直管学校
        ("zhengzhou.dept", "zhongmou.dept2", "COUNTY_DEPARTMENT", "410122"),
        ("zhengzhou.dept", "zhongyuan.auditor", "AUDITOR", "410102"),
        ("henan.dept", "luoyang.dept2", "CITY_DEPARTMENT", "410300"),
        ("henan.dept", "xinan.dept", "COUNTY_DEPARTMENT", "410323"),
        ("henan.dept", "shiyan.r", "SCHOOL_REGISTRAR", "2141012202"),  # the province's 直管学校
        ("admin", "second.admin", "ADMIN", None),
        ("admin", "weihui.r", "SCHOOL_REGISTRAR", "2141078101"),
    ],
)
def test_inside_its_scope_an_administrator_creates_an_account_that_signs_in_at_once(
    client: GraphQLClient, store: Any, actor: str, login: str, role: str, scope: str | None
) -> None:
    result = create(client, actor, login, role, scope, phone="0371-65000000")
    assert result["__typename"] == "CreateAccountSuccess", result
    assert result["account"] == {
        "login": login, "name": "新账号", "role": role, "scopeCode": scope, "phone": "0371-65000000", "disabled": False,
        "trainedOn": None, "filedOn": None, "filingReference": None,
    }
    assert client(VIEWER, as_=login)["viewer"]["role"] == role
    entry = store.transitions.find_one({"_id": f"account:{login}:0000000001"})
    assert entry["action"] == "ACCOUNT_CREATED" and entry["actor"] == actor
    event = store.audit_events.find_one({"action": "mutation:createAccount", "target_id": login})
    assert event["outcome"] == "ok" and event["actor"] == actor
    if role == "SCHOOL_REGISTRAR":
        assert event["school_code"] == scope  # the county's and city's auditors see it
        assert client(VIEWER, as_=login)["viewer"]["canWrite"] is False  # until trained (Art. 22)


@pytest.mark.parametrize(
    ("actor", "role", "scope", "code", "field"),
    [
        # outside its scope: what it cannot see does not exist for it
        ("jinshui.dept", "SCHOOL_REGISTRAR", "2141010201", "NOT_FOUND", "scopeCode"),  # another county's school
        ("zhongyuan.dept", "SCHOOL_REGISTRAR", "2141010202", "NOT_FOUND", "scopeCode"),  # the city's school in its county
        ("jinshui.dept", "AUDITOR", "410102", "NOT_FOUND", "scopeCode"),
        ("zhengzhou.dept", "COUNTY_DEPARTMENT", "410302", "NOT_FOUND", "scopeCode"),  # another city's county
        ("admin", "SCHOOL_REGISTRAR", "2141099999", "NOT_FOUND", "scopeCode"),  # no such school
        ("admin", "AUDITOR", "410199", "NOT_FOUND", "scopeCode"),  # no such area
        # seen, but not its to create
        ("zhengzhou.dept", "SCHOOL_REGISTRAR", "2141010501", "PERMISSION_DENIED", None),  # the county supervises it
        ("henan.dept", "SCHOOL_REGISTRAR", "2141010501", "PERMISSION_DENIED", None),
        ("jinshui.dept", "AUDITOR", "410100", "PERMISSION_DENIED", None),  # the area above
        # an auditor or archivist of a county sees the city's and province's schools located
        # there, which the county department does not: a county creates neither
        ("jinshui.dept", "AUDITOR", "410105", "PERMISSION_DENIED", None),
        ("zhongyuan.dept", "ARCHIVIST", "410102", "PERMISSION_DENIED", None),
        # roles: never an admin, never its own level or above
        ("jinshui.dept", "ADMIN", None, "PERMISSION_DENIED", None),
        ("henan.dept", "ADMIN", None, "PERMISSION_DENIED", None),
        ("jinshui.dept", "COUNTY_DEPARTMENT", "410105", "PERMISSION_DENIED", None),
        ("zhengzhou.dept", "CITY_DEPARTMENT", "410100", "PERMISSION_DENIED", None),
        ("zhengzhou.dept", "PROVINCE_DEPARTMENT", "410000", "PERMISSION_DENIED", None),
        ("henan.dept", "PROVINCE_DEPARTMENT", "410000", "PERMISSION_DENIED", None),
        ("weiwu.registrar", "SCHOOL_REGISTRAR", "2141010501", "PERMISSION_DENIED", None),
        ("zhengzhou.archivist", "ARCHIVIST", "410100", "PERMISSION_DENIED", None),
        ("henan.auditor", "AUDITOR", "410105", "READ_ONLY_ROLE", None),
        ("waiguoyu.registrar", "SCHOOL_REGISTRAR", "2141010503", "REGISTRAR_NOT_TRAINED", None),
        # bad input
        ("admin", "COUNTY_DEPARTMENT", "410100", "INVALID_SCOPE", "scopeCode"),
        ("admin", "SCHOOL_REGISTRAR", "410105", "INVALID_SCHOOL_CODE", "scopeCode"),
        ("admin", "ADMIN", "410000", "INVALID_SCOPE", "scopeCode"),
    ],
)
def test_outside_its_scope_role_or_form_nothing_is_created(
    client: GraphQLClient, store: Any, actor: str, role: str, scope: str | None, code: str, field: str | None
) -> None:
    before = state(store)
    result = create(client, actor, "refused.account", role, scope)
    assert (result["__typename"], result["code"], result["field"]) == ("CreateAccountError", code, field)
    assert state(store) == before
    event = store.audit_events.find_one({"action": "mutation:createAccount", "actor": actor, "outcome": code})
    assert event is not None


@pytest.mark.parametrize(
    ("value", "code", "field"),
    [
        ({"login": "Capital.Letters"}, "INVALID_LOGIN", "login"),
        ({"login": "zhongyuan.dept"}, "LOGIN_TAKEN", "login"),  # a seeded account
        ({"name": " "}, "INVALID_VALUE", "name"),
        ({"phone": "0371\n1"}, "INVALID_VALUE", "phone"),
    ],
)
def test_bad_input_creates_nothing(client: GraphQLClient, store: Any, value: dict[str, Any], code: str, field: str) -> None:
    before = state(store)
    result = create(client, "jinshui.dept", **{"login": "bad.input", "role": "SCHOOL_REGISTRAR", "scope": "2141010502", **value})
    assert (result["code"], result["field"]) == (code, field)
    assert state(store) == before


def test_a_login_is_created_once(client: GraphQLClient, store: Any) -> None:
    assert create(client, "henan.dept", "once.auditor", "AUDITOR", "410105")["__typename"] == "CreateAccountSuccess"
    before = state(store)
    assert create(client, "admin", "once.auditor", "ARCHIVIST", "410000")["code"] == "LOGIN_TAKEN"
    assert state(store) == before


def test_a_disabled_account_is_refused_from_its_very_next_request_and_re_enabled(client: GraphQLClient, store: Any) -> None:
    assert create(client, "jinshui.dept", "leaving.registrar", "SCHOOL_REGISTRAR", "2141010503")["__typename"] == "CreateAccountSuccess"
    token = client.token("leaving.registrar")  # held by the person, minted before the change
    headers = {"Authorization": f"Bearer {token}"}
    assert client.http.post("/graphql", json={"query": VIEWER}, headers=headers).status_code == 200

    disabled = act(client, DISABLE, "jinshui.dept", login="leaving.registrar", reason="调离学籍岗位")
    assert disabled["__typename"] == "DisableAccountSuccess" and disabled["account"]["disabled"] is True
    refused = client.http.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert refused.status_code == 401 and refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    upload = client.http.post("/uploads", params={"student": "G1", "kind": "HOUSEHOLD_REGISTER"}, content=b"x", headers=headers)
    assert upload.status_code == 401
    assert act(client, DISABLE, "jinshui.dept", login="leaving.registrar")["code"] == "NOTHING_TO_CHANGE"

    enabled = act(client, ENABLE, "jinshui.dept", login="leaving.registrar", reason="返岗")
    assert enabled["__typename"] == "EnableAccountSuccess" and enabled["account"]["disabled"] is False
    assert client.http.post("/graphql", json={"query": VIEWER}, headers=headers).status_code == 200
    assert act(client, ENABLE, "jinshui.dept", login="leaving.registrar")["code"] == "NOTHING_TO_CHANGE"

    versions = [store.transitions.find_one({"_id": f"account:leaving.registrar:{v:010d}"}) for v in (1, 2, 3)]
    assert [(e["action"], e["change"]["reason"]) for e in versions] == [
        ("ACCOUNT_CREATED", None), ("ACCOUNT_DISABLED", "调离学籍岗位"), ("ACCOUNT_ENABLED", "返岗"),
    ]
    assert versions[1]["change"]["changes"] == {"disabled": {"old": False, "new": True}}
    actions = [e["action"] for e in store.audit_events.find({"target_id": "leaving.registrar"}, sort=[("at", 1)])]
    assert actions[:3] == ["mutation:createAccount", "mutation:disableAccount", "mutation:disableAccount"]


def test_a_disabled_registrar_leaves_the_schools_filed_registrars(client: GraphQLClient) -> None:
    assert create(client, "hongqi.dept", "hongqi.r2", "SCHOOL_REGISTRAR", "2141070201")["__typename"] == "CreateAccountSuccess"
    query = '{ school(code: "2141070201") { registrars { login } } }'
    assert {"login": "hongqi.r2"} in client(query, as_="hongqi.dept")["school"]["registrars"]
    assert act(client, DISABLE, "hongqi.dept", login="hongqi.r2")["__typename"] == "DisableAccountSuccess"
    assert {"login": "hongqi.r2"} not in client(query, as_="hongqi.dept")["school"]["registrars"]


@pytest.mark.parametrize(
    ("actor", "login", "code"),
    [
        ("jinshui.dept", "funiu.registrar", "NOT_FOUND"),  # another county's registrar
        ("jinshui.dept", "zhengzhou.dept", "NOT_FOUND"),  # the city above
        ("jinshui.dept", "admin", "NOT_FOUND"),
        ("jinshui.dept", "nobody.here", "NOT_FOUND"),
        ("zhengzhou.dept", "weiwu.registrar", "PERMISSION_DENIED"),  # seen, but the county supervises the school
        ("zhengzhou.dept", "zhengzhou.dept", "PERMISSION_DENIED"),  # its own account
        ("admin", "admin", "PERMISSION_DENIED"),
        ("henan.auditor", "weiwu.registrar", "READ_ONLY_ROLE"),
        ("weiwu.registrar", "weiwu.registrar", "PERMISSION_DENIED"),
    ],
)
def test_disabling_outside_its_scope_or_its_own_account_is_refused(
    client: GraphQLClient, store: Any, actor: str, login: str, code: str
) -> None:
    before = state(store)
    assert act(client, DISABLE, actor, login=login)["code"] == code
    assert act(client, ENABLE, actor, login=login)["code"] == code
    assert state(store) == before
    if login != "nobody.here":
        assert status(client, login) == 200  # still signs in


def test_the_level_above_records_the_filing(client: GraphQLClient, store: Any) -> None:
    filed = act(client, FILE, "jinshui.dept", login="weiwu.registrar", filedOn="2026-03-05", reference="金教学籍备〔2026〕3号")
    assert filed["__typename"] == "RecordAccountFilingSuccess", filed
    assert (filed["account"]["filedOn"], filed["account"]["filingReference"]) == ("2026-03-05", "金教学籍备〔2026〕3号")
    registrars = client('{ school(code: "2141010501") { registrars { login filedOn filingReference } } }', as_="zhengzhou.dept")
    assert registrars["school"]["registrars"] == [
        {"login": "weiwu.registrar", "filedOn": "2026-03-05", "filingReference": "金教学籍备〔2026〕3号"}
    ]
    entry = store.transitions.find_one({"aggregate": "account", "aggregate_id": "weiwu.registrar", "action": "FILING_RECORDED"})
    assert entry["change"]["changes"]["filedOn"] == {"old": None, "new": "2026-03-05"}
    # a county department's filing is the city's to record, a city's the province's, the province's the admin's
    assert act(client, FILE, "zhengzhou.dept", login="jinshui.dept", filedOn="2026-02-01", reference="郑教备1号")["__typename"] == "RecordAccountFilingSuccess"
    assert act(client, FILE, "henan.dept", login="luoyang.dept", filedOn="2026-02-01", reference="豫教备2号")["__typename"] == "RecordAccountFilingSuccess"
    assert act(client, FILE, "admin", login="henan.dept", filedOn="2026-02-01", reference="教备3号")["__typename"] == "RecordAccountFilingSuccess"


@pytest.mark.parametrize(
    ("actor", "login", "on", "reference", "code", "field"),
    [
        ("henan.dept", "weiwu.registrar", "2026-03-05", "备1", "PERMISSION_DENIED", None),  # not one level up
        ("admin", "weiwu.registrar", "2026-03-05", "备1", "PERMISSION_DENIED", None),
        ("jinshui.dept", "jinshui.dept", "2026-03-05", "备1", "PERMISSION_DENIED", None),  # its own filing is the city's
        ("jinshui.dept", "funiu.registrar", "2026-03-05", "备1", "NOT_FOUND", "login"),
        ("jinshui.dept", "weiwu.registrar", (date.today() + timedelta(days=2)).isoformat(), "备1", "DATE_IN_FUTURE", "filedOn"),
        ("jinshui.dept", "weiwu.registrar", "2026-03-05", "  ", "INVALID_VALUE", "reference"),
        ("henan.auditor", "weiwu.registrar", "2026-03-05", "备1", "READ_ONLY_ROLE", None),
    ],
)
def test_a_filing_out_of_turn_or_malformed_is_refused(
    client: GraphQLClient, store: Any, actor: str, login: str, on: str, reference: str, code: str, field: str | None
) -> None:
    before = state(store)
    result = act(client, FILE, actor, login=login, filedOn=on, reference=reference)
    assert (result["code"], result["field"]) == (code, field)
    assert state(store) == before


def test_a_login_raced_for_by_eight_administrators_is_created_once(accounts_api: ApiServer, store: Any) -> None:
    from tests.api.test_concurrency import WRITERS, at_once

    actors = ["admin", "zhengzhou.dept", "henan.dept", "admin"] * 2
    results = at_once(
        accounts_api.settings, accounts_api.base_url,
        lambda c, i: create(c, actors[i], "raced.auditor", "AUDITOR", "410105", name=f"第{i}个"),
    )
    outcomes = sorted(r["__typename"] if r["__typename"] == "CreateAccountSuccess" else r["code"] for r in results)
    assert outcomes == ["CreateAccountSuccess"] + ["LOGIN_TAKEN"] * (WRITERS - 1)
    assert store.transitions.count_documents({"aggregate": "account", "aggregate_id": "raced.auditor"}) == 1
    (winner,) = [r["account"] for r in results if r["__typename"] == "CreateAccountSuccess"]
    assert store.accounts.find_one({"_id": "raced.auditor"})["name"] == winner["name"]
