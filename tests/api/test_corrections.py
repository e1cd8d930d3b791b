"""Key-data corrections (Art. 10, R-B9) and duplicate candidates (Art. 8, R-B4)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.factories import ENROL, FATHER, enrolment, resident_id
from tests import scans
from tests.support import GraphQLClient

REQUEST = """mutation($input: RequestCorrectionInput!) { requestCorrection(input: $input) {
  __typename ... on RequestCorrectionSuccess { correction { id state number changes { name idNumber } } }
  ... on RequestCorrectionError { field message code } } }"""
DECIDE = """mutation($input: DecideCorrectionInput!) { decideCorrection(input: $input) {
  __typename ... on DecideCorrectionSuccess { correction { state decisions { step decision by } }
    student { number aliases name openBusiness } duplicateCandidates { inScope name reasons } }
  ... on DecideCorrectionError { field message code } } }"""
WITHDRAW = """mutation($id: ID!) { withdrawCorrection(input: {id: $id}) {
  __typename ... on WithdrawCorrectionSuccess { correction { state } } ... on WithdrawCorrectionError { code } } }"""


def enrol(gql: GraphQLClient, value: dict[str, Any], as_: str = "weiwu.registrar") -> dict[str, Any]:
    student: dict[str, Any] = gql(ENROL, {"input": value}, as_=as_)["enrollStudent"]["student"]
    return student


def hukou(gql: GraphQLClient, number: str, kind: str = "HOUSEHOLD_REGISTER") -> str:
    response = gql.http.post(
        "/uploads",
        params={"student": number, "kind": kind, "filename": "hukou.png"},
        content=scans.png(),
        headers={"Authorization": f"Bearer {gql.token('weiwu.registrar')}", "Content-Type": "image/png"},
    )
    assert response.status_code == 201, response.text
    doc_id: str = response.json()["document"]["id"]
    return doc_id


def request(gql: GraphQLClient, number: str, changes: dict[str, Any], evidence: list[str] | None = None, as_: str = "weiwu.registrar") -> dict[str, Any]:
    payload = {"number": number, "changes": changes, "reason": "户口簿姓名更正", "evidence": [hukou(gql, number)] if evidence is None else evidence}
    result: dict[str, Any] = gql(REQUEST, {"input": payload}, as_=as_)["requestCorrection"]
    return result


def decide(gql: GraphQLClient, cid: str, as_: str, decision: str = "APPROVE", comment: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = gql(DECIDE, {"input": {"id": cid, "decision": decision, "comment": comment}}, as_=as_)["decideCorrection"]
    return result


def test_correction_goes_school_then_department_and_keeps_old_and_new(gql: GraphQLClient, db: Any) -> None:
    value = enrolment()
    number = enrol(gql, value)["number"]
    assert request(gql, number, {"name": "王晓明"}, evidence=[])["code"] == "EVIDENCE_REQUIRED"
    assert request(gql, number, {"name": "王晓明"}, evidence=["scan:hukou.pdf"])["code"] == "EVIDENCE_REQUIRED"
    assert request(gql, number, {"name": "王晓明"}, evidence=[hukou(gql, number, "WORKING_COPY")])["code"] == "EVIDENCE_REQUIRED"
    assert request(gql, number, {})["code"] == "NOTHING_TO_CHANGE"
    assert request(gql, number, {"name": "王晓明"}, as_="jinshui.dept")["code"] == "PERMISSION_DENIED"
    opened = request(gql, number, {"name": "王晓明"})
    cid = opened["correction"]["id"]
    assert opened["correction"]["state"] == "PENDING_SCHOOL"
    # one open business per student
    second = request(gql, number, {"formerName": "王小小"})
    assert second["code"] == "ANOTHER_BUSINESS_OPEN"
    # order: the department cannot decide before the school
    assert decide(gql, cid, "jinshui.dept")["code"] == "WRONG_ACTOR"
    assert decide(gql, cid, "zhongyuan.dept")["code"] == "NOT_FOUND"
    school = decide(gql, cid, "weiwu.registrar")
    assert school["correction"]["state"] == "PENDING_DEPARTMENT" and school["student"] is None
    assert decide(gql, cid, "weiwu.registrar")["code"] == "WRONG_ACTOR"
    assert db.students.find_one({"numbers": number})["basic"]["name"] == value["basic"]["name"]  # not yet applied
    applied = decide(gql, cid, "jinshui.dept")
    assert applied["correction"]["state"] == "APPLIED"
    assert applied["student"] == {"number": number, "aliases": [], "name": "王晓明", "openBusiness": None}
    assert [d["step"] for d in applied["correction"]["decisions"]] == ["SCHOOL", "DEPARTMENT"]
    assert decide(gql, cid, "jinshui.dept")["code"] == "NOT_OPEN"
    history = gql('query($n: String!) { studentHistory(number: $n) { action changes reason evidence businessId } }', {"n": number}, as_="jinshui.dept")["studentHistory"]
    corrected = [h for h in history if h["action"] == "CORRECTED"]
    assert len(corrected) == 1
    assert corrected[0]["changes"] == {"name": {"old": value["basic"]["name"], "new": "王晓明"}}
    assert corrected[0]["reason"] == "户口簿姓名更正" and len(corrected[0]["evidence"]) == 1
    assert corrected[0]["businessId"] == cid
    # the business is closed: a new request may open
    assert request(gql, number, {"formerName": value["basic"]["name"]})["__typename"] == "RequestCorrectionSuccess"


def test_rejection_needs_a_reason_and_closes_the_business(gql: GraphQLClient) -> None:
    number = enrol(gql, enrolment())["number"]
    cid = request(gql, number, {"name": "王错字"})["correction"]["id"]
    assert decide(gql, cid, "weiwu.registrar", "REJECT")["code"] == "REASON_REQUIRED"
    rejected = decide(gql, cid, "weiwu.registrar", "REJECT", "户口簿未显示该姓名")
    assert rejected["correction"]["state"] == "REJECTED"
    cid2 = request(gql, number, {"name": "王对字"})["correction"]["id"]
    withdrawn = gql(WITHDRAW, {"id": cid2}, as_="weiwu.registrar")["withdrawCorrection"]
    assert withdrawn == {"__typename": "WithdrawCorrectionSuccess", "correction": {"state": "WITHDRAWN"}}
    assert gql(WITHDRAW, {"id": cid2}, as_="weiwu.registrar")["withdrawCorrection"]["code"] == "NOT_OPEN"


def test_correcting_the_identity_changes_the_number_keeps_the_alias_and_rechecks_duplicates(gql: GraphQLClient) -> None:
    born = date(2020, 7, 7)
    twin = enrol(gql, enrolment(born=born))
    value = enrolment(born=born, idDocument={"kind": "NONE_YET"})
    value["basic"]["name"] = "王天"
    student = enrol(gql, value)
    new_id = resident_id(born)
    cid = request(gql, student["number"], {"idDocument": {"kind": "RESIDENT_ID", "number": new_id}})["correction"]["id"]
    decide(gql, cid, "weiwu.registrar")
    applied = decide(gql, cid, "jinshui.dept")
    assert applied["student"]["number"] == "G" + new_id and applied["student"]["aliases"] == [student["number"]]
    # an identity another dossier holds is refused (and so is one claimed later, on approval)
    taken = request(gql, applied["student"]["number"], {"idDocument": {"kind": "RESIDENT_ID", "number": twin["number"][1:]}})
    assert taken["code"] == "ENROLLED_ELSEWHERE"


def test_a_correction_that_contradicts_the_id_is_refused_at_request(gql: GraphQLClient) -> None:
    number = enrol(gql, enrolment())["number"]
    refused = request(gql, number, {"birthDate": "2019-12-31"})
    assert refused["code"] == "ID_BIRTH_DATE_MISMATCH"


DUPS = """query($p: DuplicateProbeInput, $n: String) { duplicateCandidates(probe: $p, number: $n) {
  inScope name reasons student { number } } }"""


def test_duplicate_candidates_in_scope_and_masked_beyond(gql: GraphQLClient) -> None:
    born = date(2020, 5, 20)
    here = enrolment(born=born, guardians=[{**FATHER, "idDocument": {"kind": "RESIDENT_ID", "number": "11010519491231002X"}}])
    here["basic"]["name"] = "张伟"
    there = enrolment("2141030201", born=born)
    there["basic"]["name"] = "章伟"
    mine = enrol(gql, here)
    theirs = enrol(gql, there, as_="xiguan.registrar")
    probe = {"name": "张伟", "birthDate": born.isoformat(), "sex": "MALE"}
    found = gql(DUPS, {"p": probe}, as_="weiwu.registrar")["duplicateCandidates"]
    by_number = {c["student"]["number"] if c["student"] else c["name"]: c for c in found}
    assert by_number[mine["number"]]["reasons"][0] == "SAME_NAME_BIRTH_DATE_SEX"
    masked = [c for c in found if not c["inScope"]]
    assert masked and masked[0]["name"] == "章*" and masked[0]["student"] is None
    assert masked[0]["reasons"] == ["SAME_PINYIN_BIRTH_DATE_SEX", "SAME_PINYIN_BIRTH_DATE"]
    # from the other side, by number
    seen = gql(DUPS, {"n": theirs["number"]}, as_="xiguan.registrar")["duplicateCandidates"]
    assert [c["name"] for c in seen] == ["张*"]
    # a shared guardian ID, whatever the child's name
    sibling = enrolment(born=date(2019, 11, 11), guardians=here["guardians"])
    sib = gql(ENROL, {"input": sibling}, as_="weiwu.registrar")["enrollStudent"]
    assert any(c["reasons"] == ["SHARED_GUARDIAN_ID"] for c in sib["duplicateCandidates"])
