"""Status changes through GraphQL on the real servers (Art. 11-16, R-C1..C7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncio

from api.app import s3_client, stores_of
from api.settings import Settings
from domain.calendar import WorkingCalendar
from domain.workflows.definitions import TERM_STARTS, TRANSFER_WINDOW_DAYS
from application.cases import escalate_overdue, remind_suspensions_ended
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect
from tests import scans
from tests.factories import ENROL, enrolment
from tests.support import GraphQLClient

OPEN = """mutation($input: OpenCaseInput!) { openCase(input: $input) {
  __typename ... on OpenCaseSuccess { case { id kind state warnings due dueProvisional steps { name state responsibleCode } } }
  ... on OpenCaseError { field message code } } }"""
DECIDE = """mutation($input: DecideCaseInput!) { decideCase(input: $input) {
  __typename ... on DecideCaseSuccess { case { id state escalatedTo steps { name state } timeline { action actor step comment } }
    student { number state grade school { code } attendingSchoolCode suspensionUntil reportedMissing skippedGrades formerSchoolCodes } }
  ... on DecideCaseError { field message code } } }"""
STUDENT = """query($n: String!) { student(number: $n) { number state grade school { code } reportedMissing
  cases { kind state } history { action changes } } }"""

WEIWU, FUNIU, XIGUAN = "2141010501", "2141010201", "2141030201"


def enrol(gql: GraphQLClient, school: str = WEIWU, as_: str = "weiwu.registrar", **over: Any) -> str:
    value = enrolment(school, **over)
    result = gql(ENROL, {"input": value}, as_=as_)["enrollStudent"]
    number: str = result["student"]["number"]
    return number


def upload(gql: GraphQLClient, number: str, kind: str, *, as_: str = "weiwu.registrar", image: bool = True, **params: str) -> str:
    body, ctype, name = (scans.png(), "image/png", "a.png") if image else (scans.pdf(1), "application/pdf", "a.pdf")
    response = gql.http.post(
        "/uploads",
        params={"student": number, "kind": kind, "filename": name, **params},
        content=body,
        headers={"Authorization": f"Bearer {gql.token(as_)}", "Content-Type": ctype},
    )
    assert response.status_code == 201, response.text
    doc_id: str = response.json()["document"]["id"]
    return doc_id


def open_case(gql: GraphQLClient, as_: str, **input: Any) -> dict[str, Any]:
    result: dict[str, Any] = gql(OPEN, {"input": input}, as_=as_)["openCase"]
    return result


def decide(gql: GraphQLClient, case_id: str, as_: str, decision: str = "APPROVE", **more: Any) -> dict[str, Any]:
    result: dict[str, Any] = gql(DECIDE, {"input": {"id": case_id, "decision": decision, **more}}, as_=as_)["decideCase"]
    return result


def job(settings: Settings, now: datetime) -> tuple[int, int]:
    async def run() -> tuple[int, int]:
        assert settings.mongodb_uri is not None
        client = connect(settings.mongodb_uri)
        try:
            stores = stores_of(Collections.of(client[settings.mongodb_database]), EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket))
            return await escalate_overdue(stores, now), await remind_suspensions_ended(stores, now.date())
        finally:
            await client.close()

    return asyncio.run(run())


def test_transfer_in_four_steps_moves_the_dossier_and_the_old_school_keeps_a_read_only_copy(gql: GraphQLClient) -> None:
    number = enrol(gql, grade=3, className="三(1)班", born=date(2017, 4, 4))
    # the sending school can never open a transfer (Art. 11(4))
    own = open_case(gql, "weiwu.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)
    assert own["code"] == "WRONG_OPENER"
    assert open_case(gql, "funiu.registrar", kind="TRANSFER", number=number, grounds="BETTER_TEACHERS", targetSchoolCode=FUNIU)["code"] == "INVALID_GROUNDS"
    opened = open_case(gql, "funiu.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)
    case = opened["case"]
    assert [s["name"] for s in case["steps"]] == ["RECEIVING_SCHOOL", "RECEIVING_DEPARTMENT", "SENDING_SCHOOL", "SENDING_DEPARTMENT"]
    assert [s["responsibleCode"] for s in case["steps"]] == [FUNIU, "410102", WEIWU, "410105"]
    assert case["warnings"] == ([] if _in_transfer_window(date.today()) else ["OUTSIDE_TRANSFER_WINDOW"])
    # a second business for the same student is refused
    second = open_case(gql, "weiwu.registrar", kind="ABROAD", number=number)
    assert second["code"] == "ANOTHER_BUSINESS_OPEN"
    # steps in order, each by its own party
    assert decide(gql, case["id"], "weiwu.registrar")["code"] == "WRONG_ACTOR"
    assert decide(gql, case["id"], "funiu.registrar")["code"] == "EVIDENCE_REQUIRED"
    application = upload(gql, number, "STATUS_APPLICATION", as_="funiu.registrar", businessKind="case", businessId=case["id"])
    assert decide(gql, case["id"], "funiu.registrar", evidence=[application])["case"]["steps"][0]["state"] == "DONE"
    assert decide(gql, case["id"], "jinshui.dept")["code"] == "WRONG_ACTOR"
    if case["warnings"]:  # more than two months into term: the department overrides with a reason
        assert decide(gql, case["id"], "zhongyuan.dept")["code"] == "OVERRIDE_REQUIRED"
    decide(gql, case["id"], "zhongyuan.dept", overrideReason="父母户籍已迁入中原区，材料齐全")
    decide(gql, case["id"], "weiwu.registrar")
    done = decide(gql, case["id"], "jinshui.dept")
    assert done["case"]["state"] == "COMPLETED"
    student = done["student"]
    assert student["number"] == number and student["school"] == {"code": FUNIU} and student["formerSchoolCodes"] == [WEIWU]
    # the receiving school now holds it; the sending school reads it and can no longer change it
    assert gql(STUDENT, {"n": number}, as_="funiu.registrar")["student"]["school"] == {"code": FUNIU}
    assert gql(STUDENT, {"n": number}, as_="weiwu.registrar")["student"]["number"] == number
    write = gql("mutation($n: String!) { updateDossier(input: {number: $n, className: \"三(9)班\"}) { __typename ... on UpdateDossierError { code } } }", {"n": number}, as_="weiwu.registrar")
    assert write["updateDossier"]["code"] == "PERMISSION_DENIED"
    history = gql(STUDENT, {"n": number}, as_="funiu.registrar")["student"]["history"]
    assert history[-1]["action"] == "STATUS:TRANSFER" and history[-1]["changes"]["school"] == {"old": WEIWU, "new": FUNIU}
    timeline = done["case"]["timeline"]
    assert [t["action"] for t in timeline] == ["OPENED", "APPROVED", "APPROVED", "APPROVED", "APPROVED", "COMPLETED"]
    assert "override" in timeline[2]["comment"]
    # the evidence follows the dossier: the new school sees it, and so does the old one (copy)
    doc_query = "query($id: ID!) { document(id: $id) { id } }"
    assert gql(doc_query, {"id": application}, as_="funiu.registrar")["document"] == {"id": application}
    # nobody outside the case sees it, the admin included; a completed case cannot be re-decided
    assert gql("query($id: ID!) { case(id: $id) { id } }", {"id": case["id"]}, as_="admin")["case"] is None
    assert gql("query($id: ID!) { case(id: $id) { id } }", {"id": case["id"]}, as_="xiguan.registrar")["case"] is None
    assert decide(gql, case["id"], "henan.auditor")["code"] == "READ_ONLY_ROLE"
    assert decide(gql, case["id"], "jinshui.dept")["code"] == "NOT_OPEN"


def _in_transfer_window(today: date) -> bool:
    starts = [date(y, m, d) for y in (today.year, today.year - 1) for m, d in TERM_STARTS]
    return any(s <= today <= s + timedelta(days=TRANSFER_WINDOW_DAYS) for s in starts)


def test_only_the_receiving_schools_registrar_can_look_a_student_up_to_open_a_transfer(gql: GraphQLClient) -> None:
    number = enrol(gql, grade=2, className="二(4)班", born=date(2018, 7, 7))
    for login, target in (("admin", FUNIU), ("henan.dept", FUNIU), ("xiguan.registrar", FUNIU)):
        refused = open_case(gql, login, kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=target)
        assert refused["code"] == "WRONG_OPENER", login
    unknown = open_case(gql, "funiu.registrar", kind="TRANSFER", number="G110105194912310021", grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)
    assert unknown["code"] == "NOT_FOUND"
    opened = open_case(gql, "funiu.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)["case"]
    busy = open_case(gql, "xiguan.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=XIGUAN)
    assert busy["code"] == "ANOTHER_BUSINESS_OPEN" and "case-" not in busy["message"]
    # the receiving school uploads new evidence to the case, never versions of the holding school's documents
    held = upload(gql, number, "HOUSEHOLD_REGISTER")
    response = gql.http.post(
        "/uploads",
        params={"student": number, "kind": "HOUSEHOLD_REGISTER", "filename": "a.png", "businessKind": "case", "businessId": opened["id"], "replaces": held},
        content=scans.png(),
        headers={"Authorization": f"Bearer {gql.token('funiu.registrar')}", "Content-Type": "image/png"},
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "PERMISSION_DENIED"


def test_transfer_guards(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql, grade=2, className="二(1)班", born=date(2018, 5, 5))
    db.students.update_one({"numbers": number}, {"$set": {"sanction_until": datetime(2027, 1, 31, tzinfo=UTC)}})
    refused = open_case(gql, "funiu.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)
    assert refused["code"] == "UNDER_SANCTION"
    db.students.update_one({"numbers": number}, {"$set": {"sanction_until": None}})
    at_funiu = enrol(gql, FUNIU, as_="funiu.registrar", grade=2, className="二(1)班", born=date(2018, 5, 6))
    same = open_case(gql, "funiu.registrar", kind="TRANSFER", number=at_funiu, grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)
    assert same["code"] == "SAME_SCHOOL"
    no_target = open_case(gql, "funiu.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED")
    assert no_target["code"] == "WRONG_OPENER"  # without a target the caller is no receiving school
    no_school = open_case(gql, "weiwu.registrar", kind="SPECIAL_PLACEMENT", number=number, grounds="WORK_STUDY", params={"moveStatus": False})
    assert no_school["code"] == "TARGET_REQUIRED"


def test_cross_province_transfer_needs_the_original_schools_status_certificate(gql: GraphQLClient, db: Any) -> None:
    db.areas.insert_many([
        {"_id": "420000", "name": "湖北省", "level": "PROVINCE", "parent_code": None},
        {"_id": "420100", "name": "武汉市", "level": "CITY", "parent_code": "420000"},
        {"_id": "420106", "name": "武昌区", "level": "COUNTY", "parent_code": "420100"},
    ])
    db.schools.insert_one({"_id": "2142010601", "name": "武昌区实验小学", "kind": "PRIMARY", "ownership": "PUBLIC", "area_code": "420106", "city_code": "420100", "province_code": "420000", "supervisor_code": "420106", "version": 1})
    db.accounts.insert_many([
        {"_id": "wuchang.registrar", "name": "武昌实验小学学籍管理员", "role": "SCHOOL_REGISTRAR", "scope_code": "2142010601", "trained_on": datetime(2026, 1, 1, tzinfo=UTC), "disabled": False},
        {"_id": "wuchang.dept", "name": "武昌区教育局", "role": "COUNTY_DEPARTMENT", "scope_code": "420106", "trained_on": None, "disabled": False},
    ])
    try:
        _cross_province(gql)
    finally:  # other tests count the schools and areas each role sees
        db.schools.delete_one({"_id": "2142010601"})
        db.areas.delete_many({"_id": {"$in": ["420000", "420100", "420106"]}})
        db.accounts.delete_many({"_id": {"$in": ["wuchang.registrar", "wuchang.dept"]}})


def _cross_province(gql: GraphQLClient) -> None:
    number = enrol(gql, grade=4, className="四(1)班", born=date(2016, 6, 6))
    case = open_case(gql, "wuchang.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode="2142010601")["case"]
    application = upload(gql, number, "STATUS_APPLICATION", as_="wuchang.registrar", businessKind="case", businessId=case["id"])
    refused = decide(gql, case["id"], "wuchang.registrar", evidence=[application])
    assert refused["code"] == "EVIDENCE_REQUIRED" and "TRANSFER_CERTIFICATE" in refused["message"]
    certificate = upload(gql, number, "TRANSFER_CERTIFICATE", as_="wuchang.registrar", businessKind="case", businessId=case["id"])
    assert decide(gql, case["id"], "wuchang.registrar", evidence=[application, certificate])["case"]["steps"][0]["state"] == "DONE"


def test_suspension_extension_resumption_and_the_expiry_reminder(gql: GraphQLClient, settings: Settings) -> None:
    number = enrol(gql, grade=2, className="二(2)班", born=date(2018, 2, 2))
    application = upload(gql, number, "STATUS_APPLICATION")
    until = (date.today() + timedelta(days=200)).isoformat()
    too_far = (date.today() + timedelta(days=400)).isoformat()
    no_certificate = open_case(gql, "weiwu.registrar", kind="SUSPENSION", number=number, grounds="ILLNESS", params={"untilDate": until}, evidence=[application])
    assert no_certificate["code"] == "EVIDENCE_REQUIRED"
    certificate = upload(gql, number, "MEDICAL_CERTIFICATE")
    too_long = open_case(gql, "weiwu.registrar", kind="SUSPENSION", number=number, grounds="ILLNESS", params={"untilDate": too_far}, evidence=[application, certificate])
    assert too_long["code"] == "TOO_LONG"
    case = open_case(gql, "weiwu.registrar", kind="SUSPENSION", number=number, grounds="ILLNESS", params={"untilDate": until}, evidence=[application, certificate])["case"]
    decide(gql, case["id"], "weiwu.registrar")
    done = decide(gql, case["id"], "jinshui.dept")
    assert done["student"]["state"] == "SUSPENDED" and done["student"]["suspensionUntil"] == until
    # a suspended student cannot transfer (Art. 11(4))
    assert open_case(gql, "funiu.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)["code"] == "SUSPENDED"
    # resumption after illness needs the recovery certificate; the grade continues the studies
    app2 = upload(gql, number, "STATUS_APPLICATION")
    refused = open_case(gql, "weiwu.registrar", kind="RESUMPTION", number=number, params={"grade": 2}, evidence=[app2])
    assert refused["code"] == "EVIDENCE_REQUIRED"
    recovery = upload(gql, number, "RECOVERY_CERTIFICATE")
    assert open_case(gql, "weiwu.registrar", kind="RESUMPTION", number=number, params={"grade": 1}, evidence=[app2, recovery])["code"] == "GRADE_NOT_OFFERED"
    # the reminder once the suspension has run out (the daily job run two days after it ends)
    after_end = datetime.now(UTC) + timedelta(days=202)
    assert job(settings, after_end)[1] >= 1
    assert job(settings, after_end)[1] == 0  # once only
    reminders = gql("{ reminders { number kind due } }", as_="weiwu.registrar")["reminders"]
    assert {"number": number, "kind": "SUSPENSION_ENDED", "due": until} in reminders
    resumed = open_case(gql, "weiwu.registrar", kind="RESUMPTION", number=number, params={"grade": 3}, evidence=[app2, recovery])["case"]
    decide(gql, resumed["id"], "weiwu.registrar")
    back = decide(gql, resumed["id"], "jinshui.dept")["student"]
    assert back["state"] == "ENROLLED" and back["grade"] == 3 and back["suspensionUntil"] is None


def test_extension_needs_a_suspended_student_and_new_evidence(gql: GraphQLClient) -> None:
    number = enrol(gql, grade=2, className="二(3)班", born=date(2018, 3, 3))
    app = upload(gql, number, "STATUS_APPLICATION")
    refused = open_case(gql, "weiwu.registrar", kind="SUSPENSION_EXTENSION", number=number, grounds="LONG_LEAVE", params={"untilDate": (date.today() + timedelta(days=100)).isoformat()}, evidence=[app])
    assert refused["code"] == "WRONG_STATE"


def test_abroad_and_back_the_same_dossier_continues(gql: GraphQLClient) -> None:
    number = enrol(gql, grade=4, className="四(2)班", born=date(2016, 3, 3))
    app = upload(gql, number, "STATUS_APPLICATION")
    away = open_case(gql, "weiwu.registrar", kind="ABROAD", number=number, evidence=[app])["case"]
    assert decide(gql, away["id"], "weiwu.registrar")["student"]["state"] == "ABROAD"
    back = open_case(gql, "weiwu.registrar", kind="RETURN_FROM_ABROAD", number=number, params={"grade": 5})["case"]
    returned = decide(gql, back["id"], "weiwu.registrar")["student"]
    assert returned == {**returned, "number": number, "state": "ENROLLED", "grade": 5}


def test_dropout_report_keeps_the_status_and_lists_the_migrant_handover(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql, grade=5, className="五(1)班", born=date(2015, 3, 3), flags={"migrantChild": True})
    assert open_case(gql, "weiwu.registrar", kind="DROPOUT_REPORT", number=number)["code"] == "INVALID_VALUE"
    case = open_case(gql, "weiwu.registrar", kind="DROPOUT_REPORT", number=number, params={"addressees": "纬五路街道办事处；金水区教育局"})["case"]
    assert [s["name"] for s in case["steps"]] == ["SCHOOL_REPORT", "DEPARTMENT_ACKNOWLEDGES", "END_OF_TERM_HANDOVER"]
    decide(gql, case["id"], "weiwu.registrar")
    acknowledged = decide(gql, case["id"], "jinshui.dept")
    assert acknowledged["student"]["state"] == "DROPPED_OUT" and acknowledged["case"]["state"] == "OPEN"
    inbox = gql('{ cases(filter: {awaitingMyDecision: true, kind: DROPOUT_REPORT}) { edges { node { number steps { name state } } } } }', as_="jinshui.dept")
    assert number in [e["node"]["number"] for e in inbox["cases"]["edges"]]
    assert decide(gql, case["id"], "jinshui.dept", comment="已转交户籍地")["case"]["state"] == "COMPLETED"
    assert db.students.find_one({"numbers": number})["state"] == "DROPPED_OUT"


def test_skip_grade_needs_the_signed_form_image_and_stays_in_stage_and_school(gql: GraphQLClient) -> None:
    number = enrol(gql, grade=3, className="三(3)班", born=date(2017, 2, 2))
    app = upload(gql, number, "STATUS_APPLICATION")
    assert open_case(gql, "weiwu.registrar", kind="SKIP_GRADE", number=number, params={"grade": 7}, evidence=[app])["code"] == "CROSSES_STAGE"
    assert open_case(gql, "weiwu.registrar", kind="SKIP_GRADE", number=number, targetSchoolCode=FUNIU, params={"grade": 4}, evidence=[app])["code"] == "OTHER_SCHOOL"
    case = open_case(gql, "weiwu.registrar", kind="SKIP_GRADE", number=number, params={"grade": 5}, evidence=[app])["case"]
    assert decide(gql, case["id"], "weiwu.registrar")["code"] == "EVIDENCE_REQUIRED"
    pdf_form = upload(gql, number, "SKIP_GRADE_FORM", image=False)
    assert decide(gql, case["id"], "weiwu.registrar", evidence=[pdf_form])["code"] == "EVIDENCE_REQUIRED"  # must be an image
    form = upload(gql, number, "SKIP_GRADE_FORM")
    decide(gql, case["id"], "weiwu.registrar", evidence=[form])
    student = decide(gql, case["id"], "jinshui.dept")["student"]
    assert student["grade"] == 5 and student["skippedGrades"] == [4]


def test_skip_grade_at_a_nine_year_school_never_crosses_into_junior_secondary(gql: GraphQLClient) -> None:
    number = enrol(gql, "2141012201", as_="chengguan.registrar", grade=6, className="六(1)班", born=date(2014, 2, 2))
    app = upload(gql, number, "STATUS_APPLICATION", as_="chengguan.registrar")
    assert open_case(gql, "chengguan.registrar", kind="SKIP_GRADE", number=number, params={"grade": 7}, evidence=[app])["code"] == "CROSSES_STAGE"


def test_death_within_ten_working_days_and_late(gql: GraphQLClient, settings: Settings) -> None:
    number = enrol(gql, grade=1, className="一(6)班")
    certificate = upload(gql, number, "DEATH_CERTIFICATE", image=False)
    informed = date.today() - timedelta(days=1)
    assert open_case(gql, "weiwu.registrar", kind="DEATH", number=number, params={"informedOn": informed.isoformat()})["code"] == "EVIDENCE_REQUIRED"
    timely = open_case(gql, "weiwu.registrar", kind="DEATH", number=number, params={"informedOn": informed.isoformat()}, evidence=[certificate])["case"]
    assert timely["warnings"] == [] and timely["due"] == WorkingCalendar().add_working_days(informed, 10).due.isoformat()
    gql('mutation($id: ID!) { withdrawCase(input: {id: $id, reason: "登记有误"}) { __typename } }', {"id": timely["id"]}, as_="weiwu.registrar")
    # informed on 28 September: the ten working days ran across National Day and the 调休 Saturday
    late = open_case(gql, "weiwu.registrar", kind="DEATH", number=number, params={"informedOn": "2026-09-28"}, evidence=[certificate])["case"]
    assert late["due"] == "2026-10-16" and late["warnings"] == ["OVERDUE_AT_OPENING"]
    assert job(settings, datetime.now(UTC))[0] >= 1  # escalated to the supervising department
    escalated = gql("query($id: ID!) { case(id: $id) { escalatedTo overdue } }", {"id": late["id"]}, as_="jinshui.dept")["case"]
    assert escalated == {"escalatedTo": "410105", "overdue": True}
    decide(gql, late["id"], "weiwu.registrar")
    assert decide(gql, late["id"], "jinshui.dept")["student"]["state"] == "DECEASED"


def test_missing_students_are_reported_and_never_cancelled(gql: GraphQLClient) -> None:
    number = enrol(gql, grade=1, className="一(5)班")
    case = open_case(gql, "weiwu.registrar", kind="MISSING_REPORT", number=number, grounds="MISSING")["case"]
    decide(gql, case["id"], "weiwu.registrar")
    student = decide(gql, case["id"], "jinshui.dept")["student"]
    assert student["reportedMissing"] is True and student["state"] == "ENROLLED"
    assert open_case(gql, "weiwu.registrar", kind="DEATH", number=number, params={"informedOn": date.today().isoformat()})["code"] == "EVIDENCE_REQUIRED"


def test_escalation_is_idempotent_and_only_the_level_above_forces(gql: GraphQLClient, db: Any, settings: Settings) -> None:
    number = enrol(gql, grade=1, className="一(4)班")
    app = upload(gql, number, "STATUS_APPLICATION")
    case = open_case(gql, "weiwu.registrar", kind="ABROAD", number=number, evidence=[app])["case"]
    db.cases.update_one({"_id": case["id"]}, {"$set": {"due": datetime(2026, 11, 1, tzinfo=UTC)}})  # as if ten working days passed
    first, _ = job(settings, datetime.now(UTC))
    again, _ = job(settings, datetime.now(UTC))
    assert first >= 1 and again == 0
    events = [e["action"] for e in gql("query($id: ID!) { case(id: $id) { timeline { action } } }", {"id": case["id"]}, as_="weiwu.registrar")["case"]["timeline"]]
    assert events.count("ESCALATED") == 1
    overdue = gql("{ cases(filter: {overdue: true}) { edges { node { number escalatedTo } } } }", as_="jinshui.dept")["cases"]["edges"]
    assert {"number": number, "escalatedTo": "410105"} in [e["node"] for e in overdue]
    inbox = gql("{ cases(filter: {awaitingMyDecision: true}) { edges { node { number } } } }", as_="jinshui.dept")["cases"]["edges"]
    assert number in [e["node"]["number"] for e in inbox]  # escalated steps land in the inbox of the level above
    assert decide(gql, case["id"], "zhengzhou.dept", "FORCE", comment="x")["code"] == "WRONG_ACTOR"
    assert decide(gql, case["id"], "jinshui.dept", "FORCE")["code"] == "REASON_REQUIRED"
    forced = decide(gql, case["id"], "jinshui.dept", "FORCE", comment="学校逾期，主管部门强制办理")
    assert forced["case"]["state"] == "COMPLETED" and forced["student"]["state"] == "ABROAD"


def test_special_education_student_attends_a_regular_school_with_the_status_kept(gql: GraphQLClient) -> None:
    number = enrol(gql, "2141010202", as_="tejiao.registrar", grade=3, className="三(1)班", born=date(2017, 8, 8), flags={"disability": "2"})
    case = open_case(gql, "tejiao.registrar", kind="SPECIAL_PLACEMENT", number=number, grounds="SPECIAL_TO_REGULAR", targetSchoolCode=FUNIU, params={"moveStatus": False})["case"]
    decide(gql, case["id"], "tejiao.registrar")
    student = decide(gql, case["id"], "funiu.registrar")["student"]
    assert student["school"] == {"code": "2141010202"} and student["attendingSchoolCode"] == FUNIU


def test_no_operation_expels_punishes_forces_a_transfer_or_a_repeated_grade(gql: GraphQLClient) -> None:
    schema = gql('{ m: __type(name: "Mutation") { fields { name } } k: __type(name: "CaseKind") { enumValues { name } } }', as_="admin")
    names = [f["name"].lower() for f in schema["m"]["fields"]] + [v["name"].lower() for v in schema["k"]["enumValues"]]
    for forbidden in ("expel", "dismiss", "punish", "repeat", "forcetransfer", "force_transfer", "demote", "cancelstatus"):
        assert not [n for n in names if forbidden in n.replace("_", "") or forbidden in n], forbidden


def test_working_calendar_is_queryable_and_admin_publishes_a_year(gql: GraphQLClient) -> None:
    q = "query($y: Int!) { workingCalendar(year: $y) { published workdays } }"
    assert gql(q, {"y": 2026}, as_="weiwu.registrar")["workingCalendar"] == {
        "published": True,
        "workdays": ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    }
    assert gql(q, {"y": 2031}, as_="weiwu.registrar")["workingCalendar"]["published"] is False
    m = """mutation($i: SetCalendarYearInput!) { setCalendarYear(input: $i) { __typename ... on SetCalendarYearError { code } } }"""
    year = {"year": 2031, "daysOff": ["2031-01-01"], "workdays": ["2031-01-04"]}
    assert gql(m, {"i": year}, as_="henan.dept")["setCalendarYear"]["code"] == "PERMISSION_DENIED"
    assert gql(m, {"i": year}, as_="admin")["setCalendarYear"]["__typename"] == "SetCalendarYearSuccess"
    assert gql(q, {"y": 2031}, as_="weiwu.registrar")["workingCalendar"] == {"published": True, "workdays": ["2031-01-04"]}


def test_effects_that_did_not_reach_the_dossier_are_written_by_the_next_decision(gql: GraphQLClient, db: Any) -> None:
    # a middle step's effect lost (the dossier write interrupted after the case advanced)
    number = enrol(gql, grade=5, className="五(3)班", born=date(2015, 4, 4), flags={"migrantChild": True})
    case = open_case(gql, "weiwu.registrar", kind="DROPOUT_REPORT", number=number, params={"addressees": "纬五路街道；金水区教育局"})["case"]
    decide(gql, case["id"], "weiwu.registrar")
    decide(gql, case["id"], "jinshui.dept")
    # the lost write would also have released the business (the handover step does not hold it)
    db.students.update_one({"numbers": number}, {"$set": {"state": "ENROLLED", "open_business": case["id"]}, "$inc": {"version": 1}})
    db.cases.update_one({"_id": case["id"]}, {"$set": {"effects_applied": 1}})
    done = decide(gql, case["id"], "jinshui.dept", comment="已转交")
    assert done["case"]["state"] == "COMPLETED"
    assert db.students.find_one({"numbers": number})["state"] == "DROPPED_OUT"
    # a completion interrupted before the dossier was written: the last party decides again
    other = enrol(gql, grade=2, className="二(5)班", born=date(2018, 9, 9))
    app = upload(gql, other, "STATUS_APPLICATION")
    abroad = open_case(gql, "weiwu.registrar", kind="ABROAD", number=other, evidence=[app])["case"]
    decide(gql, abroad["id"], "weiwu.registrar")
    db.students.update_one({"numbers": other}, {"$set": {"state": "ENROLLED", "open_business": abroad["id"]}, "$inc": {"version": 1}})
    db.cases.update_one({"_id": abroad["id"]}, {"$set": {"effects_applied": 0}})
    # Right after the decision its own request may still be writing: a second one is a conflict.
    assert decide(gql, abroad["id"], "weiwu.registrar")["code"] == "CONFLICT"
    stored = db.cases.find_one({"_id": abroad["id"]})
    earlier = [{**e, "at": e["at"] - timedelta(minutes=10)} for e in stored["events"]]
    db.cases.update_one({"_id": abroad["id"]}, {"$set": {"events": earlier}})  # as if the writer died minutes ago
    assert decide(gql, abroad["id"], "jinshui.dept")["code"] == "NOT_OPEN"  # not the last step's party
    resumed = decide(gql, abroad["id"], "weiwu.registrar")
    assert resumed["student"]["state"] == "ABROAD"
    assert db.students.find_one({"numbers": other})["open_business"] is None
    assert decide(gql, abroad["id"], "weiwu.registrar")["code"] == "NOT_OPEN"  # and only once
