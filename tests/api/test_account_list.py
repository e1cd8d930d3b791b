"""The `accounts` list (R-A4): the admin sees every school's and area's accounts, a
department those inside its area, anyone else nothing, and pages follow the cursor."""

from __future__ import annotations

import pytest

from tests.support import GraphQLClient

LIST = """query($s: String, $after: String, $first: Int!) { accounts(scopeCode: $s, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { login role scopeCode disabled } } } }"""


def logins(gql: GraphQLClient, as_: str, scope: str | None) -> list[str]:
    page = gql(LIST, {"s": scope, "first": 50}, as_=as_)["accounts"]
    return [e["node"]["login"] for e in page["edges"]]


@pytest.mark.parametrize(
    ("as_", "scope", "expected"),
    [
        ("admin", "2141010501", ["weiwu.registrar"]),
        ("admin", None, ["admin"]),
        ("jinshui.dept", "2141010501", ["weiwu.registrar"]),  # a school it supervises
        ("jinshui.dept", "410105", ["jinshui.dept"]),  # its own area
        ("jinshui.dept", "2141010201", []),  # another county's school
        ("jinshui.dept", "410100", []),  # the city above it
        ("jinshui.dept", None, []),  # the admins: admin only
        ("zhengzhou.dept", "410105", ["jinshui.dept"]),
        ("zhengzhou.dept", "2141010501", ["weiwu.registrar"]),
        ("zhengzhou.dept", "410300", []),  # another city
        ("henan.dept", "410100", ["zhengzhou.archivist", "zhengzhou.dept"]),
        ("weiwu.registrar", "2141010501", []),  # registrars administer nobody
        ("henan.auditor", "2141010501", []),
        ("zhengzhou.archivist", "410100", []),
    ],
)
def test_who_lists_which_accounts(gql: GraphQLClient, as_: str, scope: str | None, expected: list[str]) -> None:
    assert logins(gql, as_, scope) == expected


def test_pages_follow_the_cursor(gql: GraphQLClient) -> None:
    first = gql(LIST, {"s": "410100", "first": 1}, as_="henan.dept")["accounts"]
    assert first["totalCount"] == 2 and first["pageInfo"]["hasNextPage"]
    rest = gql(LIST, {"s": "410100", "first": 1, "after": first["pageInfo"]["endCursor"]}, as_="henan.dept")["accounts"]
    assert [e["node"]["login"] for e in first["edges"] + rest["edges"]] == ["zhengzhou.archivist", "zhengzhou.dept"]
    assert not rest["pageInfo"]["hasNextPage"]
