"""The frontend contract: every answer of /graphql is JSON with a stable `extensions.code`
(also the HTTP-level refusals), /uploads answers in its own documented shape, suggestions
do not reveal the schema in production, and no response may be cached or sniffed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
import pytest
from graphql import GraphQLInputObjectType, GraphQLNamedType, GraphQLScalarType, get_named_type, specified_scalar_types

from api.auth import mint_token
from api.settings import Settings
from schema import build_schema
from tests.logs import LogCapture
from tests.production import production_settings
from tests.support import ApiServer, GraphQLClient

YEAR = "query($y: Int!) { workingCalendar(year: $y) { year } }"
DATE = 'query($d: Date!) { duplicateCandidates(probe: {name: "王明", birthDate: $d, sex: MALE}) { name } }'
KIND = "query($k: CaseKind) { cases(filter: {kind: $k}) { totalCount } }"
FILTER = "query($f: CaseFilterInput) { cases(filter: $f) { totalCount } }"
NUMBER = "query($s: String!) { student(number: $s) { number } }"
FLAG = "query($o: Boolean) { cases(filter: {overdue: $o}) { totalCount } }"
ENTRY = "mutation($i: AddSectionEntryInput!) { addSectionEntry(input: $i) { __typename } }"


class Case(NamedTuple):
    scalar: str  # the input type whose coercion fails
    query: str
    variables: dict[str, Any]
    variable: str


CASES = {
    "impossible-date": Case("Date", DATE, {"d": "2019-02-30"}, "d"),
    "date-not-iso": Case("Date", DATE, {"d": "30/02/2019"}, "d"),
    "number-for-date": Case("Date", DATE, {"d": 20190228}, "d"),
    "object-for-date": Case("Date", DATE, {"d": {"year": 2019}}, "d"),
    "string-for-int": Case("Int", YEAR, {"y": "2026"}, "y"),
    "float-for-int": Case("Int", YEAR, {"y": 2026.5}, "y"),
    "int-beyond-32-bits": Case("Int", YEAR, {"y": 2**31}, "y"),
    "null-for-non-null": Case("Int", YEAR, {"y": None}, "y"),
    "missing-non-null": Case("Int", YEAR, {}, "y"),
    "object-for-int": Case("Int", YEAR, {"y": {"year": 2026}}, "y"),
    "list-for-int": Case("Int", YEAR, {"y": [2026, 2027]}, "y"),
    "unknown-enum-value": Case("CaseKind", KIND, {"k": "EXPULSION"}, "k"),
    "number-for-enum": Case("CaseKind", KIND, {"k": 1}, "k"),
    "unknown-input-field": Case("CaseFilterInput", FILTER, {"f": {"kindd": "TRANSFER"}}, "f"),
    "scalar-for-input-object": Case("CaseFilterInput", FILTER, {"f": "TRANSFER"}, "f"),
    "object-for-string": Case("String", NUMBER, {"s": {"number": "G1"}}, "s"),
    "string-for-boolean": Case("Boolean", FLAG, {"o": "yes"}, "o"),
    "null-for-non-null-json": Case("JSON", ENTRY, {"i": {"number": "G1", "section": "AWARDS", "data": None}}, "i"),
    "missing-json-field": Case("JSON", ENTRY, {"i": {"number": "G1", "section": "AWARDS"}}, "i"),
}


@pytest.mark.parametrize("case", [pytest.param(c, id=name) for name, c in CASES.items()])
def test_a_variable_that_does_not_coerce_is_bad_user_input_naming_it(
    gql: GraphQLClient, logs: LogCapture, case: Case
) -> None:
    response = gql.post(case.query, case.variables, as_="henan.dept")
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert errors, response.text
    for error in errors:
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["variable"] == case.variable
        assert f"${case.variable}" in error["message"]
    lines = logs.request_done(response.headers["x-request-id"])
    assert [line["level"] for line in lines if line["level"] not in ("info", "debug")] == []
    assert any(line["event"] == "graphql request refused" and line["code"] == "BAD_USER_INPUT" for line in lines)


def _custom_input_scalars() -> set[str]:
    """Scalars other than the built-in ones that a client can send (argument or input field)."""
    schema = build_schema()._schema
    seen: set[str] = set()
    found: set[str] = set()

    def visit(named: GraphQLNamedType) -> None:
        if named.name in seen:
            return
        seen.add(named.name)
        if isinstance(named, GraphQLScalarType) and named.name not in specified_scalar_types:
            found.add(named.name)
        if isinstance(named, GraphQLInputObjectType):
            for input_field in named.fields.values():
                visit(get_named_type(input_field.type))

    for type_ in schema.type_map.values():
        for field in getattr(type_, "fields", {}).values() if not isinstance(type_, GraphQLInputObjectType) else ():
            for arg in field.args.values():
                visit(get_named_type(arg.type))
    return found


def test_every_custom_scalar_a_client_can_send_has_coercion_cases() -> None:
    custom = _custom_input_scalars()
    assert custom, "expected custom scalars in inputs"
    assert custom <= {c.scalar for c in CASES.values()}, f"add cases for {custom}"


def test_an_argument_out_of_range_is_bad_user_input(gql: GraphQLClient) -> None:
    for year in (0, -1, 1999, 2101, 20260):
        errors = gql.errors(YEAR, {"y": year}, as_="henan.dept")
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT" and errors[0]["extensions"]["field"] == "year"
    for year in (2000, 2026, 2100):
        assert gql(YEAR, {"y": year}, as_="henan.dept")["workingCalendar"]["year"] == year


def test_validation_and_parse_errors_carry_codes(gql: GraphQLClient) -> None:
    assert gql.errors("{ viewer { nope } }", as_="henan.dept")[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert gql.errors("{ viewer { login ", as_="henan.dept")[0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def _auth(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(settings, 'henan.dept')}"}


@pytest.mark.parametrize("body", ['"x"', "null", "42", "true", "[]", "{", '{"query": 1}', '{"query": "{ viewer { login } }", "variables": []}'])
def test_a_body_that_is_not_a_graphql_request_is_400_json(http: httpx.Client, settings: Settings, body: str) -> None:
    response = http.post("/graphql", content=body, headers={**_auth(settings), "content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("depth", [40, 5000, 30_000])
def test_deeply_nested_variables_are_400(http: httpx.Client, settings: Settings, depth: int) -> None:
    nested = '{"a":' * depth + "1" + "}" * depth
    body = '{"query": "query($f: JSON!) { viewer { login } }", "variables": {"f": ' + nested + "}}"
    response = http.post("/graphql", content=body, headers={**_auth(settings), "content-type": "application/json"})
    assert response.status_code == 400, response.text[:300]
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_the_body_is_limited_by_declared_length(http: httpx.Client, settings: Settings) -> None:
    padding = " " * settings.graphql_max_body_bytes
    response = http.post("/graphql", content='{"query": "{ viewer { login } }"' + padding + "}", headers={**_auth(settings), "content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


def test_the_body_is_limited_while_streaming(http: httpx.Client, settings: Settings) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ viewer { login } }"'
        for _ in range(settings.graphql_max_body_bytes // 8192 + 2):
            yield b" " * 8192
        yield b"}"

    response = http.post("/graphql", content=chunks(), headers={**_auth(settings), "content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_request_under_the_limit_is_served_chunked(http: httpx.Client, settings: Settings) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ viewer { login } }"'
        yield b" " * 8192
        yield b"}"

    response = http.post("/graphql", content=chunks(), headers={**_auth(settings), "content-type": "application/json"})
    assert response.json() == {"data": {"viewer": {"login": "henan.dept"}}}


def test_uploads_answer_401_in_their_own_shape(http: httpx.Client) -> None:
    response = http.post("/uploads?student=G1&kind=HOUSEHOLD_REGISTER", content=b"x", headers={"content-type": "image/jpeg"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["error"]["code"] == "UNAUTHENTICATED" and "message" in body["error"] and "field" in body["error"]
    assert "errors" not in body


def test_no_response_may_be_cached_or_sniffed(http: httpx.Client, settings: Settings) -> None:
    responses = [
        http.post("/graphql", json={"query": "{ viewer { login } }"}, headers=_auth(settings)),
        http.post("/graphql", json={"query": "{ viewer { login } }"}),
        http.post("/graphql", json={"query": "{ nope }"}, headers=_auth(settings)),
        http.post("/uploads?student=G1&kind=HOUSEHOLD_REGISTER", content=b"x", headers=_auth(settings)),
        http.post("/uploads", content=b"x"),
        http.get("/healthz"),
        http.get("/no-such-path"),
    ]
    for response in responses:
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert response.headers["x-content-type-options"] == "nosniff", response.request.url


TYPO_FIELD = "{ stduent(number: \"G1\") { number } }"
TYPO_ENUM = "query($k: CaseKind) { cases(filter: {kind: $k}) { totalCount } }"
TYPO_ARGUMENT = '{ student(numbr: "G1") { number } }'
TYPO_INPUT_FIELD = "query($f: CaseFilterInput) { cases(filter: $f) { totalCount } }"


def _typo_messages(client: httpx.Client, settings: Settings) -> list[str]:
    auth = _auth(settings)
    requests = [
        {"query": TYPO_FIELD},
        {"query": TYPO_ENUM, "variables": {"k": "TRANSFERR"}},
        {"query": TYPO_ARGUMENT},
        {"query": TYPO_INPUT_FIELD, "variables": {"f": {"schoolCod": "2141010501"}}},
        {"query": '{ cases(filter: {kind: TRANSFERR}) { totalCount } }'},
    ]
    return [e["message"] for r in requests for e in client.post("/graphql", json=r, headers=auth).json()["errors"]]


def test_suggestions_are_shown_outside_production(http: httpx.Client, settings: Settings) -> None:
    messages = _typo_messages(http, settings)
    assert sum("Did you mean" in m for m in messages) == 5, messages


def test_production_hides_suggestions_and_introspection_and_metrics(settings: Settings) -> None:
    prod = production_settings(settings)
    server = ApiServer(prod).start(seed=False)
    try:
        with httpx.Client(base_url=server.base_url) as client:
            messages = _typo_messages(client, prod)
            assert len(messages) == 6
            revealing = ("Did you mean", "'students'", "'TRANSFER'", "'schoolCode'", "'number'")
            assert not [m for m in messages if any(r in m for r in revealing)], messages
            introspect = client.post("/graphql", json={"query": "{ __schema { types { name } } }"}, headers=_auth(prod)).json()
            assert introspect["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            assert client.get("/metrics").status_code == 404
    finally:
        server.stop()
