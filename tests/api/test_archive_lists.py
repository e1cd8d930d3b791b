"""An archivist's lists of their area (R-E3, Art. 19): documents under legal hold and
documents withdrawn, paged by keyset over one scope token; a held document follows its
dossier to the area it moves to, and the area it left keeps it (Art. 19: a copy stays)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.api.test_cases import XIGUAN, decide, enrol, open_case, upload
from tests.support import GraphQLClient

HOLD = """mutation($input: SetLegalHoldInput!) { setLegalHold(input: $input) {
  __typename ... on SetLegalHoldSuccess { document { legalHold } } ... on SetLegalHoldError { code } } }"""
LIST = """query($list: ArchiveList!, $first: Int!, $after: String) { archiveDocuments(list: $list, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { id legalHold studentNumber withdrawal { by reason } } } } }"""
CREATE = """mutation($input: CreateAccountInput!) { createAccount(input: $input) {
  __typename ... on CreateAccountError { code } } }"""
HISTORY = "query($id: ID!) { document(id: $id) { history { action actor } } }"


def ensure_account(gql: GraphQLClient, login: str, role: str, scope: str) -> str:
    """An account of the shared test deployment, created by the admin the first time."""
    result = gql(CREATE, {"input": {"login": login, "name": login, "role": role, "scopeCode": scope}}, as_="admin")["createAccount"]
    assert result["__typename"] == "CreateAccountSuccess" or result["code"] == "LOGIN_TAKEN", result
    return login


def luoyang_archivist(gql: GraphQLClient) -> str:
    return ensure_account(gql, "luoyang.archivist", "ARCHIVIST", "410300")


def province_archivist(gql: GraphQLClient) -> str:
    return ensure_account(gql, "henan.archivist", "ARCHIVIST", "410000")


def hold(gql: GraphQLClient, document_id: str, on: bool = True) -> None:
    payload = {"documentId": document_id, "hold": on, "reason": "调查取证，暂停处置"}
    assert gql(HOLD, {"input": payload}, as_="zhengzhou.archivist")["setLegalHold"]["document"] == {"legalHold": on}


def listed(gql: GraphQLClient, as_: str, which: str = "LEGAL_HOLD", first: int = 100) -> list[dict[str, Any]]:
    """Every node of the list, page by page."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = gql(LIST, {"list": which, "first": first, "after": after}, as_=as_)["archiveDocuments"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert len(nodes) == page["totalCount"]
            return nodes
        after = page["pageInfo"]["endCursor"]


def test_held_documents_are_listed_by_area_page_by_page_to_archivists_and_auditors_only(gql: GraphQLClient) -> None:
    number = enrol(gql)
    held = sorted(upload(gql, number, "HOUSEHOLD_REGISTER") for _ in range(3))
    free = upload(gql, number, "HOUSEHOLD_REGISTER")
    for document_id in held:
        hold(gql, document_id)

    # keyset pages of two, in id order, over the city archivist's area (金水区 is in 郑州市)
    first = gql(LIST, {"list": "LEGAL_HOLD", "first": 2, "after": None}, as_="zhengzhou.archivist")["archiveDocuments"]
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    second = gql(LIST, {"list": "LEGAL_HOLD", "first": 2, "after": first["pageInfo"]["endCursor"]}, as_="zhengzhou.archivist")
    page2 = second["archiveDocuments"]
    assert page2["pageInfo"]["hasPreviousPage"] and page2["edges"][0]["node"]["id"] > first["edges"][-1]["node"]["id"]
    everything = listed(gql, "zhengzhou.archivist")
    ids = [n["id"] for n in everything]
    assert ids == sorted(ids) and set(held) <= set(ids) and free not in ids
    assert all(n["legalHold"] for n in everything)

    # the province sees it, the auditor checks it; another city's archivist does not see it
    assert set(held) <= {n["id"] for n in listed(gql, province_archivist(gql))}
    assert set(held) <= {n["id"] for n in listed(gql, "henan.auditor")}
    assert not set(held) & {n["id"] for n in listed(gql, luoyang_archivist(gql))}

    # nobody else reads the archive's lists
    for role in ("weiwu.registrar", "jinshui.dept", "henan.dept", "admin"):
        errors = gql.errors(LIST, {"list": "LEGAL_HOLD", "first": 2}, as_=role)
        assert errors[0]["extensions"]["code"] == "FORBIDDEN", role
    bad_cursor = gql.errors(LIST, {"list": "LEGAL_HOLD", "first": 2, "after": "bm90LWEtY3Vyc29y"}, as_="zhengzhou.archivist")
    assert bad_cursor[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert gql.errors(LIST, {"list": "LEGAL_HOLD", "first": 0}, as_="zhengzhou.archivist")[0]["extensions"]["code"] == "BAD_USER_INPUT"

    # a released hold leaves the list
    hold(gql, held[0], on=False)
    assert held[0] not in {n["id"] for n in listed(gql, "zhengzhou.archivist")}


def test_a_held_document_follows_its_dossier_to_another_area_and_stays_with_the_old_one(gql: GraphQLClient) -> None:
    luoyang = luoyang_archivist(gql)
    number = enrol(gql, grade=3, className="三(1)班", born=date(2017, 5, 5))
    document_id = upload(gql, number, "HOUSEHOLD_REGISTER")
    hold(gql, document_id)
    assert document_id not in {n["id"] for n in listed(gql, luoyang)}

    # a transfer to 洛阳市老城区西关小学 (Art. 11): receiving school, its department, sending school, its department
    opened = open_case(gql, "xiguan.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=XIGUAN)
    case_id = opened["case"]["id"]
    application = upload(gql, number, "STATUS_APPLICATION", as_="xiguan.registrar", businessKind="case", businessId=case_id)
    decide(gql, case_id, "xiguan.registrar", evidence=[application])
    decide(gql, case_id, "laocheng.dept", overrideReason="户籍已迁入老城区")
    decide(gql, case_id, "weiwu.registrar")
    assert decide(gql, case_id, "jinshui.dept")["case"]["state"] == "COMPLETED"

    # seen where the dossier is now, and where the copy stays (Art. 19)
    assert document_id in {n["id"] for n in listed(gql, luoyang)}
    assert document_id in {n["id"] for n in listed(gql, "zhengzhou.archivist")}
    history = gql(HISTORY, {"id": document_id}, as_=luoyang)["document"]["history"]
    assert history[-1] == {"action": "RESCOPED", "actor": "jinshui.dept"}
    assert [h["action"] for h in history].count("RESCOPED") == 1  # the documents follow once, not at every step
