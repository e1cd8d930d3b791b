"""The year-end change (Art. 17, 19) through GraphQL against the real servers, on an API of
its own (so each school holds exactly the students a test enrols): a school with every
exception kind planned and run, each student's one history entry and change-feed entry,
refusals by role and scope, a stale plan, a job stopped at arbitrary points and run again,
and progression placements with the unplaced-graduates report."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from api.app import s3_client, stores_of
from application import promotion
from application.session import Stores
from domain.dossier import StudentState
from domain.ports import Change, Stamp
from storage.embedded import Endpoints
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect
from tests.factories import ENROL, UPDATE, enrolment
from tests.reverification import client_of, own_api
from tests.support import ApiServer, GraphQLClient

WEIWU, WENHUA, FUNIU, XIGUAN = "2141010501", "2141010502", "2141010201", "2141030201"
CHENGGUAN = "2141012201"  # a nine-year school in 中牟县
TEJIAO = "2141010202"  # a special-education school (grades 1-9) supervised by 郑州市
WAIGUOYU = "2141010503"  # a junior school in 金水区 (its registrar is not trained yet)
LAST_SUMMER = date(date.today().year - 1, 7, 1)  # placements due 15 July: passed
PLAN_FIELDS = """id effectiveDate schoolCodes grades fingerprint total promoted graduated state done moved stale
  confirmedBy groups { schoolCode grade promoted graduated excepted } exceptions { number schoolCode grade reason }"""
PLAN = """mutation($input: PlanYearEndInput!) { planYearEnd(input: $input) { __typename
  ... on PlanYearEndSuccess { plan { %s } } ... on PlanYearEndError { field message code } } }""" % PLAN_FIELDS
RUN = """mutation($id: ID!) { runPromotion(input: {planId: $id}) { __typename
  ... on RunPromotionSuccess { plan { %s } } ... on RunPromotionError { field message code } } }""" % PLAN_FIELDS
STATUS = "query($id: ID!) { yearEndPlan(id: $id) { %s } }" % PLAN_FIELDS
STUDENT = """query($n: String!) { student(number: $n) { number grade className state graduatedOn formerSchoolCodes
  school { code } history { action changes businessId } } }"""
PLACE = """mutation($input: RecordProgressionInput!) { recordProgression(input: $input) { __typename
  ... on RecordProgressionSuccess { students { number grade className state school { code } formerSchoolCodes } }
  ... on RecordProgressionError { field message code } } }"""
UNPLACED = """query($area: String!) { unplacedGraduates(areaCode: $area, first: 100) { totalCount edges { node { number } } } }"""
CHANGES = """query($after: String) { changes(first: 100, after: $after) { resumeCursor pageInfo { hasNextPage }
  edges { node { number kind dossierVersion record { action changes businessId } } } } }"""


@pytest.fixture(scope="module")
def server(endpoints: Endpoints) -> Iterator[tuple[ApiServer, Any]]:
    with own_api(endpoints) as found:
        yield found


@pytest.fixture
def gql(server: tuple[ApiServer, Any]) -> Iterator[GraphQLClient]:
    with client_of(server[0]) as client:
        yield client


@asynccontextmanager
async def opened(api: ApiServer) -> AsyncIterator[Stores]:
    settings = api.settings
    assert settings.mongodb_uri is not None
    client = connect(settings.mongodb_uri)
    try:
        yield stores_of(Collections.of(client[settings.mongodb_database]), EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket))
    finally:
        await client.close()


def enrol(gql: GraphQLClient, school: str, as_: str, grade: int, class_name: str | None = None) -> str:
    numerals = "一二三四五六七八九"
    given = enrolment(school, grade=grade, className=class_name or f"{numerals[grade - 1]}(1)班", entryDate=f"{2027 - grade}-09-01")
    result = gql(ENROL, {"input": given}, as_=as_)["enrollStudent"]
    assert result["__typename"] == "EnrollStudentSuccess", result
    number: str = result["student"]["number"]
    return number


def arrange(api: ApiServer, number: str, **status: Any) -> None:
    """Put a dossier in a state a case would have put it in, through the commit protocol."""

    async def go() -> None:
        async with opened(api) as stores:
            row = await stores.students.by_number(number, None)
            assert row is not None
            before = row.dossier
            after = replace(before, status=replace(before.status, **status.pop("status", {})), **status)
            assert await stores.students.replace(before, after, Stamp("test-arrange", "arrange"), Change("STATUS:ARRANGED", {"arranged": (None, True)}))

    asyncio.run(go())


def plan(gql: GraphQLClient, as_: str, **given: Any) -> dict[str, Any]:
    result: dict[str, Any] = gql(PLAN, {"input": {"effectiveDate": LAST_SUMMER.isoformat(), **given}}, as_=as_)["planYearEnd"]
    return result


def run_to_end(gql: GraphQLClient, plan_id: str, as_: str) -> dict[str, Any]:
    started = gql(RUN, {"id": plan_id}, as_=as_)["runPromotion"]
    assert started["__typename"] == "RunPromotionSuccess", started
    deadline = time.monotonic() + 120
    while True:
        status: dict[str, Any] = gql(STATUS, {"id": plan_id}, as_=as_)["yearEndPlan"]
        if status["state"] == "DONE" or time.monotonic() > deadline:
            assert status["state"] == "DONE", status
            return status
        time.sleep(0.2)


def student(gql: GraphQLClient, number: str, as_: str) -> dict[str, Any]:
    found: dict[str, Any] = gql(STUDENT, {"n": number}, as_=as_)["student"]
    return found


def test_a_school_with_every_exception_kind_is_promoted_by_its_plan(gql: GraphQLClient, server: tuple[ApiServer, Any]) -> None:
    api, db = server
    reg = "weiwu.registrar"
    third = [enrol(gql, WEIWU, reg, 3), enrol(gql, WEIWU, reg, 3, "三(2)班")]
    fifth = enrol(gql, WEIWU, reg, 5, "向日葵班")
    sixth = [enrol(gql, WEIWU, reg, 6), enrol(gql, WEIWU, reg, 6)]
    exceptions: dict[str, dict[str, Any]] = {
        "SUSPENDED": {"status": {"state": StudentState.SUSPENDED}},
        "ABROAD": {"status": {"state": StudentState.ABROAD}},
        "DROPPED_OUT": {"status": {"state": StudentState.DROPPED_OUT}},
        "ALREADY_GRADUATED": {"status": {"state": StudentState.GRADUATED}},
        "DECEASED": {"status": {"state": StudentState.DECEASED}},
        "MISSING": {"missing": True},
        "BUSINESS_OPEN": {"open_business": "case-under-way"},
    }
    excepted: dict[str, str] = {}
    for reason, status in exceptions.items():
        excepted[reason] = enrol(gql, WEIWU, reg, 4)
        arrange(api, excepted[reason], **status)
    moved = [*third, fifth, *sixth]
    versions = {n: db.students.find_one({"number": n})["version"] for n in [*moved, *excepted.values()]}
    feed_start = gql("{ latestChangeCursor }", as_=reg)["latestChangeCursor"]

    made = plan(gql, reg)
    assert made["__typename"] == "PlanYearEndSuccess", made
    p = made["plan"]
    assert (p["state"], p["schoolCodes"], p["total"], p["promoted"], p["graduated"], p["done"]) == ("PLANNED", [WEIWU], 5, 3, 2, 0)
    assert {(g["grade"], g["promoted"], g["graduated"], g["excepted"]) for g in p["groups"]} == {(3, 2, 0, 0), (4, 0, 0, 7), (5, 1, 0, 0), (6, 0, 2, 0)}
    assert {x["number"]: x["reason"] for x in p["exceptions"]} == {n: r for r, n in excepted.items()}
    assert student(gql, third[0], reg)["grade"] == 3  # a dry run changes nothing

    done = run_to_end(gql, p["id"], reg)
    assert (done["done"], done["moved"], done["stale"], done["confirmedBy"]) == (5, 5, [], reg)
    after = {n: student(gql, n, reg) for n in [*moved, *excepted.values()]}
    assert [(after[n]["grade"], after[n]["className"], after[n]["state"]) for n in third] == [(4, "四(1)班", "ENROLLED"), (4, "四(2)班", "ENROLLED")]
    assert (after[fifth]["grade"], after[fifth]["className"]) == (6, "向日葵班")
    assert {(after[n]["grade"], after[n]["state"], after[n]["graduatedOn"]) for n in sixth} == {(6, "GRADUATED", LAST_SUMMER.isoformat())}
    for reason, n in excepted.items():  # left as they were, by rule
        assert db.students.find_one({"number": n})["version"] == versions[n], reason
        assert after[n]["grade"] == 4
    for n in moved:  # exactly one new version, one history entry of this plan
        assert db.students.find_one({"number": n})["version"] == versions[n] + 1
        ours = [h for h in after[n]["history"] if h["businessId"] == p["id"]]
        assert len(ours) == 1 and ours[0]["action"] in ("STATUS:YEAR_END_PROMOTION", "STATUS:YEAR_END_GRADUATION")
    assert after[sixth[0]]["history"][-1]["changes"] == {"state": {"old": "ENROLLED", "new": "GRADUATED"}, "graduated_on": {"old": None, "new": LAST_SUMMER.isoformat()}}

    feed = gql(CHANGES, {"after": feed_start}, as_=reg)["changes"]["edges"]
    fed = [e["node"] for e in feed if e["node"]["record"]["businessId"] == p["id"]]
    assert sorted(e["number"] for e in fed) == sorted(moved) and {e["kind"] for e in fed} == {"STATUS"}

    again = gql(RUN, {"id": p["id"]}, as_=reg)["runPromotion"]  # confirmed twice: nothing moves twice
    assert again["plan"]["state"] == "DONE" and again["plan"]["done"] == 5
    assert db.transitions.count_documents({"job": p["id"]}) == 5
    audits = list(db.audit_events.find({"action": "mutation:runPromotion", "target_id": p["id"]}))
    assert sorted(a["details"]["firstConfirmation"] for a in audits) == [False, True]
    (first,) = [a["details"] for a in audits if a["details"]["firstConfirmation"]]
    assert (first["fingerprint"], first["promoted"], first["graduated"], first["excepted"]) == (p["fingerprint"], 3, 2, 7)


def test_a_dossier_changed_after_the_plan_is_reported_not_moved(gql: GraphQLClient, server: tuple[ApiServer, Any]) -> None:
    numbers = [enrol(gql, WENHUA, "wenhua.registrar", 2) for _ in range(3)]
    made = plan(gql, "jinshui.dept", schoolCodes=[WENHUA], grades=[2])
    assert made["__typename"] == "PlanYearEndSuccess" and made["plan"]["total"] == 3
    changed = gql(UPDATE, {"input": {"number": numbers[1], "className": "二(5)班"}}, as_="wenhua.registrar")["updateDossier"]
    assert changed["__typename"] == "UpdateDossierSuccess", changed
    done = run_to_end(gql, made["plan"]["id"], "jinshui.dept")
    assert (done["done"], done["moved"], done["stale"]) == (3, 2, [numbers[1]])
    assert [student(gql, n, "wenhua.registrar")["grade"] for n in numbers] == [3, 2, 3]


@pytest.mark.parametrize(
    ("as_", "given", "code"),
    [
        ("henan.auditor", {"schoolCodes": [WEIWU]}, "READ_ONLY_ROLE"),
        ("zhongmou.dept", {"schoolCodes": [WEIWU]}, "NOT_FOUND"),  # outside its scope: as if it did not exist
        ("zhengzhou.dept", {"schoolCodes": [WEIWU]}, "PERMISSION_DENIED"),  # the county supervises it
        ("weiwu.registrar", {"schoolCodes": [WENHUA]}, "NOT_FOUND"),
        ("waiguoyu.registrar", {}, "REGISTRAR_NOT_TRAINED"),
        ("admin", {}, "PERMISSION_DENIED"),
        ("weiwu.registrar", {"effectiveDate": "2027-03-01"}, "NOT_YEAR_END"),
        ("weiwu.registrar", {"grades": [0, 3]}, "INVALID_VALUE"),
        ("weiwu.registrar", {"schoolCodes": ["12"]}, "INVALID_SCHOOL_CODE"),
        ("jinshui.dept", {"schoolCodes": []}, "INVALID_VALUE"),
    ],
)
def test_who_may_plan_and_bad_input_change_nothing(gql: GraphQLClient, server: tuple[ApiServer, Any], as_: str, given: dict[str, Any], code: str) -> None:
    db = server[1]
    plans = db.promotion_plans.count_documents({})
    refused = plan(gql, as_, **given)
    assert (refused["__typename"], refused["code"]) == ("PlanYearEndError", code), refused
    assert db.promotion_plans.count_documents({}) == plans


def test_a_plan_is_confirmed_and_seen_only_by_who_may_run_it(gql: GraphQLClient) -> None:
    made = plan(gql, "weiwu.registrar", grades=[1])
    plan_id = made["plan"]["id"]
    for outsider in ("wenhua.registrar", "zhongmou.dept"):
        assert gql(STATUS, {"id": plan_id}, as_=outsider)["yearEndPlan"] is None
        refused = gql(RUN, {"id": plan_id}, as_=outsider)["runPromotion"]
        assert refused["code"] == "NOT_FOUND"
    assert gql(RUN, {"id": plan_id}, as_="henan.auditor")["runPromotion"]["code"] == "READ_ONLY_ROLE"
    assert gql(STATUS, {"id": plan_id}, as_="henan.auditor")["yearEndPlan"]["state"] == "PLANNED"
    assert gql(STATUS, {"id": plan_id}, as_="jinshui.dept")["yearEndPlan"]["id"] == plan_id


def test_a_job_stopped_at_arbitrary_points_and_run_again_moves_every_student_exactly_once(gql: GraphQLClient, server: tuple[ApiServer, Any]) -> None:
    api, db = server
    numbers = [enrol(gql, XIGUAN, "xiguan.registrar", 1 + i % 6) for i in range(36)]
    made = plan(gql, "xiguan.registrar")
    plan_id = made["plan"]["id"]
    assert made["plan"]["total"] == 36
    versions = {n: db.students.find_one({"number": n})["version"] for n in numbers}

    async def scenario() -> tuple[list[int], int]:
        async with opened(api) as stores:
            stamp = Stamp("xiguan.registrar", f"promotion-{plan_id}")
            progress, interrupted = [], 0

            async def stopped(when: Any) -> None:
                nonlocal interrupted
                task = asyncio.create_task(promotion.run_job(stores, plan_id, stamp, batch=4))
                await when()
                task.cancel()  # wherever it stands then, as a killed process stops
                await asyncio.gather(task, return_exceptions=True)
                progress.append(len(await stores.promotion.outcomes(plan_id)))
                interrupted += db.transitions.count_documents({"job": plan_id}) - progress[-1]

            for stop_at in (3, 13, 22):
                async def reached(count: int = stop_at) -> None:
                    while len(await stores.promotion.outcomes(plan_id)) < count:
                        await asyncio.sleep(0.002)
                await stopped(reached)
            for delay in (0.0, 0.01, 0.05):
                await stopped(lambda delay=delay: asyncio.sleep(delay))
            # two runs at once finish it
            await asyncio.gather(promotion.run_job(stores, plan_id, stamp, batch=4), promotion.run_job(stores, plan_id, stamp, batch=7))
            return progress, interrupted

    progress, interrupted = asyncio.run(scenario())
    assert progress[2] < 36 and progress == sorted(progress)  # stopped before the end, never losing ground
    assert interrupted > 0  # students were stopped between their claim and their outcome
    status = gql(STATUS, {"id": plan_id}, as_="xiguan.registrar")["yearEndPlan"]
    assert (status["state"], status["done"], status["moved"], status["stale"]) == ("DONE", 36, 36, [])
    for n in numbers:
        doc = db.students.find_one({"number": n})
        assert doc["version"] == versions[n] + 1, n
        assert db.transitions.count_documents({"aggregate_id": doc["_id"], "job": plan_id}) == 1
        assert db.changes.count_documents({"dossier_id": doc["_id"], "version": versions[n] + 1}) == 1
    graduates = [n for n in numbers if db.students.find_one({"number": n})["state"] == "GRADUATED"]
    assert len(graduates) == 6


def test_primary_graduates_are_placed_at_a_junior_school_and_the_unplaced_are_reported(gql: GraphQLClient, server: tuple[ApiServer, Any]) -> None:
    db = server[1]
    graduates = [enrol(gql, FUNIU, "funiu.registrar", 6) for _ in range(3)]
    fifth = enrol(gql, FUNIU, "funiu.registrar", 5)
    made = plan(gql, "funiu.registrar", grades=[5, 6])
    run_to_end(gql, made["plan"]["id"], "funiu.registrar")

    def unplaced(as_: str, area: str = "410102") -> list[str]:
        return sorted(e["node"]["number"] for e in gql(UNPLACED, {"area": area}, as_=as_)["unplacedGraduates"]["edges"])

    assert unplaced("zhongyuan.dept") == sorted(graduates) == unplaced("zhengzhou.dept") == unplaced("henan.auditor")
    assert unplaced("jinshui.dept") == [] and unplaced("funiu.registrar") == []  # not their area, not their role

    def place(as_: str, *numbers: str, school: str = WAIGUOYU) -> dict[str, Any]:
        given = {"schoolCode": school, "entryDate": f"{LAST_SUMMER.year}-09-01", "placements": [{"number": n, "className": "初一(2)班"} for n in numbers]}
        result: dict[str, Any] = gql(PLACE, {"input": given}, as_=as_)["recordProgression"]
        return result

    versions = {n: db.students.find_one({"number": n})["version"] for n in graduates}
    assert place("jinshui.dept", graduates[0], fifth)["code"] == "NOT_AWAITING_PLACEMENT"  # the list is refused whole
    assert place("jinshui.dept", graduates[0], "G000")["code"] == "INVALID_STUDENT_NUMBER"
    assert place("waiguoyu.registrar", graduates[0])["code"] == "REGISTRAR_NOT_TRAINED"
    assert place("zhongyuan.dept", graduates[0])["code"] == "NOT_FOUND"  # the receiving school is not in its scope
    assert place("zhengzhou.dept", graduates[0])["code"] == "PERMISSION_DENIED"  # the county supervises the school
    assert place("funiu.registrar", graduates[0], school=FUNIU)["code"] == "GRADE_NOT_OFFERED"  # a primary has no grade 7
    assert {n: db.students.find_one({"number": n})["version"] for n in graduates} == versions

    placed = place("jinshui.dept", graduates[0], graduates[1])
    assert placed["__typename"] == "RecordProgressionSuccess", placed
    assert [(s["number"], s["grade"], s["state"], s["school"]["code"], s["formerSchoolCodes"]) for s in placed["students"]] == [
        (n, 7, "ENROLLED", WAIGUOYU, [FUNIU]) for n in graduates[:2]
    ]
    assert place("jinshui.dept", graduates[0])["students"] == []  # the same list again places nobody twice
    assert unplaced("zhongyuan.dept") == [graduates[2]]
    copy = student(gql, graduates[0], "funiu.registrar")  # the primary keeps its copy (Art. 19)
    assert copy is not None and copy["history"][-1]["action"] == "STATUS:PROGRESSION"
    assert db.students.find_one({"number": graduates[0]})["version"] == versions[graduates[0]] + 1


def test_a_school_larger_than_one_update_command_is_promoted_whole_and_a_nine_year_grade_6_stays(gql: GraphQLClient, server: tuple[ApiServer, Any]) -> None:
    """More students than one bulk write of projections may carry on FerretDB (its pool
    holds a connection per statement): the job splits them, and the server keeps answering."""
    numbers = [enrol(gql, CHENGGUAN, "chengguan.registrar", 6) for _ in range(60)]
    made = plan(gql, "zhongmou.dept", schoolCodes=[CHENGGUAN], grades=[6])
    assert (made["plan"]["total"], made["plan"]["promoted"], made["plan"]["graduated"]) == (60, 60, 0)
    done = run_to_end(gql, made["plan"]["id"], "zhongmou.dept")
    assert (done["done"], done["moved"]) == (60, 60)
    db = server[1]
    assert db.students.count_documents({"school_code": CHENGGUAN, "grade": 7, "class_name": "七(1)班", "state": "ENROLLED"}) == len(numbers)


def test_a_confirmed_job_left_by_a_stopped_process_is_resumed_when_an_api_process_starts(gql: GraphQLClient, server: tuple[ApiServer, Any]) -> None:
    api, db = server
    numbers = [enrol(gql, TEJIAO, "tejiao.registrar", 2) for _ in range(3)]
    made = plan(gql, "tejiao.registrar", grades=[2])
    plan_id = made["plan"]["id"]

    async def confirmed_then_stopped() -> None:  # the process died right after recording the confirmation
        async with opened(api) as stores:
            assert await stores.promotion.confirm(plan_id, Stamp("tejiao.registrar", "stopped"))

    asyncio.run(confirmed_then_stopped())
    stalled = gql(STATUS, {"id": plan_id}, as_="tejiao.registrar")["yearEndPlan"]
    assert (stalled["state"], stalled["done"]) == ("RUNNING", 0)
    another = ApiServer(api.settings).start()
    try:
        with client_of(another) as other:
            deadline = time.monotonic() + 120
            while (status := other(STATUS, {"id": plan_id}, as_="tejiao.registrar")["yearEndPlan"])["state"] != "DONE":
                assert time.monotonic() < deadline, status
                time.sleep(0.2)
    finally:
        another.stop()
    assert (status["done"], status["moved"]) == (3, 3)
    assert [db.students.find_one({"number": n})["grade"] for n in numbers] == [3, 3, 3]
