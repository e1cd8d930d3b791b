"""Scope isolation for every role (R-A4, Art. 3): each account sees exactly its schools and
areas; out-of-scope keys answer null, never data."""

from __future__ import annotations

import pytest

from tests.support import GraphQLClient

ZHENGZHOU = {"2141010501", "2141010502", "2141010503", "2141010201", "2141010202", "2141012201", "2141012202"}
ALL = ZHENGZHOU | {"2141030201", "2141031101", "2141032301", "2141070201", "2141072101", "2141078101"}

EXPECTED_SCHOOLS = {
    "weiwu.registrar": {"2141010501"},
    "waiguoyu.registrar": {"2141010503"},
    "jinshui.dept": {"2141010501", "2141010502", "2141010503"},
    # 郑州市特殊教育学校 stands in 中原区 but is managed by the city (直管学校).
    "zhongyuan.dept": {"2141010201"},
    # The province-managed school in 中牟县 is not the county's.
    "zhongmou.dept": {"2141012201"},
    "hongqi.dept": {"2141070201"},
    "zhengzhou.dept": ZHENGZHOU,
    "luoyang.dept": {"2141030201", "2141031101", "2141032301"},
    "henan.dept": ALL,
    "zhengzhou.archivist": ZHENGZHOU,
    "henan.auditor": ALL,
    "admin": ALL,
}

SCHOOLS = """query($first: Int!, $after: String) {
  schools(first: $first, after: $after) { totalCount edges { cursor node { code } } pageInfo { hasNextPage endCursor } }
}"""


def _all_school_codes(gql: GraphQLClient, login: str) -> tuple[list[str], int]:
    codes: list[str] = []
    after = None
    while True:
        page = gql(SCHOOLS, {"first": 2, "after": after}, as_=login)["schools"]
        codes += [e["node"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return codes, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("login", sorted(EXPECTED_SCHOOLS))
def test_each_role_sees_exactly_its_schools_across_pages(gql: GraphQLClient, login: str) -> None:
    codes, total = _all_school_codes(gql, login)
    assert set(codes) == EXPECTED_SCHOOLS[login]
    assert codes == sorted(codes) and len(codes) == len(set(codes)) == total


@pytest.mark.parametrize("login", sorted(EXPECTED_SCHOOLS))
def test_school_by_code_is_null_outside_scope(gql: GraphQLClient, login: str) -> None:
    query = "query($code: String!) { school(code: $code) { code name } }"
    for code in sorted(ALL):
        found = gql(query, {"code": code}, as_=login)["school"]
        if code in EXPECTED_SCHOOLS[login]:
            assert found is not None and found["code"] == code
        else:
            assert found is None, f"{login} must not see {code}"


def test_filters_narrow_within_scope_never_beyond(gql: GraphQLClient) -> None:
    query = """query($f: SchoolFilter) { schools(first: 50, filter: $f) { totalCount edges { node { code kind } } } }"""
    luoyang = gql(query, {"f": {"areaCode": "410300"}}, as_="jinshui.dept")["schools"]
    assert luoyang == {"totalCount": 0, "edges": []}
    primary = gql(query, {"f": {"kind": "PRIMARY", "areaCode": "410100"}}, as_="zhengzhou.dept")["schools"]
    assert {e["node"]["code"] for e in primary["edges"]} == {"2141010501", "2141010502", "2141010201"}
    city_managed = gql(query, {"f": {"supervisorCode": "410100"}}, as_="henan.dept")["schools"]
    assert {e["node"]["code"] for e in city_managed["edges"]} == {"2141010202"}


def test_bad_filter_and_cursor_are_typed_input_errors(gql: GraphQLClient) -> None:
    errors = gql.errors("{ schools(filter: {areaCode: \"41\"}) { totalCount } }", as_="henan.dept")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    errors = gql.errors('{ schools(after: "bm9wZQ==") { totalCount } }', as_="henan.dept")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    errors = gql.errors("{ schools(first: 1000) { totalCount } }", as_="henan.dept")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


AREAS = "{ areas { code } }"
AREA = "query($code: String!) { area(code: $code) { code name level parent { code } } }"


@pytest.mark.parametrize(
    ("login", "visible"),
    [
        ("weiwu.registrar", {"410000", "410100", "410105"}),
        ("jinshui.dept", {"410000", "410100", "410105"}),
        ("zhengzhou.dept", {"410000", "410100", "410102", "410105", "410122"}),
        ("luoyang.dept", {"410000", "410300", "410302", "410311", "410323"}),
    ],
)
def test_areas_are_scoped(gql: GraphQLClient, login: str, visible: set[str]) -> None:
    assert {a["code"] for a in gql(AREAS, as_=login)["areas"]} == visible
    assert gql(AREA, {"code": "410721"}, as_=login)["area"] is None  # 新乡县: nobody's here
    inside = sorted(visible)[-1]
    assert gql(AREA, {"code": inside}, as_=login)["area"]["code"] == inside


def test_province_sees_every_area_with_levels(gql: GraphQLClient) -> None:
    assert len(gql(AREAS, as_="henan.dept")["areas"]) == 13
    area = gql(AREA, {"code": "410105"}, as_="henan.dept")["area"]
    assert area == {"code": "410105", "name": "金水区", "level": "COUNTY", "parent": {"code": "410100"}}


def test_viewer_reports_role_scope_and_school(gql: GraphQLClient) -> None:
    query = "{ viewer { login role scopeCode canWrite trainedOn school { code supervisingDepartment { code } } area { code } } }"
    registrar = gql(query, as_="weiwu.registrar")["viewer"]
    assert registrar["school"] == {"code": "2141010501", "supervisingDepartment": {"code": "410105"}}
    assert registrar["canWrite"] is True and registrar["trainedOn"] == "2026-03-01" and registrar["area"] is None
    auditor = gql(query, as_="henan.auditor")["viewer"]
    assert auditor["canWrite"] is False and auditor["area"] == {"code": "410000"} and auditor["school"] is None
    assert gql(query, as_="waiguoyu.registrar")["viewer"]["canWrite"] is False


def test_registrar_details_are_for_the_school_and_the_departments_over_it(gql: GraphQLClient) -> None:
    query = '{ school(code: "2141010501") { registrars { login phone } } }'
    filed = [{"login": "weiwu.registrar", "phone": "0371-60000001"}]
    assert gql(query, as_="jinshui.dept")["school"]["registrars"] == filed
    assert gql(query, as_="zhengzhou.dept")["school"]["registrars"] == filed
    assert gql(query, as_="weiwu.registrar")["school"]["registrars"] == filed
    assert gql(query, as_="zhengzhou.archivist")["school"]["registrars"] is None
    assert gql(query, as_="henan.auditor")["school"]["registrars"] is None
