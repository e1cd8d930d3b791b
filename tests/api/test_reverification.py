"""Term re-verification (复核, Art. 23, R-F1) through GraphQL on the real servers: a county's
campaign from opening to its department's confirmation, with each kind of discrepancy and
the business that resolves it; a returned result; who may do what; closing.

These run against an API of their own (its own database), so that each roster holds
exactly the students enrolled here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from storage.embedded import Endpoints
from tests.api.test_cases import open_case
from tests.api.test_corrections import request as request_correction
from tests.factories import ENROL, UPDATE, enrolment, resident_id
from tests.reverification import (
    CAMPAIGN_QUERY,
    CAMPAIGNS,
    CLOSE,
    WAIVE,
    PREVIOUS_TERM,
    ROSTER,
    TERM,
    TODAY,
    WITHDRAW,
    client_of,
    confirm,
    decide,
    enrol,
    link,
    open_campaign,
    own_api,
    part,
    raise_,
    run,
)
from tests.support import ApiServer, GraphQLClient

WEIWU, WENHUA, WAIGUOYU, FUNIU, CHENGGUAN, TEJIAO = "2141010501", "2141010502", "2141010503", "2141010201", "2141012201", "2141010202"


@pytest.fixture(scope="module")
def deployment(endpoints: Endpoints) -> Iterator[tuple[ApiServer, Any]]:
    with own_api(endpoints) as found:
        yield found


@pytest.fixture
def client(deployment: tuple[ApiServer, Any]) -> Iterator[GraphQLClient]:
    with client_of(deployment[0]) as gql:
        yield gql


@pytest.fixture
def store(deployment: tuple[ApiServer, Any]) -> Any:
    return deployment[1]


def test_a_county_campaign_from_opening_to_confirmation_with_every_kind_of_discrepancy(client: GraphQLClient, store: Any) -> None:
    gql = client
    left, misnamed, misclassed, stays = (enrol(gql, WEIWU, "weiwu.registrar") for _ in range(4))
    other_school = enrol(gql, WENHUA, "wenhua.registrar")

    opened = open_campaign(gql, "jinshui.dept")
    campaign = opened["campaign"]
    cid = campaign["id"]
    assert cid == f"{TERM}:410105" and campaign["term"]["code"] == TERM and campaign["state"] == "OPEN"
    # the county's own schools, not the city's or province's 直管学校 standing in it (Art. 3)
    assert [s["schoolCode"] for s in campaign["schools"]] == [WEIWU, WENHUA, WAIGUOYU]
    assert campaign["progress"]["notStarted"] == 3 and date.fromisoformat(campaign["schoolsDue"]) > TODAY
    assert open_campaign(gql, "jinshui.dept")["code"] == "CAMPAIGN_EXISTS"

    # the school sees its own part only, with its roster as it stands
    mine = part(gql, cid, WEIWU, "weiwu.registrar")
    assert mine is not None and mine["state"] == "NOT_STARTED" and mine["roster"]["totalCount"] == 4
    page_two = part(gql, cid, WEIWU, "weiwu.registrar", after=mine["roster"]["pageInfo"]["endCursor"])
    assert page_two is not None
    roster = {e["node"]["number"] for p in (mine, page_two) for e in p["roster"]["edges"]}
    assert roster == {left, misnamed, misclassed, stays}
    assert part(gql, cid, WEIWU, "wenhua.registrar") is None
    gql(UPDATE, {"input": {"number": stays, "className": "一(3)班"}}, as_="weiwu.registrar")
    by_class = gql(ROSTER, {"c": cid, "s": WEIWU, "grade": 1, "className": "一(3)班"}, as_="weiwu.registrar")
    assert by_class["reverificationSchool"]["roster"] == {"totalCount": 1, "edges": [{"node": {"number": stays}}]}
    assert gql(ROSTER, {"c": cid, "s": WEIWU, "grade": 2}, as_="weiwu.registrar")["reverificationSchool"]["roster"]["totalCount"] == 0
    bad_class = gql.errors(ROSTER, {"c": cid, "s": WEIWU, "className": "一\n班"}, as_="weiwu.registrar")
    assert bad_class[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert gql(CAMPAIGNS, {"term": TERM}, as_="weiwu.registrar")["reverificationCampaigns"]["totalCount"] == 1
    assert gql(CAMPAIGN_QUERY, {"id": cid}, as_="weiwu.registrar")["reverificationCampaign"]["schools"] == [
        {"schoolCode": WEIWU, "state": "NOT_STARTED"}
    ]

    # each kind of discrepancy, flagged by the school
    gone = raise_(gql, cid, WEIWU, "weiwu.registrar", leftWithoutChange={"number": left, "note": "两周未到校"})["discrepancy"]
    assert (gone["kind"], gone["state"], gone["expectedFollowUps"]) == ("LEFT_WITHOUT_CHANGE", "OPEN", ["CASE"])
    name = raise_(gql, cid, WEIWU, "weiwu.registrar", dataWrong={"number": misnamed, "field": "NAME", "correctValue": "王晓晨"})
    assert name["discrepancy"]["expectedFollowUps"] == ["CORRECTION", "DOSSIER_UPDATE"]
    klass = raise_(gql, cid, WEIWU, "weiwu.registrar", dataWrong={"number": misclassed, "field": "CLASS_NAME", "correctValue": "一(2)班"})
    assert (klass["discrepancy"]["recordedValue"], klass["discrepancy"]["correctValue"]) == ("一(1)班", "一(2)班")
    born = date(2019, 11, 11)
    child = {"name": "赵小雨", "sex": "FEMALE", "birthDate": born.isoformat()}
    present = raise_(gql, cid, WEIWU, "weiwu.registrar", presentWithoutDossier=child)["discrepancy"]
    assert present["child"]["name"] == "赵小雨" and present["expectedFollowUps"] == ["ENROLMENT", "CASE"]
    mistaken = raise_(gql, cid, WEIWU, "weiwu.registrar", leftWithoutChange={"number": stays})["discrepancy"]

    # refusals that change nothing
    assert raise_(gql, cid, WEIWU, "weiwu.registrar", leftWithoutChange={"number": left})["code"] == "ALREADY_RAISED"
    assert raise_(gql, cid, WEIWU, "weiwu.registrar", presentWithoutDossier=child)["code"] == "ALREADY_RAISED"
    assert raise_(gql, cid, WEIWU, "weiwu.registrar", leftWithoutChange={"number": other_school})["code"] == "NOT_FOUND"
    both = raise_(gql, cid, WEIWU, "weiwu.registrar", leftWithoutChange={"number": stays}, dataWrong={"number": stays, "field": "NAME", "correctValue": "王一"})
    assert both["code"] == "INVALID_VALUE"
    assert raise_(gql, cid, WEIWU, "jinshui.dept", leftWithoutChange={"number": stays})["code"] == "PERMISSION_DENIED"
    assert raise_(gql, cid, WEIWU, "wenhua.registrar", leftWithoutChange={"number": stays})["code"] == "NOT_FOUND"
    assert raise_(gql, cid, WEIWU, "weiwu.registrar", dataWrong={"number": stays, "field": "ETHNICITY", "correctValue": "99"})["code"] == "INVALID_CODE"
    assert run(gql, WITHDRAW, "withdrawReverificationDiscrepancy", "weiwu.registrar", id=mistaken["id"])["discrepancy"]["state"] == "WITHDRAWN"

    # the school confirms its roster once; its discrepancies are then fixed
    done = confirm(gql, cid, WEIWU, "weiwu.registrar")["school"]
    assert (done["state"], done["rosterSize"], done["schoolConfirmedBy"]) == ("SCHOOL_CONFIRMED", 4, "weiwu.registrar")
    assert confirm(gql, cid, WEIWU, "weiwu.registrar")["code"] == "ALREADY_CONFIRMED"
    assert raise_(gql, cid, WEIWU, "weiwu.registrar", leftWithoutChange={"number": stays})["code"] == "ALREADY_CONFIRMED"
    assert run(gql, WITHDRAW, "withdrawReverificationDiscrepancy", "weiwu.registrar", id=gone["id"])["code"] == "ALREADY_CONFIRMED"
    assert link(gql, gone["id"], "CASE", "case-0", "jinshui.dept")["code"] == "NOT_YET_A_TASK"
    for unknown in ("nonsense", f"{cid}:{WEIWU}:99", f"{cid}:2141010201:1"):
        refused = run(gql, WITHDRAW, "withdrawReverificationDiscrepancy", "weiwu.registrar", id=unknown)
        assert (refused["code"], refused["field"]) == ("NOT_FOUND", "id"), unknown
    # who confirmed what: the roster confirmed, each dossier with its version, is in the log with that version
    entry = store.transitions.find_one({"aggregate": "reverification_school", "aggregate_id": done["id"], "action": "SCHOOL_CONFIRMED"})
    assert entry["actor"] == "weiwu.registrar" and {r["number"] for r in entry["change"]["roster"]} == roster
    assert entry["state"]["roster_digest"] == done["rosterDigest"]

    # the supervising department confirms: open discrepancies become tasks
    assert decide(gql, cid, WEIWU, "zhengzhou.dept")["code"] == "PERMISSION_DENIED"  # it oversees, it does not decide
    assert decide(gql, cid, WEIWU, "zhongyuan.dept")["code"] == "NOT_FOUND"
    assert decide(gql, cid, WEIWU, "henan.auditor")["code"] == "READ_ONLY_ROLE"
    confirmed = decide(gql, cid, WEIWU, "jinshui.dept")["school"]
    assert confirmed["state"] == "DEPARTMENT_CONFIRMED" and confirmed["departmentConfirmedBy"] == "jinshui.dept"
    assert len(confirmed["tasks"]) == 4
    assert decide(gql, cid, WEIWU, "jinshui.dept")["code"] == "ALREADY_CONFIRMED"

    # each task is resolved by the business it calls for, and the link is recorded
    dropout = open_case(gql, "weiwu.registrar", kind="DROPOUT_REPORT", number=left, params={"addressees": "纬五路街道办事处；金水区教育局"})
    assert link(gql, gone["id"], "CORRECTION", dropout["case"]["id"], "weiwu.registrar")["code"] == "WRONG_FOLLOW_UP"
    assert link(gql, gone["id"], "CASE", "case-doesnotexist", "weiwu.registrar")["code"] == "NOT_FOUND"
    linked = link(gql, gone["id"], "CASE", dropout["case"]["id"], "weiwu.registrar")["discrepancy"]
    assert linked["state"] == "LINKED" and linked["resolution"]["businessId"] == dropout["case"]["id"] and not linked["isTask"]
    assert link(gql, gone["id"], "CASE", dropout["case"]["id"], "weiwu.registrar")["code"] == "ALREADY_RESOLVED"

    correction = request_correction(gql, misnamed, {"name": "王晓晨"})["correction"]
    assert link(gql, name["discrepancy"]["id"], "DOSSIER_UPDATE", misnamed, "weiwu.registrar")["code"] == "WRONG_FOLLOW_UP"
    by_correction = link(gql, name["discrepancy"]["id"], "CORRECTION", correction["id"], "jinshui.dept")["discrepancy"]
    assert by_correction["resolution"]["businessKind"] == "CORRECTION" and by_correction["resolution"]["by"] == "jinshui.dept"

    update = gql(UPDATE, {"input": {"number": misclassed, "className": "一(2)班"}}, as_="weiwu.registrar")["updateDossier"]
    assert update["__typename"] == "UpdateDossierSuccess"
    nowhere = link(gql, klass["discrepancy"]["id"], "DOSSIER_UPDATE", "G-nonsense", "weiwu.registrar")
    assert (nowhere["code"], nowhere["field"]) == ("NOT_FOUND", "businessId")
    assert link(gql, klass["discrepancy"]["id"], "DOSSIER_UPDATE", other_school, "weiwu.registrar")["code"] == "NOT_FOUND"
    by_update = link(gql, klass["discrepancy"]["id"], "DOSSIER_UPDATE", misclassed, "weiwu.registrar")["discrepancy"]
    version = store.students.find_one({"_id": misclassed})["version"]
    assert by_update["resolution"]["businessVersion"] == version

    assert link(gql, present["id"], "ENROLMENT", stays, "weiwu.registrar")["code"] == "WRONG_FOLLOW_UP"  # another child

    # an auditor reads the campaign and its tasks, and changes nothing
    seen = gql(CAMPAIGN_QUERY, {"id": cid}, as_="henan.auditor")["reverificationCampaign"]
    assert seen["progress"]["departmentConfirmed"] == 1 and [t["id"] for t in seen["tasks"]] == [present["id"]]
    assert gql(CAMPAIGN_QUERY, {"id": cid}, as_="zhongyuan.dept")["reverificationCampaign"] is None
    assert gql(CAMPAIGN_QUERY, {"id": cid}, as_="admin")["reverificationCampaign"] is None
    assert gql(CAMPAIGN_QUERY, {"id": cid}, as_="zhengzhou.archivist")["reverificationCampaign"] is None

    # a returned result: the school redoes it and the department confirms the second time
    assert decide(gql, cid, WENHUA, "jinshui.dept")["code"] == "AWAITING_SCHOOL"
    confirm(gql, cid, WENHUA, "wenhua.registrar")
    assert decide(gql, cid, WENHUA, "jinshui.dept", "RETURN")["code"] == "REASON_REQUIRED"
    returned = decide(gql, cid, WENHUA, "jinshui.dept", "RETURN", "漏报一名已离校学生")["school"]
    assert returned["state"] == "RETURNED" and returned["returnReason"] == "漏报一名已离校学生"
    again = raise_(gql, cid, WENHUA, "wenhua.registrar", leftWithoutChange={"number": other_school})["discrepancy"]
    confirm(gql, cid, WENHUA, "wenhua.registrar")
    second = decide(gql, cid, WENHUA, "jinshui.dept")["school"]
    assert [e["action"] for e in second["timeline"]] == ["SCHOOL_CONFIRMED", "RETURNED", "SCHOOL_CONFIRMED", "DEPARTMENT_CONFIRMED"]
    assert run(gql, WAIVE, "waiveReverificationDiscrepancy", "wenhua.registrar", input={"id": again["id"], "reason": "x"})["code"] == "PERMISSION_DENIED"
    waived = run(gql, WAIVE, "waiveReverificationDiscrepancy", "jinshui.dept", input={"id": again["id"], "reason": "学生已返校上课"})
    assert waived["discrepancy"]["resolution"] == {
        "state": "WAIVED", "by": "jinshui.dept", "businessKind": None, "businessId": None, "businessVersion": None, "reason": "学生已返校上课",
    }

    # an untrained registrar confirms nothing (Art. 22); closing with it unconfirmed needs a note
    assert confirm(gql, cid, WAIGUOYU, "waiguoyu.registrar")["code"] == "REGISTRAR_NOT_TRAINED"
    assert run(gql, CLOSE, "closeReverification", "jinshui.dept", input={"id": cid})["code"] == "REASON_REQUIRED"
    closed = run(gql, CLOSE, "closeReverification", "jinshui.dept", input={"id": cid, "note": "外国语初中学籍管理员待培训，下学期补复核"})["campaign"]
    assert closed["state"] == "CLOSED" and closed["closedBy"] == "jinshui.dept"
    assert run(gql, CLOSE, "closeReverification", "jinshui.dept", input={"id": cid, "note": "again"})["code"] == "CAMPAIGN_CLOSED"

    # after closing: nothing is confirmed or flagged, but open tasks are still resolved
    assert raise_(gql, cid, WEIWU, "weiwu.registrar", leftWithoutChange={"number": stays})["code"] == "CAMPAIGN_CLOSED"
    value = enrolment(WEIWU, male=False, born=born, idDocument={"kind": "RESIDENT_ID", "number": resident_id(born, male=False)})
    value["basic"]["name"] = "赵小雨"
    enrolled = gql(ENROL, {"input": value}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    by_enrolment = link(gql, present["id"], "ENROLMENT", enrolled, "weiwu.registrar")["discrepancy"]
    assert by_enrolment["state"] == "LINKED" and by_enrolment["resolution"]["businessId"] == enrolled
    final = gql(CAMPAIGN_QUERY, {"id": cid}, as_="jinshui.dept")["reverificationCampaign"]
    assert final["progress"] == {
        "schools": 3, "notStarted": 1, "schoolConfirmed": 0, "departmentConfirmed": 2, "returned": 0, "overdue": 0, "openTasks": 0,
    }
    # every attempt is in the audit trail, refused ones with their code
    outcomes = [e["outcome"] for e in store.audit_events.find({"action": "mutation:confirmReverificationRoster", "actor": "weiwu.registrar"})]
    assert outcomes == ["ok", "ALREADY_CONFIRMED"]


def test_opening_is_for_a_department_its_own_schools_and_the_current_or_last_term(client: GraphQLClient, store: Any) -> None:
    gql = client
    assert open_campaign(gql, "chengguan.registrar")["code"] == "PERMISSION_DENIED"
    assert open_campaign(gql, "henan.auditor")["code"] == "READ_ONLY_ROLE"
    assert open_campaign(gql, "admin")["code"] == "PERMISSION_DENIED"
    assert open_campaign(gql, "zhongmou.dept", term="2026-2027")["code"] == "INVALID_TERM"
    next_term = f"{int(TERM[:4]) + 1}-{int(TERM[:4]) + 2}-{TERM[-1]}"
    assert open_campaign(gql, "zhongmou.dept", term=next_term)["code"] == "TERM_NOT_OPEN"
    past = (TODAY - timedelta(days=1)).isoformat()
    assert (open_campaign(gql, "zhongmou.dept", schoolsDue=past)["field"]) == "schoolsDue"
    assert not store.reverifications.find_one({"department_code": "410122"})

    # a county: its own schools, not the province's school standing in it (Art. 3)
    county = open_campaign(gql, "zhongmou.dept", term=PREVIOUS_TERM)["campaign"]
    assert [s["schoolCode"] for s in county["schools"]] == [CHENGGUAN]
    # a city re-verifies its directly managed schools, which the county does not see
    city = open_campaign(gql, "zhengzhou.dept")["campaign"]
    assert [s["schoolCode"] for s in city["schools"]] == [TEJIAO]
    assert gql(CAMPAIGN_QUERY, {"id": city["id"]}, as_="zhongyuan.dept")["reverificationCampaign"] is None
    assert part(gql, city["id"], TEJIAO, "tejiao.registrar") is not None
    listed = gql(CAMPAIGNS, {}, as_="henan.dept")["reverificationCampaigns"]
    assert {e["node"]["id"] for e in listed["edges"]} >= {county["id"], city["id"]}
    assert [e["node"]["id"] for e in gql(CAMPAIGNS, {}, as_="tejiao.registrar")["reverificationCampaigns"]["edges"]] == [city["id"]]
    assert gql.errors(CAMPAIGNS, {"term": "autumn"}, as_="henan.dept")[0]["extensions"]["code"] == "BAD_USER_INPUT"

    # confirming after the campaign closed
    closed = run(gql, CLOSE, "closeReverification", "zhongmou.dept", input={"id": county["id"], "note": "学校已停办"})
    assert closed["campaign"]["state"] == "CLOSED"
    assert confirm(gql, county["id"], CHENGGUAN, "chengguan.registrar")["code"] == "CAMPAIGN_CLOSED"
    assert decide(gql, county["id"], CHENGGUAN, "zhongmou.dept")["code"] == "CAMPAIGN_CLOSED"
    chengguan = part(gql, county["id"], CHENGGUAN, "chengguan.registrar")
    assert chengguan is not None and chengguan["closed"] and chengguan["timeline"][-1]["action"] == "CLOSED"
