"""Status rules through GraphQL: sanctions (Art. 11(4)), suspension extensions (Art. 13(3)),
the migrant-child handover (Art. 14(2)) and naming the open business."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.terms import term_end
from tests.api.test_cases import FUNIU, WEIWU, XIGUAN, decide, enrol, upload
from tests.factories import COMPLETE_BASIC, enrolment
from tests.support import GraphQLClient

OPEN = """mutation($input: OpenCaseInput!) { openCase(input: $input) {
  __typename ... on OpenCaseSuccess { case { id kind state due parties steps { name state receivingCode holdsBusiness } } }
  ... on OpenCaseError { field message code openBusinessId openBusinessKind } } }"""
SANCTION = """query($n: String!) { student(number: $n) { state sanction { until kind reason caseId } } }"""
CORRECTION = """mutation($i: RequestCorrectionInput!) { requestCorrection(input: $i) {
  __typename ... on RequestCorrectionSuccess { correction { id } }
  ... on RequestCorrectionError { code message openBusinessId openBusinessKind } } }"""


def opened(gql: GraphQLClient, as_: str, **input: Any) -> dict[str, Any]:
    result: dict[str, Any] = gql(OPEN, {"input": input}, as_=as_)["openCase"]
    return result


def test_a_sanction_is_proposed_by_the_school_recorded_by_the_department_and_bars_a_transfer(gql: GraphQLClient) -> None:
    number = enrol(gql, grade=4, className="四(5)班", born=date(2016, 5, 15))
    until = (date.today() + timedelta(days=120)).isoformat()
    params = {"untilDate": until, "sanctionReason": "多次严重违反校规"}
    assert opened(gql, "weiwu.registrar", kind="SANCTION_RECORD", number=number, grounds="DEMERIT", params=params)["code"] == "EVIDENCE_REQUIRED"
    assert opened(gql, "weiwu.registrar", kind="SANCTION_RECORD", number=number, grounds="EXPULSION", params=params)["code"] == "INVALID_GROUNDS"
    decision = upload(gql, number, "SANCTION_DECISION")
    assert opened(gql, "jinshui.dept", kind="SANCTION_RECORD", number=number, grounds="DEMERIT", params=params, evidence=[decision])["code"] == "WRONG_OPENER"
    case = opened(gql, "weiwu.registrar", kind="SANCTION_RECORD", number=number, grounds="DEMERIT", params=params, evidence=[decision])["case"]
    assert [s["name"] for s in case["steps"]] == ["SCHOOL_PROPOSES", "DEPARTMENT_RECORDS"]
    decide(gql, case["id"], "weiwu.registrar")
    assert decide(gql, case["id"], "weiwu.registrar")["code"] == "WRONG_ACTOR"  # the department records it
    recorded = decide(gql, case["id"], "jinshui.dept")
    assert recorded["case"]["state"] == "COMPLETED" and recorded["student"]["state"] == "ENROLLED"  # never a change of status
    expected = {"until": until, "kind": "DEMERIT", "reason": "多次严重违反校规", "caseId": case["id"]}
    for login in ("weiwu.registrar", "jinshui.dept", "zhengzhou.dept"):
        assert gql(SANCTION, {"n": number}, as_=login)["student"] == {"state": "ENROLLED", "sanction": expected}, login
    assert gql(SANCTION, {"n": number}, as_="funiu.registrar")["student"] is None  # outside the scope: nothing
    history = gql("query($n: String!) { studentHistory(number: $n) { action changes } }", {"n": number}, as_="weiwu.registrar")
    assert history["studentHistory"][-1] == {"action": "STATUS:SANCTION_RECORD", "changes": {"sanction_until": {"old": None, "new": until}}}
    # Art. 11(4): no transfer while sanctioned
    refused = opened(gql, "funiu.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)
    assert refused["code"] == "UNDER_SANCTION"
    # the school lifts it with its decision, the department records the end
    lift = upload(gql, number, "SANCTION_DECISION")
    end = opened(gql, "weiwu.registrar", kind="SANCTION_END", number=number, evidence=[lift])["case"]
    decide(gql, end["id"], "weiwu.registrar")
    decide(gql, end["id"], "jinshui.dept")
    assert gql(SANCTION, {"n": number}, as_="weiwu.registrar")["student"]["sanction"] is None
    assert opened(gql, "weiwu.registrar", kind="SANCTION_END", number=number, evidence=[lift])["code"] == "NOT_SANCTIONED"
    transfer = opened(gql, "funiu.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)
    assert transfer["__typename"] == "OpenCaseSuccess"


def test_a_suspension_extension_must_end_after_the_current_suspension(gql: GraphQLClient) -> None:
    number = enrol(gql, grade=2, className="二(7)班", born=date(2018, 7, 17))
    app = upload(gql, number, "STATUS_APPLICATION")
    until = date.today() + timedelta(days=100)
    case = opened(gql, "weiwu.registrar", kind="SUSPENSION", number=number, grounds="LONG_LEAVE", params={"untilDate": until.isoformat()}, evidence=[app])["case"]
    decide(gql, case["id"], "weiwu.registrar")
    decide(gql, case["id"], "jinshui.dept")
    again = upload(gql, number, "STATUS_APPLICATION")
    for shorter in (until, until - timedelta(days=30)):
        refused = opened(gql, "weiwu.registrar", kind="SUSPENSION_EXTENSION", number=number, grounds="LONG_LEAVE", params={"untilDate": shorter.isoformat()}, evidence=[again])
        assert (refused["code"], refused["field"]) == ("NOT_AN_EXTENSION", "params.untilDate")
    longer = opened(gql, "weiwu.registrar", kind="SUSPENSION_EXTENSION", number=number, grounds="LONG_LEAVE", params={"untilDate": (until + timedelta(days=200)).isoformat()}, evidence=[again])
    assert longer["__typename"] == "OpenCaseSuccess"


def test_a_migrant_childs_handover_is_due_at_term_end_names_the_household_county_and_lets_the_child_resume(gql: GraphQLClient, db: Any) -> None:
    # household registration in 信阳市浉河区 (411502), at school in Zhengzhou
    value = enrolment(WEIWU, born=date(2015, 5, 25), grade=5, className="五(6)班", flags={"migrantChild": True})
    value["basic"] |= {**COMPLETE_BASIC, "householdPlace": "411502"}
    number = gql("mutation($i: EnrollStudentInput!) { enrollStudent(input: $i) { ... on EnrollStudentSuccess { student { number } } } }", {"i": value}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    case = opened(gql, "weiwu.registrar", kind="DROPOUT_REPORT", number=number, params={"addressees": "纬五路街道办事处；金水区教育局"})["case"]
    assert case["parties"]["HOUSEHOLD_DEPARTMENT"] == "411502"
    handover = case["steps"][2]
    assert handover == {"name": "END_OF_TERM_HANDOVER", "state": "PENDING", "receivingCode": "411502", "holdsBusiness": False}
    decide(gql, case["id"], "weiwu.registrar")
    acknowledged = decide(gql, case["id"], "jinshui.dept")
    assert acknowledged["student"]["state"] == "DROPPED_OUT" and acknowledged["case"]["state"] == "OPEN"
    pending = gql("query($id: ID!) { case(id: $id) { due steps { name state } } }", {"id": case["id"]}, as_="jinshui.dept")["case"]
    assert pending["due"] == term_end(date.today()).isoformat()  # Art. 14(2): 每学期末
    # the receiving department sees the case it will receive
    assert db.cases.find_one({"_id": case["id"]})["parties"]["HOUSEHOLD_DEPARTMENT"] == "411502"
    # Art. 14(2): the school works to bring the child back while the handover is pending
    app = upload(gql, number, "STATUS_APPLICATION")
    resumption = opened(gql, "weiwu.registrar", kind="RESUMPTION", number=number, params={"grade": 5}, evidence=[app])
    assert resumption["__typename"] == "OpenCaseSuccess", resumption
    # one open business still holds for everything else, and it is the resumption
    busy = opened(gql, "weiwu.registrar", kind="DEATH", number=number, params={"informedOn": date.today().isoformat()}, evidence=[app])
    assert (busy["code"], busy["openBusinessId"], busy["openBusinessKind"]) == ("ANOTHER_BUSINESS_OPEN", resumption["case"]["id"], "RESUMPTION")
    decide(gql, resumption["case"]["id"], "weiwu.registrar")
    assert decide(gql, resumption["case"]["id"], "jinshui.dept")["student"]["state"] == "ENROLLED"
    # the handover can still be closed; it changes nothing on the dossier
    assert decide(gql, case["id"], "jinshui.dept", comment="学生已复学，无需转交")["case"]["state"] == "COMPLETED"
    stored = db.students.find_one({"numbers": number})
    assert stored["state"] == "ENROLLED" and stored["open_business"] is None


def test_another_business_open_names_the_case_to_whoever_may_see_it(gql: GraphQLClient) -> None:
    number = enrol(gql, grade=3, className="三(5)班", born=date(2017, 5, 25))
    app = upload(gql, number, "STATUS_APPLICATION")
    abroad = opened(gql, "weiwu.registrar", kind="ABROAD", number=number, evidence=[app])["case"]
    mine = opened(gql, "weiwu.registrar", kind="SKIP_GRADE", number=number, params={"grade": 4}, evidence=[app])
    assert (mine["code"], mine["openBusinessId"], mine["openBusinessKind"]) == ("ANOTHER_BUSINESS_OPEN", abroad["id"], "ABROAD")
    assert abroad["id"] in mine["message"]
    proof = upload(gql, number, "HOUSEHOLD_REGISTER")
    correction = gql(CORRECTION, {"i": {"number": number, "changes": {"name": "王改名"}, "reason": "户口簿", "evidence": [proof]}}, as_="weiwu.registrar")
    assert correction["requestCorrection"] == {
        "__typename": "RequestCorrectionError", "code": "ANOTHER_BUSINESS_OPEN", "openBusinessId": abroad["id"], "openBusinessKind": "ABROAD",
        "message": correction["requestCorrection"]["message"],
    }
    # a receiving school that is no party to the open case learns only that there is one
    other = opened(gql, "xiguan.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=XIGUAN)
    assert (other["code"], other["openBusinessId"], other["openBusinessKind"]) == ("ANOTHER_BUSINESS_OPEN", None, None)
    assert "case-" not in other["message"] and "ABROAD" not in other["message"]
    # and a correction is named as one
    gql("mutation($id: ID!) { withdrawCase(input: {id: $id, reason: \"x\"}) { __typename } }", {"id": abroad["id"]}, as_="weiwu.registrar")
    requested = gql(CORRECTION, {"i": {"number": number, "changes": {"name": "王改名"}, "reason": "户口簿", "evidence": [proof]}}, as_="weiwu.registrar")
    correction_id = requested["requestCorrection"]["correction"]["id"]
    busy = opened(gql, "weiwu.registrar", kind="ABROAD", number=number, evidence=[app])
    assert (busy["openBusinessId"], busy["openBusinessKind"]) == (correction_id, "CORRECTION")
