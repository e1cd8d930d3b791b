"""School merger and closure (Art. 19, R-D4), through GraphQL against the real servers, on
an API of its own (its own database: the counts are exactly the students made here).

- A merger of a school with a few hundred students (enrolled, graduated, dropped out)
  and their scans: every dossier and document moves to the receiver, the school is
  MERGED and takes no enrolment or transfer, the bag downloaded through its link passes
  `bagit.Bag(...).validate()` with the database's counts, one flipped byte in one object
  fails it naming that file, and the receiver verifies and acknowledges.
- A closure whose job is stopped twice at arbitrary points and run again: every dossier
  moved exactly once (one history entry each), none left at the sender, none elsewhere,
  and the bag's checksums and counts match.
- Refusals by role, scope and state."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import bagit
import httpx
import pytest
from pymongo import MongoClient

from application import school_handover
from domain.school_handover import SchoolHandoverKind
from storage.embedded import Endpoints
from scripts.workflows_cmd import daily as daily_job
from storage.handover_bag import validate_bag_dir
from tests.api.test_cases import OPEN, upload
from tests.api.test_intake import finished, workbook
from tests.api.test_intake import outcomes as intake_outcomes
from tests.api.test_intake import post as post_intake
from tests.api.test_intake import row as intake_row
from tests.factories import ENROL, enrolment
from tests.school_handover import (
    ACKNOWLEDGE, CLOSE, LINK, MERGE, QUERY, VERIFY, download_bag, opened, populate, session_as, until_bagged,
)
from tests.support import ApiServer, GraphQLClient, settings_for

WEIWU, WENHUA = "2141010501", "2141010502"  # 金水区: 文化路二小 merges into 纬五路一小
FUNIU, TEJIAO = "2141010201", "2141010202"  # 中原区: the city's special school closes, 伏牛路小学 receives
TODAY = date.today().isoformat()
MERGED_STUDENTS = 300
CLOSED_STUDENTS = 240


@pytest.fixture(scope="module")
def own_api(endpoints: Endpoints) -> Iterator[ApiServer]:
    server = ApiServer(settings_for(endpoints)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_gql(own_api: ApiServer) -> Iterator[GraphQLClient]:
    with httpx.Client(base_url=own_api.base_url, timeout=60) as client:
        yield GraphQLClient(client, own_api.settings)


@pytest.fixture(scope="module")
def own_db(own_api: ApiServer) -> Iterator[Any]:
    client: MongoClient[dict[str, Any]] = MongoClient(own_api.settings.mongodb_uri, tz_aware=True)
    yield client[own_api.settings.mongodb_database]
    client.close()


def _objects(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f["key"], f["version_id"], f["sha256"]) for v in document["versions"] for f in (v["original"], v["rendition"]) if f]


def daily(settings: Any) -> None:
    asyncio.run(daily_job(settings))


def merger(**over: Any) -> dict[str, Any]:
    return {"input": {"schoolCode": WENHUA, "intoSchoolCode": WEIWU, "legalBasis": "金教〔2026〕12号", "effectiveOn": TODAY, **over}}


def test_a_merger_moves_the_whole_archive_and_its_bag_is_verified(own_api: ApiServer, own_gql: GraphQLClient, own_db: Any, tmp_path: Path) -> None:
    gql = own_gql
    numbers = populate(own_api, gql, WENHUA, "wenhua.registrar", MERGED_STUDENTS)
    scanned = numbers[:6]
    documents = [upload(gql, n, "HOUSEHOLD_REGISTER", as_="wenhua.registrar") for n in scanned]
    documents.append(upload(gql, scanned[0], "STATUS_APPLICATION", as_="wenhua.registrar", image=False))
    before_receiver = own_db.students.count_documents({"school_code": WEIWU})
    objects_before = {d["_id"]: _objects(d) for d in own_db.documents.find({"_id": {"$in": documents}})}
    assert len(objects_before) == len(documents)

    # refusals before anything is recorded: role, scope, state of the request
    for login, code in (("wenhua.registrar", "PERMISSION_DENIED"), ("zhongyuan.dept", "NOT_FOUND"), ("henan.auditor", "READ_ONLY_ROLE"),
                        ("zhengzhou.archivist", "PERMISSION_DENIED")):
        refused = gql(MERGE, merger(), as_=login)["recordSchoolMerger"]
        assert refused["code"] == code, (login, refused)
    assert gql(MERGE, merger(intoSchoolCode=WENHUA), as_="jinshui.dept")["recordSchoolMerger"]["code"] == "RECEIVER_IS_SENDER"
    future = (date.today() + timedelta(days=3)).isoformat()
    assert gql(MERGE, merger(effectiveOn=future), as_="jinshui.dept")["recordSchoolMerger"]["code"] == "DATE_IN_FUTURE"
    assert gql(MERGE, merger(legalBasis=" "), as_="jinshui.dept")["recordSchoolMerger"]["code"] == "INVALID_VALUE"
    assert own_db.school_handovers.count_documents({}) == 0

    recorded = gql(MERGE, merger(), as_="jinshui.dept")["recordSchoolMerger"]
    assert recorded["__typename"] == "RecordSchoolMergerSuccess", recorded
    handover_id = recorded["handover"]["id"]
    assert recorded["handover"]["state"] == "MOVING" and recorded["handover"]["kind"] == "MERGER"

    # the school is MERGED at once: no enrolment, no transfer into it, no second merger
    school = gql('query { school(code: "2141010502") { closed } }', as_="jinshui.dept")["school"]
    assert school["closed"] == "MERGED"
    refused = gql(ENROL, {"input": enrolment(WENHUA)}, as_="wenhua.registrar")["enrollStudent"]
    assert refused["code"] == "SCHOOL_CLOSED", refused
    elsewhere = gql(ENROL, {"input": enrolment("2141010201")}, as_="funiu.registrar")["enrollStudent"]["student"]["number"]
    transfer = {"kind": "TRANSFER", "number": elsewhere, "targetSchoolCode": WENHUA, "grounds": "HOUSEHOLD_MOVED"}
    opened_case = own_gql.post(OPEN, {"input": transfer}, as_="wenhua.registrar").json()["data"]["openCase"]
    assert opened_case["code"] == "SCHOOL_CLOSED", opened_case
    upload_response = post_intake(gql, workbook([intake_row()]), as_="wenhua.registrar", school=WENHUA)
    assert upload_response.status_code == 202, upload_response.text
    (refused_row,) = intake_outcomes(finished(gql, upload_response.json()["job"]["id"], as_="wenhua.registrar"))
    assert refused_row["outcome"] == "REFUSED" and [p["code"] for p in refused_row["problems"]] == ["SCHOOL_CLOSED"]
    again = gql(MERGE, merger(intoSchoolCode="2141010503"), as_="jinshui.dept")["recordSchoolMerger"]
    assert again["code"] == "SCHOOL_CLOSED"

    started = time.monotonic()
    done = until_bagged(gql, handover_id, "jinshui.dept")
    print(f"merger job: {MERGED_STUDENTS} dossiers and {len(documents)} documents moved and bagged in {time.monotonic() - started:.1f} s")
    assert done["state"] == "BAGGED"
    assert (done["dossiers"], done["documents"]) == (MERGED_STUDENTS, len(documents))
    assert done["evidenceObjects"] == 6 * 2 + 1  # each PNG: original and rendition; the PDF is its own
    # exact: none left at the sender, every one at the receiver, each moved once
    assert own_db.students.count_documents({"school_code": WENHUA}) == 0
    assert own_db.students.count_documents({"school_code": WEIWU}) == before_receiver + MERGED_STUDENTS
    moves = own_db.transitions.count_documents({"aggregate": "student", "action": "STATUS:SCHOOL_HANDOVER"})
    assert moves == MERGED_STUDENTS
    assert own_db.changes.count_documents({"change.action": "STATUS:SCHOOL_HANDOVER"}) == MERGED_STUDENTS  # the change feed
    (bagged,) = own_db.audit_events.find({"action": "job:schoolHandoverBagged", "target_id": handover_id})
    assert bagged["details"]["dossiers"] == MERGED_STUDENTS
    for document_id in documents:
        d = own_db.documents.find_one({"_id": document_id})
        assert d["school_code"] == WEIWU and f"code:{WEIWU}" in d["scope_keys"]
        assert _objects(d) == objects_before[document_id]  # the same objects, keys and versions: nothing rewritten
    history = gql("query($n: String!) { student(number: $n) { school { code } history { action changes reason } } }",
                  {"n": numbers[0]}, as_="weiwu.registrar")["student"]
    assert history["school"]["code"] == WEIWU
    assert [h for h in history["history"] if h["action"] == "STATUS:SCHOOL_HANDOVER"][0]["changes"]["school"] == {"old": WENHUA, "new": WEIWU}

    # the bag as downloaded, validated by bagit itself, with the database's counts
    assert gql(LINK, {"id": handover_id}, as_="henan.auditor")["schoolHandover"]["bagDownloadUrl"] is None
    root = download_bag(gql, handover_id, "weiwu.registrar", tmp_path / "bag")
    bag = bagit.Bag(str(root))
    bag.validate()
    assert bag.info["Dossier-Count"] == str(MERGED_STUDENTS)
    assert bag.info["Document-Count"] == str(len(documents))
    assert bag.info["Sender-School-Code"] == WENHUA and bag.info["Receiver-Code"] == WEIWU
    assert bag.info["Legal-Basis"] == "金教〔2026〕12号" and bag.info["Effective-Date"] == TODAY
    assert len(list((root / "data" / "dossiers").iterdir())) == MERGED_STUDENTS
    stored = {v["original"]["sha256"] for d in own_db.documents.find({"_id": {"$in": documents}}) for v in d["versions"]}
    in_bag = {sha for path, sums in bag.entries.items() if path.startswith("data/evidence/") for algo, sha in sums.items() if algo == "sha256"}
    assert stored <= in_bag
    manifest = hashlib.sha256((root / "manifest-sha256.txt").read_bytes()).hexdigest()
    assert manifest == done["bag"]["manifestSha256"]

    # one flipped byte in one object: bagit refuses the bag and names the file
    victim = sorted((root / "data" / "evidence").rglob("*-original.png"))[0]
    body = bytearray(victim.read_bytes())
    body[len(body) // 2] ^= 0x01
    victim.write_bytes(bytes(body))
    relative = victim.relative_to(root).as_posix()
    with pytest.raises(bagit.BagValidationError) as failed:
        bagit.Bag(str(root)).validate()
    assert [d.path for d in failed.value.details] == [relative]
    problems = validate_bag_dir(root, {"Dossier-Count": str(MERGED_STUDENTS)})
    assert len(problems) == 1 and relative in problems[0]

    # the receiver verifies the archived bag, then acknowledges it by its manifest's hash
    assert gql(VERIFY, {"id": handover_id}, as_="jinshui.dept")["verifySchoolHandover"]["code"] == "PERMISSION_DENIED"
    ack = {"input": {"id": handover_id, "manifestSha256": manifest}}
    assert gql(ACKNOWLEDGE, ack, as_="weiwu.registrar")["acknowledgeSchoolHandover"]["code"] == "HANDOVER_NOT_VERIFIED"
    verified = gql(VERIFY, {"id": handover_id}, as_="weiwu.registrar")["verifySchoolHandover"]["handover"]
    assert verified["state"] == "VERIFIED" and verified["verification"] == {"by": "weiwu.registrar", "valid": True, "problems": []}
    wrong = {"input": {"id": handover_id, "manifestSha256": "0" * 64}}
    assert gql(ACKNOWLEDGE, wrong, as_="weiwu.registrar")["acknowledgeSchoolHandover"]["code"] == "MANIFEST_MISMATCH"
    complete = gql(ACKNOWLEDGE, ack, as_="weiwu.registrar")["acknowledgeSchoolHandover"]["handover"]
    assert complete["state"] == "ACKNOWLEDGED" and complete["acknowledgement"] == {"by": "weiwu.registrar", "manifestSha256": manifest}
    assert gql(ACKNOWLEDGE, ack, as_="weiwu.registrar")["acknowledgeSchoolHandover"]["code"] == "HANDOVER_NOT_READY"
    # nobody outside sees it; the link and the acknowledgement are audited
    assert gql(QUERY, {"id": handover_id}, as_="funiu.registrar")["schoolHandover"] is None
    actions = {e["action"] for e in own_db.audit_events.find({"target_id": handover_id})}
    assert {"download:schoolHandoverBag", "mutation:verifySchoolHandover", "mutation:acknowledgeSchoolHandover"} <= actions
    logged = own_db.transitions.find({"aggregate": "school_handover", "aggregate_id": handover_id})
    assert sorted((e["version"], e["action"]) for e in logged) == [
        (1, "RECORDED_MERGER"), (2, "BAGGED"), (3, "VERIFIED"), (4, "ACKNOWLEDGED")
    ]


def test_a_closure_stopped_twice_and_run_again_moves_every_dossier_exactly_once(
    own_api: ApiServer, own_gql: GraphQLClient, own_db: Any, tmp_path: Path
) -> None:
    gql = own_gql
    numbers = populate(own_api, gql, TEJIAO, "tejiao.registrar", CLOSED_STUDENTS)
    documents = [upload(gql, n, "MEDICAL_CERTIFICATE", as_="tejiao.registrar") for n in numbers[:4]]
    before_receiver = own_db.students.count_documents({"school_code": FUNIU})

    def taken_on(handover_id: str) -> int:
        return int(own_db.school_handover_items.count_documents({"handover_id": handover_id}))

    async def stopped_twice() -> tuple[list[int], str]:
        async with opened(own_api) as stores:
            session = await session_as(stores, "zhengzhou.dept")
            handover = await school_handover.record(
                session, SchoolHandoverKind.CLOSURE, TEJIAO, FUNIU, "郑教〔2026〕7号", date.today()
            )
            stops = []
            for fraction in (0.3, 0.7):  # stopped mid-way, at whatever await it has reached
                task = asyncio.create_task(school_handover.run(stores, handover.id))
                while await asyncio.to_thread(taken_on, handover.id) < CLOSED_STUDENTS * fraction:
                    await asyncio.sleep(0.05)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                stops.append(own_db.students.count_documents({"school_code": TEJIAO}))
            return stops, handover.id

    stops, handover_id = asyncio.run(stopped_twice())
    assert CLOSED_STUDENTS > stops[0] > stops[1] > 0, stops  # really stopped half-way, twice
    assert own_db.school_handovers.find_one({"_id": handover_id})["state"] == "MOVING"
    started = time.monotonic()
    daily(own_api.settings)  # the daily job resumes it, to the end
    print(f"daily job with the resumed handover: {time.monotonic() - started:.1f} s")
    assert own_db.school_handovers.find_one({"_id": handover_id})["state"] == "BAGGED"

    # no dossier at two schools, none at none; each moved once, each document handed over once
    assert own_db.students.count_documents({"school_code": TEJIAO}) == 0
    assert own_db.students.count_documents({"school_code": FUNIU}) == before_receiver + CLOSED_STUDENTS
    for number in numbers:
        moves = own_db.transitions.count_documents({"aggregate": "student", "aggregate_id": number, "action": "STATUS:SCHOOL_HANDOVER"})
        assert moves == 1, number
    for document_id in documents:
        assert own_db.transitions.count_documents({"aggregate": "document", "aggregate_id": document_id, "action": "HANDED_OVER"}) == 1
    items = list(own_db.school_handover_items.find({"handover_id": handover_id}))
    assert len(items) == CLOSED_STUDENTS and {i["state"] for i in items} == {"MOVED"}

    done = gql(QUERY, {"id": handover_id}, as_="zhengzhou.archivist")["schoolHandover"]
    assert (done["state"], done["kind"], done["dossiers"], done["documents"]) == ("BAGGED", "CLOSURE", CLOSED_STUDENTS, len(documents))
    root = download_bag(gql, handover_id, "zhengzhou.archivist", tmp_path / "bag")
    bag = bagit.Bag(str(root))
    bag.validate()
    assert bag.info["Dossier-Count"] == str(CLOSED_STUDENTS) and bag.info["Handover-Kind"] == "CLOSURE"
    # the receiver here has an archivist of its area verify it; the counts are the database's
    lost = {"_id": f"{handover_id}:{numbers[-1]}"}
    own_db.school_handover_items.update_one(lost, {"$set": {"state": "LEFT"}})  # as if one dossier had not come
    failed = gql(VERIFY, {"id": handover_id}, as_="zhengzhou.archivist")["verifySchoolHandover"]["handover"]
    assert failed["state"] == "BAGGED" and failed["verification"]["valid"] is False
    assert failed["verification"]["problems"] == [f"bag-info Dossier-Count is '{CLOSED_STUDENTS}', the database has {CLOSED_STUDENTS - 1}"]
    ack = {"input": {"id": handover_id, "manifestSha256": failed["bag"]["manifestSha256"]}}
    assert gql(ACKNOWLEDGE, ack, as_="zhengzhou.archivist")["acknowledgeSchoolHandover"]["code"] == "HANDOVER_NOT_VERIFIED"
    own_db.school_handover_items.update_one(lost, {"$set": {"state": "MOVED"}})
    verified = gql(VERIFY, {"id": handover_id}, as_="zhengzhou.archivist")["verifySchoolHandover"]["handover"]
    assert verified["state"] == "VERIFIED" and verified["verification"]["valid"] is True, verified
    assert gql(VERIFY, {"id": handover_id}, as_="tejiao.registrar")["verifySchoolHandover"]["code"] == "NOT_FOUND"
    acknowledged = gql(ACKNOWLEDGE, ack, as_="zhengzhou.archivist")["acknowledgeSchoolHandover"]["handover"]
    assert acknowledged["state"] == "ACKNOWLEDGED"
    assert gql('query { school(code: "2141010202") { closed } }', as_="zhengzhou.dept")["school"]["closed"] == "CLOSED"


CHENGGUAN = "2141012201"  # 中牟县: closes, its archive to the county's archive unit
UNIT = {"code": "12410122MB1234567X", "name": "中牟县档案馆"}
UNIT_STUDENTS = 30
UNPLACED = """query($a: String!) { unplacedAfterClosure(areaCode: $a) { number state school { code closed } } }"""


def test_a_closure_to_an_archive_unit_leaves_its_students_unplaced_until_placed(
    own_api: ApiServer, own_gql: GraphQLClient, own_db: Any, tmp_path: Path
) -> None:
    gql = own_gql
    numbers = populate(own_api, gql, CHENGGUAN, "chengguan.registrar", UNIT_STUDENTS)
    documents = [upload(gql, n, "HOUSEHOLD_REGISTER", as_="chengguan.registrar") for n in numbers[:2]]
    closure = {"schoolCode": CHENGGUAN, "legalBasis": "牟教〔2026〕3号", "effectiveOn": TODAY}
    for wrong in ({}, {"receiverCode": "2141012202", "archiveUnit": UNIT}, {"archiveUnit": {**UNIT, "code": "档案"}}):
        refused = gql(CLOSE, {"input": {**closure, **wrong}}, as_="zhongmou.dept")["recordSchoolClosure"]
        assert refused["code"] == "INVALID_VALUE", (wrong, refused)
    merged_into_unit = {"schoolCode": CHENGGUAN, "intoSchoolCode": UNIT["code"], "legalBasis": "x", "effectiveOn": TODAY}
    into_unit = gql(MERGE, {"input": merged_into_unit}, as_="zhongmou.dept")["recordSchoolMerger"]
    assert (into_unit["code"], into_unit["field"]) == ("INVALID_SCHOOL_CODE", "intoSchoolCode")  # a merger is into a school

    async def stopped_once() -> str:
        async with opened(own_api) as stores:
            session = await session_as(stores, "zhongmou.dept")
            handover = await school_handover.record(
                session, SchoolHandoverKind.CLOSURE, CHENGGUAN, None, "牟教〔2026〕3号", date.today(), (UNIT["code"], UNIT["name"])
            )
            task = asyncio.create_task(school_handover.run(stores, handover.id))
            while await asyncio.to_thread(lambda: own_db.school_handover_items.count_documents({"handover_id": handover.id})) < UNIT_STUDENTS // 2:
                await asyncio.sleep(0.02)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await school_handover.run(stores, handover.id)
            return handover.id

    handover_id = asyncio.run(stopped_once())
    done = gql(QUERY, {"id": handover_id}, as_="zhongmou.dept")["schoolHandover"]
    assert (done["state"], done["receiverCode"], done["dossiers"], done["documents"]) == ("BAGGED", UNIT["code"], UNIT_STUDENTS, 2)
    # the dossiers stay filed under the closed school; each records once that the unit holds its archive
    assert own_db.students.count_documents({"school_code": CHENGGUAN}) == UNIT_STUDENTS
    for number in numbers:
        entries = list(own_db.transitions.find({"aggregate": "student", "aggregate_id": number, "action": "STATUS:SCHOOL_HANDOVER"}))
        assert [e["change"]["changes"]["archive"] for e in entries] == [{"old": CHENGGUAN, "new": UNIT["code"]}], number
    assert {d["school_code"] for d in own_db.documents.find({"_id": {"$in": documents}})} == {UNIT["code"]}

    # its students still studying have no school: the departments over the county list them
    studying = sorted(d["_id"] for d in own_db.students.find({"school_code": CHENGGUAN}) if d["state"] != "GRADUATED")
    assert 0 < len(studying) < UNIT_STUDENTS
    for login in ("zhongmou.dept", "henan.dept"):
        unplaced = gql(UNPLACED, {"a": "410122"}, as_=login)["unplacedAfterClosure"]
        assert [u["number"] for u in unplaced] == studying, login
        assert {(u["school"]["code"], u["school"]["closed"]) for u in unplaced} == {(CHENGGUAN, "CLOSED")}
    for login, area in (("chengguan.registrar", "410122"), ("jinshui.dept", "410122"), ("zhengzhou.archivist", "410122")):
        assert gql.errors(UNPLACED, {"a": area}, as_=login)[0]["extensions"]["code"] == "FORBIDDEN"
    assert gql(UNPLACED, {"a": "410105"}, as_="jinshui.dept")["unplacedAfterClosure"] == []

    # the bag names the unit; an archivist of the area verifies and acknowledges it
    root = download_bag(gql, handover_id, "zhengzhou.archivist", tmp_path / "bag")
    bag = bagit.Bag(str(root))
    bag.validate()
    assert (bag.info["Receiver-Kind"], bag.info["Receiver-Name"], bag.info["Dossier-Count"]) == ("ARCHIVE_UNIT", UNIT["name"], str(UNIT_STUDENTS))
    assert gql(VERIFY, {"id": handover_id}, as_="chengguan.registrar")["verifySchoolHandover"]["code"] == "NOT_FOUND"
    verified = gql(VERIFY, {"id": handover_id}, as_="zhengzhou.archivist")["verifySchoolHandover"]["handover"]
    assert verified["verification"]["valid"] is True, verified
    ack = {"input": {"id": handover_id, "manifestSha256": verified["bag"]["manifestSha256"]}}
    assert gql(ACKNOWLEDGE, ack, as_="zhengzhou.archivist")["acknowledgeSchoolHandover"]["handover"]["state"] == "ACKNOWLEDGED"
