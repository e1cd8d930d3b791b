"""Loading the official lists through GraphQL (R-A1..R-A3; Art. 2, 3): areas from GB/T 2260,
then schools; a second run changes nothing, a renamed school gets a version with the
list's effective date, a refused row writes nothing, a school missing from a later list is
only reported, and only the admin loads lists.

These run against an API of their own (its own database), since they add areas and
schools that the scope tests of the shared deployment count."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from storage.embedded import Endpoints
from storage.indexes import WHOLE_READS, serving_index
from tests.support import ApiServer, GraphQLClient, settings_for

REPORT = """fragment Report on ListImportReport {
  applied effectiveOn created changed unchanged refused coverage notInList
  rows { row code outcome changes { field oldValue newValue } problems { column code message } }
}"""
IMPORT_AREAS = """mutation($input: ImportAreasInput!) { importAreas(input: $input) { __typename
  ... on ImportAreasSuccess { report { ...Report } }
  ... on ImportAreasError { code field message refusedList { ...Report } } } }
""" + REPORT
IMPORT_SCHOOLS = """mutation($input: ImportSchoolsInput!) { importSchools(input: $input) { __typename
  ... on ImportSchoolsSuccess { report { ...Report } }
  ... on ImportSchoolsError { code field message refusedList { ...Report } } } }
""" + REPORT
SCHOOL = """query($code: String!) { school(code: $code) {
  code name kind ownership areaCode supervisorCode directlyManaged
  history { version actor action effectiveOn changes { field oldValue newValue } } } }"""

XUCHANG = [
    {"code": "411000", "name": "许昌市"},
    {"code": "411002", "name": "魏都区"},
    {"code": "411003", "name": "建安区"},
    {"code": "411081", "name": "禹州市"},
]
SCHOOLS = [
    {"code": "2141100201", "name": "魏都区实验小学", "kind": "小学", "ownership": "公办", "areaCode": "411002", "row": 2},
    {"code": "2141100301", "name": "建安区育英学校", "kind": "九年一贯制学校", "ownership": "民办", "areaCode": "411003",
     "supervisorCode": "", "row": 3},
    {"code": "2141100202", "name": "许昌市特殊教育学校", "kind": "特殊教育学校", "ownership": "公办", "areaCode": "411002",
     "supervisorCode": "411000", "row": 4},
]


@pytest.fixture(scope="module")
def lists_api(endpoints: Endpoints) -> Iterator[ApiServer]:
    server = ApiServer(settings_for(endpoints)).start()
    yield server
    server.stop()


@pytest.fixture
def client(lists_api: ApiServer) -> Iterator[GraphQLClient]:
    with httpx.Client(base_url=lists_api.base_url, timeout=60) as http:
        yield GraphQLClient(http, lists_api.settings)


@pytest.fixture(scope="module")
def store(lists_api: ApiServer) -> Iterator[Any]:
    assert lists_api.settings.mongodb_uri is not None
    mongo: MongoClient[dict[str, Any]] = MongoClient(lists_api.settings.mongodb_uri, tz_aware=True)
    yield mongo[lists_api.settings.mongodb_database]
    mongo.close()


def import_areas(client: GraphQLClient, rows: list[dict[str, Any]], on: str = "2026-01-01", *, as_: str = "admin") -> dict[str, Any]:
    result: dict[str, Any] = client(IMPORT_AREAS, {"input": {"rows": rows, "effectiveOn": on}}, as_=as_)["importAreas"]
    return result


def import_schools(
    client: GraphQLClient, rows: list[dict[str, Any]], on: str = "2026-09-01", *, as_: str = "admin", source: str | None = None
) -> dict[str, Any]:
    variables = {"input": {"rows": rows, "effectiveOn": on, "source": source}}
    result: dict[str, Any] = client(IMPORT_SCHOOLS, variables, as_=as_)["importSchools"]
    return result


def logged(store: Any, aggregate: str) -> int:
    return int(store.transitions.count_documents({"aggregate": aggregate}))


@pytest.fixture(scope="module")
def loaded(lists_api: ApiServer) -> None:
    """Xuchang's areas and three of its schools, loaded once for the module."""
    with httpx.Client(base_url=lists_api.base_url, timeout=60) as http:
        client = GraphQLClient(http, lists_api.settings)
        assert import_areas(client, XUCHANG)["__typename"] == "ImportAreasSuccess"
        assert import_schools(client, SCHOOLS)["__typename"] == "ImportSchoolsSuccess"


def test_areas_load_and_loading_them_again_changes_nothing(client: GraphQLClient, store: Any) -> None:
    first = import_areas(client, [{"code": "411100", "name": "漯河市"}, {"code": "411102", "name": "源汇区"}])
    assert first["__typename"] == "ImportAreasSuccess", first
    report = first["report"]
    assert (report["applied"], report["created"], report["unchanged"], report["coverage"]) == (True, 2, 0, ["411100"])
    area = client('{ area(code: "411102") { code name level parent { code name } } }', as_="henan.dept")["area"]
    assert area == {"code": "411102", "name": "源汇区", "level": "COUNTY", "parent": {"code": "411100", "name": "漯河市"}}
    before = logged(store, "area")
    again = import_areas(client, [{"code": "411100", "name": "漯河市"}, {"code": "411102", "name": "源汇区"}])["report"]
    assert (again["created"], again["changed"], again["unchanged"]) == (0, 0, 2)
    assert logged(store, "area") == before
    renamed = import_areas(client, [{"code": "411102", "name": "源汇区（新）"}], on="2026-06-01")["report"]
    assert renamed["rows"][0]["outcome"] == "CHANGED"
    assert renamed["rows"][0]["changes"] == [{"field": "name", "oldValue": "源汇区", "newValue": "源汇区（新）"}]
    assert logged(store, "area") == before + 1
    entry = store.transitions.find_one({"_id": "area:411102:0000000002"})
    assert entry["action"] == "AREA_RENAMED" and entry["change"]["effective_on"] == "2026-06-01" and entry["actor"] == "admin"

    refused = import_areas(client, [{"code": "411103", "name": "郾城区"}, {"code": "41110", "name": "召陵区"}])
    assert (refused["code"], refused["field"]) == ("ROWS_REFUSED", "rows.1.code")
    assert [r["outcome"] for r in refused["refusedList"]["rows"]] == ["CREATED", "REFUSED"]
    assert logged(store, "area") == before + 1 and store.areas.find_one({"_id": "411103"}) is None


def test_schools_load_with_kinds_ownership_and_supervisors(client: GraphQLClient, loaded: None) -> None:
    special = client(SCHOOL, {"code": "2141100202"}, as_="admin")["school"]
    assert special["kind"] == "SPECIAL_EDUCATION" and special["supervisorCode"] == "411000" and special["directlyManaged"]
    private = client(SCHOOL, {"code": "2141100301"}, as_="admin")["school"]
    assert (private["kind"], private["ownership"], private["supervisorCode"]) == ("NINE_YEAR", "PRIVATE", "411003")
    (created,) = private["history"]
    assert created["version"] == 1 and created["action"] == "SCHOOL_CREATED" and created["effectiveOn"] == "2026-09-01"
    assert {"field": "kind", "oldValue": None, "newValue": "NINE_YEAR"} in created["changes"]


def test_a_second_run_changes_nothing_and_a_new_name_is_a_version(client: GraphQLClient, store: Any, loaded: None) -> None:
    before = logged(store, "school")
    again = import_schools(client, SCHOOLS)["report"]
    assert (again["applied"], again["created"], again["changed"], again["unchanged"]) == (True, 0, 0, 3)
    assert logged(store, "school") == before

    renamed = [{**SCHOOLS[0], "name": "魏都区实验小学（东校区）"}, *SCHOOLS[1:]]
    report = import_schools(client, renamed, on="2026-10-08", source="许昌市学校名录 2026-10")["report"]
    assert (report["changed"], report["unchanged"]) == (1, 2)
    assert report["rows"][0]["changes"] == [{"field": "name", "oldValue": "魏都区实验小学", "newValue": "魏都区实验小学（东校区）"}]
    assert logged(store, "school") == before + 1
    school = client(SCHOOL, {"code": "2141100201"}, as_="admin")["school"]
    assert school["name"] == "魏都区实验小学（东校区）"
    assert [(v["version"], v["action"], v["effectiveOn"], v["actor"]) for v in school["history"]] == [
        (1, "SCHOOL_CREATED", "2026-09-01", "admin"),
        (2, "SCHOOL_RENAMED", "2026-10-08", "admin"),
    ]
    assert school["history"][1]["changes"] == [{"field": "name", "oldValue": "魏都区实验小学", "newValue": "魏都区实验小学（东校区）"}]
    entry = store.transitions.find_one({"_id": "school:2141100201:0000000002"})
    assert entry["change"]["source"] == "许昌市学校名录 2026-10"
    assert import_schools(client, renamed)["report"]["unchanged"] == 3  # and again: nothing
    assert logged(store, "school") == before + 1


def test_a_school_missing_from_a_later_list_is_reported_and_kept(client: GraphQLClient, loaded: None) -> None:
    report = import_schools(client, SCHOOLS[1:])["report"]
    assert report["applied"] and report["coverage"] == ["411000"]
    assert report["notInList"] == ["2141100201"]
    assert client(SCHOOL, {"code": "2141100201"}, as_="admin")["school"]["code"] == "2141100201"


def test_a_refused_row_refuses_the_list_and_writes_nothing(client: GraphQLClient, store: Any, loaded: None) -> None:
    rows: list[dict[str, Any]] = [
        {"code": "2141108101", "name": "禹州市新建小学", "kind": "小学", "ownership": "公办", "areaCode": "411081"},
        {"code": "2141108102", "name": "禹州市完全中学", "kind": "完全中学", "ownership": "公立", "areaCode": "411081"},
        {**SCHOOLS[0], "row": None},
        {"code": "2141108101", "name": "重复", "kind": "小学", "ownership": "公办", "areaCode": "411099"},
    ]
    before = (logged(store, "school"), store.schools.count_documents({}))
    result = import_schools(client, rows)
    assert result["__typename"] == "ImportSchoolsError"
    assert (result["code"], result["field"]) == ("ROWS_REFUSED", "rows.1.kind")
    report = result["refusedList"]
    assert (report["applied"], report["created"], report["refused"]) == (False, 1, 2)
    assert [(r["row"], r["outcome"]) for r in report["rows"]] == [(1, "CREATED"), (2, "REFUSED"), (3, "CHANGED"), (4, "REFUSED")]
    assert [(p["column"], p["code"]) for p in report["rows"][1]["problems"]] == [
        ("kind", "UNKNOWN_SCHOOL_KIND"), ("ownership", "UNKNOWN_OWNERSHIP"),
    ]
    assert [(p["column"], p["code"]) for p in report["rows"][3]["problems"]] == [("code", "DUPLICATE_ROW"), ("areaCode", "UNKNOWN_AREA")]
    assert (logged(store, "school"), store.schools.count_documents({})) == before
    assert client(SCHOOL, {"code": "2141108101"}, as_="admin")["school"] is None


def test_a_new_supervisor_moves_a_school_without_records_only(client: GraphQLClient, store: Any) -> None:
    new = {"code": "2141010599", "name": "金水区新建小学", "kind": "小学", "ownership": "公办", "areaCode": "410105"}
    assert import_schools(client, [new])["report"]["created"] == 1
    visible = "query($c: String!) { school(code: $c) { code } }"
    assert client(visible, {"c": "2141010599"}, as_="jinshui.dept")["school"] == {"code": "2141010599"}
    moved = import_schools(client, [{**new, "supervisorCode": "410100"}])["report"]
    assert moved["rows"][0]["changes"] == [{"field": "supervisorCode", "oldValue": "410105", "newValue": "410100"}]
    assert client(visible, {"c": "2141010599"}, as_="jinshui.dept")["school"] is None
    query = '{ schools(first: 50, filter: {supervisorCode: "410100"}) { edges { node { code } } } }'
    assert {"node": {"code": "2141010599"}} in client(query, as_="zhengzhou.dept")["schools"]["edges"]
    assert client(SCHOOL, {"code": "2141010599"}, as_="admin")["school"]["history"][1]["action"] == "SCHOOL_SUPERVISOR_CHANGED"

    # 纬五路一小 has records filed under its county (here: the audit event of a contact update).
    update = """mutation { updateSchoolContact(input: {code: "2141010501", phone: "0371-60000002"}) { __typename } }"""
    assert client(update, as_="weiwu.registrar")["updateSchoolContact"]["__typename"] == "UpdateSchoolContactSuccess"
    weiwu = {"code": "2141010501", "name": "金水区纬五路第一小学", "kind": "小学", "ownership": "公办", "areaCode": "410105",
             "supervisorCode": "410100"}
    before = logged(store, "school")
    refused = import_schools(client, [weiwu])
    assert (refused["code"], refused["field"]) == ("ROWS_REFUSED", "rows.0.supervisorCode")
    assert refused["refusedList"]["rows"][0]["problems"][0]["code"] == "PLACEMENT_LOCKED"
    assert logged(store, "school") == before
    assert client(visible, {"c": "2141010501"}, as_="jinshui.dept")["school"] == {"code": "2141010501"}


@pytest.mark.parametrize(("login", "code"), [("jinshui.dept", "PERMISSION_DENIED"), ("henan.auditor", "READ_ONLY_ROLE"),
                                             ("weiwu.registrar", "PERMISSION_DENIED")])
def test_only_the_admin_loads_lists(client: GraphQLClient, store: Any, login: str, code: str) -> None:
    before = (logged(store, "school"), logged(store, "area"))
    assert import_schools(client, SCHOOLS, as_=login)["code"] == code
    assert import_areas(client, [{"code": "411200", "name": "三门峡市"}], as_=login)["code"] == code
    assert (logged(store, "school"), logged(store, "area")) == before
    event = store.audit_events.find_one({"actor": login, "action": "mutation:importSchools"}, sort=[("at", -1)])
    assert event["outcome"] == code


def test_a_list_request_needs_rows_and_a_date_that_has_come(client: GraphQLClient) -> None:
    empty = import_schools(client, [])
    assert (empty["code"], empty["field"], empty["refusedList"]) == ("NOTHING_TO_CHANGE", "rows", None)
    future = import_areas(client, XUCHANG, on="2099-01-01")
    assert (future["code"], future["field"]) == ("DATE_IN_FUTURE", "effectiveOn")


def test_every_query_shape_of_these_paths_is_indexed(lists_api: ApiServer, loaded: None) -> None:
    shapes = lists_api.commands.shapes
    assert any(s.collection == "schools" and s.equality == frozenset({"province_code"}) for s in shapes)
    assert any(s.collection == "audit_events" and s.equality == frozenset({"scope_keys"}) for s in shapes)  # has_records
    unserved = [s for s in shapes if s.collection not in WHOLE_READS and serving_index(s) is None]
    assert not unserved, unserved


def test_the_same_new_list_imported_eight_times_at_once_creates_each_school_once(
    lists_api: ApiServer, store: Any, client: GraphQLClient, loaded: None
) -> None:
    from tests.api.test_concurrency import at_once

    rows = [{"code": f"21411009{i:02d}", "name": f"禹州市并发小学{i}", "kind": "小学", "ownership": "公办", "areaCode": "411081"}
            for i in range(5)]
    results = at_once(lists_api.settings, lists_api.base_url, lambda c, i: import_schools(c, rows))
    outcomes = sorted(r["__typename"] if r["__typename"] == "ImportSchoolsSuccess" else r["code"] for r in results)
    assert outcomes[-1] == "ImportSchoolsSuccess" and set(outcomes) <= {"ImportSchoolsSuccess", "CONFLICT"}
    for row in rows:
        assert store.transitions.count_documents({"aggregate": "school", "aggregate_id": row["code"]}) == 1
        assert store.schools.count_documents({"_id": row["code"]}) == 1
    assert import_schools(client, rows)["report"]["unchanged"] == 5
