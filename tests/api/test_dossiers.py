"""Dossier upkeep, verification (核准, Art. 6), masking (Art. 24), sections (R-B6), lists."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.factories import ENROL, FATHER, UPDATE, VERIFY, basic_of, enrolment
from tests.support import ApiServer, GraphQLClient


def enrol(gql: GraphQLClient, value: dict[str, Any], as_: str = "weiwu.registrar") -> dict[str, Any]:
    student: dict[str, Any] = gql(ENROL, {"input": value}, as_=as_)["enrollStudent"]["student"]
    return student


def complete(gql: GraphQLClient, value: dict[str, Any], number: str, as_: str = "weiwu.registrar") -> dict[str, Any]:
    result: dict[str, Any] = gql(
        UPDATE, {"input": {"number": number, "basic": basic_of(value), "guardians": [FATHER]}}, as_=as_
    )["updateDossier"]
    return result


def verify(gql: GraphQLClient, number: str, decision: str = "VERIFY", as_: str = "jinshui.dept", reason: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = gql(VERIFY, {"input": {"number": number, "decision": decision, "reason": reason}}, as_=as_)["verifyDossier"]
    return result


def test_verification_by_the_supervising_department(gql: GraphQLClient) -> None:
    value = enrolment()
    number = enrol(gql, value)["number"]
    assert verify(gql, number)["code"] == "INCOMPLETE"
    assert verify(gql, number, as_="weiwu.registrar")["code"] == "PERMISSION_DENIED"
    assert verify(gql, number, as_="zhongyuan.dept")["code"] == "NOT_FOUND"  # not its school
    assert verify(gql, number, as_="zhengzhou.dept")["code"] == "PERMISSION_DENIED"  # sees it, does not supervise it
    done = complete(gql, value, number)
    assert done["student"]["completeness"] == {"complete": True, "missing": []}
    assert verify(gql, number, "RETURN")["code"] == "REASON_REQUIRED"
    returned = verify(gql, number, "RETURN", reason="父亲电话有误")
    assert returned["student"] == {"number": number, "verification": "RETURNED", "verificationNote": "父亲电话有误"}
    fixed = gql(UPDATE, {"input": {"number": number, "guardians": [{**FATHER, "phone": "13911112222"}]}}, as_="weiwu.registrar")
    assert fixed["updateDossier"]["student"]["verification"] == "UNVERIFIED"  # resubmitted
    assert verify(gql, number)["student"]["verification"] == "VERIFIED"
    assert verify(gql, number)["code"] == "ALREADY_VERIFIED"
    # verified key data only changes through an Art. 10 correction
    key_change = gql(UPDATE, {"input": {"number": number, "basic": basic_of(value, name="王改名")}}, as_="weiwu.registrar")
    assert key_change["updateDossier"]["code"] == "KEY_DATA_NEEDS_CORRECTION"
    other = gql(UPDATE, {"input": {"number": number, "basic": basic_of(value, address="郑州市金水区经三路 9 号")}}, as_="weiwu.registrar")
    assert other["updateDossier"]["__typename"] == "UpdateDossierSuccess"
    history = gql('query($n: String!) { studentHistory(number: $n) { action changes } }', {"n": number}, as_="jinshui.dept")["studentHistory"]
    assert [h["action"] for h in history] == ["ENROLLED", "UPDATED", "RETURNED", "UPDATED", "VERIFIED", "UPDATED"]
    assert history[-1]["changes"]["address"] == {"old": "郑州市金水区纬五路 1 号", "new": "郑州市金水区经三路 9 号"}
    # personal values in the history are masked for those who may not read them
    seen = gql('query($n: String!) { studentHistory(number: $n) { changes } }', {"n": number}, as_="zhengzhou.dept")["studentHistory"]
    assert seen[-1]["changes"]["address"] == {"old": "***", "new": "***"}
    assert "guardians" in seen[1]["changes"] and seen[1]["changes"]["guardians"] == {"old": "***", "new": "***"}


def test_nothing_to_change_and_bad_codes_are_typed_errors(gql: GraphQLClient) -> None:
    value = enrolment()
    number = enrol(gql, value)["number"]
    assert gql(UPDATE, {"input": {"number": number}}, as_="weiwu.registrar")["updateDossier"]["code"] == "NOTHING_TO_CHANGE"
    bad = gql(UPDATE, {"input": {"number": number, "basic": basic_of(value, ethnicity="77")}}, as_="weiwu.registrar")
    assert (bad["updateDossier"]["code"], bad["updateDossier"]["field"]) == ("INVALID_CODE", "basic.ethnicity")
    blank = gql(UPDATE, {"input": {"number": number, "className": " "}}, as_="weiwu.registrar")["updateDossier"]
    assert (blank["code"], blank["field"]) == ("INVALID_VALUE", "status.className")


MASKED = """query($n: String!) { student(number: $n) { number idNumber idNumberFull guardians { idNumber phone }
  personal { idNumberFull phone address guardians { idNumberFull phone } } } }"""


@pytest.mark.parametrize(
    ("login", "full"),
    [
        ("weiwu.registrar", True),
        ("jinshui.dept", True),  # supervising department
        ("zhengzhou.dept", False),  # sees the student, does not need the identifiers
        ("henan.dept", False),
        ("zhengzhou.archivist", False),
        ("henan.auditor", False),
    ],
)
def test_identifiers_are_masked_unless_the_role_needs_them_and_full_reads_are_audited(
    gql: GraphQLClient, db: Any, login: str, full: bool
) -> None:
    value = enrolment()
    guardian_id = {"kind": "RESIDENT_ID", "number": "440524188001010014"}
    value["guardians"] = [{**FATHER, "idDocument": guardian_id}]
    number = enrol(gql, value)["number"]
    before = db.audit_events.count_documents({"action": "read:studentFull", "actor": login})
    student = gql(MASKED, {"n": number}, as_=login)["student"]
    id_number = value["idDocument"]["number"]
    assert student["idNumber"] == id_number[:6] + "********" + id_number[-4:]
    assert student["guardians"] == [{"idNumber": "440524********0014", "phone": "139********"}]
    if full:
        assert student["idNumberFull"] == id_number
        assert student["personal"]["guardians"] == [{"idNumberFull": "440524188001010014", "phone": "13900000000"}]
        assert db.audit_events.count_documents({"action": "read:studentFull", "actor": login}) == before + 2
    else:
        assert student["idNumberFull"] is None and student["personal"] is None
        assert db.audit_events.count_documents({"action": "read:studentFull", "actor": login}) == before


def test_students_outside_scope_are_invisible(gql: GraphQLClient) -> None:
    number = enrol(gql, enrolment())["number"]
    q = 'query($n: String!) { student(number: $n) { number } }'
    for login in ("wenhua.registrar", "zhongyuan.dept", "luoyang.dept", "admin"):
        assert gql(q, {"n": number}, as_=login)["student"] is None
    assert gql('query($n: String!) { studentHistory(number: $n) { action } }', {"n": number}, as_="wenhua.registrar")["studentHistory"] is None


LIST = """query($first: Int!, $after: String, $f: StudentFilterInput) {
  students(first: $first, after: $after, filter: $f) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { number name grade className school { code } } } } }"""


def test_lists_filter_and_page_within_scope(gql: GraphQLClient) -> None:
    made = [enrol(gql, enrolment("2141010201", className="一(9)班"), as_="funiu.registrar")["number"] for _ in range(5)]
    f = {"schoolCode": "2141010201", "className": "一(9)班"}
    first = gql(LIST, {"first": 3, "f": f}, as_="zhongyuan.dept")["students"]
    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"] is True
    rest = gql(LIST, {"first": 3, "after": first["pageInfo"]["endCursor"], "f": f}, as_="zhongyuan.dept")["students"]
    numbers = [e["node"]["number"] for e in first["edges"] + rest["edges"]]
    assert numbers == sorted(made) and rest["pageInfo"]["hasNextPage"] is False
    assert gql(LIST, {"first": 10, "f": f}, as_="jinshui.dept")["students"]["totalCount"] == 0
    by_area = gql(LIST, {"first": 10, "f": {**f, "areaCode": "410100"}}, as_="henan.dept")["students"]
    assert by_area["totalCount"] == 5
    assert gql(LIST, {"first": 10, "f": {**f, "areaCode": "410300"}}, as_="henan.dept")["students"]["totalCount"] == 0
    prefix = gql(LIST, {"first": 10, "f": {**f, "namePrefix": "王"}}, as_="zhongyuan.dept")["students"]["totalCount"]
    assert prefix == 5
    assert gql(LIST, {"first": 10, "f": {**f, "namePrefix": "李"}}, as_="zhongyuan.dept")["students"]["totalCount"] == 0


def test_incomplete_dossiers_past_the_month_are_listed(gql: GraphQLClient) -> None:
    late = enrol(gql, enrolment("2141010201", className="一(8)班", entryDate="2026-09-01"), as_="funiu.registrar")
    recent = enrol(gql, enrolment("2141010201", className="一(8)班", entryDate=(date.today() - timedelta(days=5)).isoformat()), as_="funiu.registrar")
    overdue = gql(LIST, {"first": 50, "f": {"className": "一(8)班", "completenessOverdue": True}}, as_="zhongyuan.dept")
    assert [e["node"]["number"] for e in overdue["students"]["edges"]] == [late["number"]]
    assert late["completeness"]["overdue"] is True and recent["completeness"]["overdue"] is False


def test_listing_a_hundred_students_costs_a_constant_number_of_round_trips(gql: GraphQLClient, api: ApiServer) -> None:
    for _ in range(100):
        enrol(gql, enrolment("2141010201", className="一(7)班", guardians=[FATHER]), as_="funiu.registrar")
    query = """query($first: Int!) { students(first: $first, filter: {className: "一(7)班"}) {
      edges { node { number school { code name supervisingDepartment { name } } guardians { name relation } } } } }"""

    def trips(first: int) -> int:
        start = api.commands.count
        edges = gql(query, {"first": first}, as_="zhongyuan.dept")["students"]["edges"]
        assert len(edges) == first
        return api.commands.count - start

    ten, hundred = trips(10), trips(100)
    assert ten == hundred, (ten, hundred)
    assert hundred <= 7  # account, scope, count, page, schools, areas (+ one spare)


SECTION = """mutation($input: AddSectionEntryInput!) { addSectionEntry(input: $input) {
  __typename ... on AddSectionEntrySuccess { entry { section schemaVersion data } }
  ... on AddSectionEntryError { field code } } }"""
PUBLISH = """mutation($input: PublishSectionSchemaInput!) { publishSectionSchema(input: $input) {
  __typename ... on PublishSectionSchemaSuccess { version } ... on PublishSectionSchemaError { code field } } }"""


def test_sections_are_extended_by_publishing_a_schema_version(gql: GraphQLClient) -> None:
    number = enrol(gql, enrolment())["number"]
    award = {"date": "2026-10-10", "title": "区中小学生书法比赛一等奖", "level": "COUNTY"}
    added = gql(SECTION, {"input": {"number": number, "section": "AWARDS", "data": award}}, as_="weiwu.registrar")
    assert added["addSectionEntry"]["entry"]["schemaVersion"] == 1
    with_rank = {**award, "rank": "一等奖"}
    refused = gql(SECTION, {"input": {"number": number, "section": "AWARDS", "data": with_rank}}, as_="weiwu.registrar")
    assert refused["addSectionEntry"]["code"] == "SECTION_ENTRY_INVALID"

    current = gql('{ sectionSchema(section: AWARDS) { version schema } }', as_="henan.dept")["sectionSchema"]
    schema = current["schema"]
    schema["properties"]["rank"] = {"type": "string", "maxLength": 20}
    assert gql(PUBLISH, {"input": {"section": "AWARDS", "schema": schema}}, as_="jinshui.dept")["publishSectionSchema"]["code"] == "PERMISSION_DENIED"
    bad = gql(PUBLISH, {"input": {"section": "AWARDS", "schema": {"type": "array"}}}, as_="henan.dept")["publishSectionSchema"]
    assert bad["code"] == "INVALID_SCHEMA"
    published = gql(PUBLISH, {"input": {"section": "AWARDS", "schema": schema}}, as_="henan.dept")["publishSectionSchema"]
    assert published["version"] == current["version"] + 1
    added = gql(SECTION, {"input": {"number": number, "section": "AWARDS", "data": with_rank}}, as_="weiwu.registrar")
    assert added["addSectionEntry"]["entry"] == {"section": "AWARDS", "schemaVersion": published["version"], "data": with_rank}
    entries = gql('query($n: String!) { student(number: $n) { sectionEntries(section: AWARDS) { edges { node { schemaVersion } } } } }', {"n": number}, as_="weiwu.registrar")
    assert [e["node"]["schemaVersion"] for e in entries["student"]["sectionEntries"]["edges"]] == [1, published["version"]]
    # A dossier's entries come a page at a time, oldest first, and the pages meet exactly.
    for n in range(3):
        gql(SECTION, {"input": {"number": number, "section": "AWARDS", "data": {**award, "title": f"奖项{n}"}}}, as_="weiwu.registrar")
    page_query = """query($n: String!, $after: String) { student(number: $n) { sectionEntries(first: 2, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { data } } } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = gql(page_query, {"n": number, "after": after}, as_="weiwu.registrar")["student"]["sectionEntries"]
        assert page["totalCount"] == 5 and len(page["edges"]) <= 2
        seen += [e["node"]["data"]["title"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [award["title"], award["title"], "奖项0", "奖项1", "奖项2"]
    too_many = gql.errors('query($n: String!) { student(number: $n) { sectionEntries(first: 1000) { totalCount } } }', {"n": number}, as_="weiwu.registrar")
    assert too_many[0]["extensions"]["code"] == "BAD_USER_INPUT"
