"""The change feed through GraphQL on the real servers (Art. 20, R-D5): every kind of change
with its old and new values, seen by exactly the scopes that held the student before or
after it; pages that neither skip nor repeat while writers run; a stopped writer's change
in the feed once after repair."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, date, datetime
from typing import Any

import httpx

from api.settings import Settings
from domain.ports import Stamp
from storage.mongo import Collections, connect
from storage.transitions import entry_id, new_entry, repair_projections
from tests.api.test_cases import FUNIU, WEIWU, XIGUAN, decide, open_case, upload
from tests.api.test_corrections import decide as decide_correction
from tests.api.test_corrections import request as request_correction
from tests.factories import ENROL, FATHER, UPDATE, VERIFY, basic_of, enrolment, resident_id
from tests.support import GraphQLClient

CHANGES = """query($after: String, $first: Int!) { changes(first: $first, after: $after) {
  resumeCursor pageInfo { hasNextPage hasPreviousPage endCursor }
  edges { cursor node { changeVersion number dossierVersion schoolCode kind keyChange { oldNumber newNumber }
    record { at actor action changes reason evidence businessId } } } } }"""
LATEST = "{ latestChangeCursor }"
WATCHERS = ("jinshui.dept", "zhongyuan.dept", "zhengzhou.dept", "weiwu.registrar", "funiu.registrar", "xiguan.registrar",
            "henan.auditor", "admin")


def latest(gql: GraphQLClient, as_: str) -> str:
    cursor: str = gql(LATEST, as_=as_)["latestChangeCursor"]
    return cursor


def read_all(gql: GraphQLClient, as_: str, after: str | None, first: int = 100) -> tuple[list[dict[str, Any]], str]:
    """Every change after the cursor, page by page until caught up; and where to resume."""
    nodes: list[dict[str, Any]] = []
    while True:
        page = gql(CHANGES, {"after": after, "first": first}, as_=as_)["changes"]
        nodes += [e["node"] for e in page["edges"]]
        after = page["resumeCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            assert after is not None
            return nodes, after


def update(gql: GraphQLClient, number: str, as_: str = "weiwu.registrar", **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = gql(UPDATE, {"input": {"number": number, **fields}}, as_=as_)["updateDossier"]
    assert result["__typename"] == "UpdateDossierSuccess", result
    return result


def sweep(settings: Settings) -> int:
    """The daily job's repair step (`scripts/workflows daily`) for today."""

    async def run() -> int:
        assert settings.mongodb_uri is not None
        client = connect(settings.mongodb_uri)
        try:
            return await repair_projections(Collections.of(client[settings.mongodb_database]), [datetime.now(UTC).date()])
        finally:
            await client.close()

    return asyncio.run(run())


def transfer(gql: GraphQLClient, number: str) -> None:
    """Weiwu (金水区) → Funiu (中原区), the four steps of Art. 11."""
    case = open_case(gql, "funiu.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)["case"]
    application = upload(gql, number, "STATUS_APPLICATION", as_="funiu.registrar", businessKind="case", businessId=case["id"])
    decide(gql, case["id"], "funiu.registrar", evidence=[application])
    decide(gql, case["id"], "zhongyuan.dept", overrideReason="户籍已迁入中原区")
    decide(gql, case["id"], "weiwu.registrar")
    assert decide(gql, case["id"], "jinshui.dept")["case"]["state"] == "COMPLETED"


def test_every_kind_of_change_reaches_the_scopes_that_held_the_student_with_old_and_new_values(gql: GraphQLClient, db: Any) -> None:
    start = {who: latest(gql, who) for who in WATCHERS}
    born = date(2017, 5, 5)
    value = enrolment(born=born, idDocument={"kind": "NONE_YET"}, grade=3, className="三(1)班")
    l_number = gql(ENROL, {"input": value}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    update(gql, l_number, className="三(2)班")
    id_number = resident_id(born)
    g_number = update(gql, l_number, idDocument={"kind": "RESIDENT_ID", "number": id_number})["student"]["number"]
    update(gql, g_number, basic=basic_of(value), guardians=[FATHER])
    verified = gql(VERIFY, {"input": {"number": g_number, "decision": "VERIFY"}}, as_="jinshui.dept")["verifyDossier"]
    assert verified["__typename"] == "VerifyDossierSuccess", verified
    cid = request_correction(gql, g_number, {"name": "王晓明"})["correction"]["id"]
    decide_correction(gql, cid, "weiwu.registrar")
    decide_correction(gql, cid, "jinshui.dept")
    away = open_case(gql, "weiwu.registrar", kind="ABROAD", number=g_number, evidence=[upload(gql, g_number, "STATUS_APPLICATION")])
    decide(gql, away["case"]["id"], "weiwu.registrar")
    back = open_case(gql, "weiwu.registrar", kind="RETURN_FROM_ABROAD", number=g_number, params={"grade": 4})
    decide(gql, back["case"]["id"], "weiwu.registrar")
    transfer(gql, g_number)
    update(gql, g_number, as_="funiu.registrar", className="四(5)班")

    def seen(who: str) -> list[dict[str, Any]]:
        nodes, _ = read_all(gql, who, start[who], first=4)
        return [n for n in nodes if n["number"] in (l_number, g_number)]

    county = seen("jinshui.dept")
    assert [n["kind"] for n in county] == [
        "CREATED", "BASIC_DATA", "BASIC_DATA", "BASIC_DATA", "VERIFICATION", "KEY_DATA_CORRECTION", "STATUS", "STATUS", "SCHOOL",
    ]
    versions = [n["dossierVersion"] for n in county]
    assert versions == sorted(set(versions))  # per dossier, in version order
    assert [int(n["changeVersion"]) for n in county] == sorted({int(n["changeVersion"]) for n in county})
    changes = [n["record"]["changes"] for n in county]
    assert changes[0] == {"school": {"old": None, "new": WEIWU}}
    assert changes[1] == {"class_name": {"old": "三(1)班", "new": "三(2)班"}}
    assert county[2]["keyChange"] == {"oldNumber": l_number, "newNumber": g_number}
    assert changes[2]["number"] == {"old": l_number, "new": g_number}
    assert changes[2]["id_document"]["new"]["number"] == id_number  # the supervising department reads personal data
    assert changes[3]["address"] == {"old": None, "new": basic_of(value)["address"]}
    assert changes[4] == {"verification": {"old": "UNVERIFIED", "new": "VERIFIED"}}
    assert changes[5] == {"name": {"old": value["basic"]["name"], "new": "王晓明"}} and county[5]["record"]["businessId"] == cid
    assert changes[6]["state"] == {"old": "ENROLLED", "new": "ABROAD"} and county[6]["record"]["action"] == "STATUS:ABROAD"
    assert changes[7]["state"] == {"old": "ABROAD", "new": "ENROLLED"} and changes[7]["grade"] == {"old": 3, "new": 4}
    assert changes[8]["school"] == {"old": WEIWU, "new": FUNIU} and county[8]["schoolCode"] == FUNIU
    assert [n["keyChange"] for n in county].count(None) == len(county) - 1
    assert county[0]["number"] == l_number and all(n["number"] == g_number for n in county[2:])
    # that read of unmasked personal data is in the audit trail, once for the page it was on
    assert db.audit_events.count_documents({"actor": "jinshui.dept", "action": "read:studentFull", "target_id": g_number,
                                            "details.fields": "changes"}) == 1

    # the sending school and the city see the same changes; the city and the auditor masked
    assert seen("weiwu.registrar") == county
    city = seen("zhengzhou.dept")
    assert [n["dossierVersion"] for n in city] == versions + [city[-1]["dossierVersion"]]  # the city holds both counties
    assert city[2]["record"]["changes"]["id_document"] == {"old": "***", "new": "***"}
    assert city[3]["record"]["changes"]["address"] == {"old": "***", "new": "***"}
    assert city[2]["record"]["changes"]["number"] == {"old": l_number, "new": g_number}
    audit = seen("henan.auditor")
    assert [n["dossierVersion"] for n in audit] == [n["dossierVersion"] for n in city]
    assert audit[3]["record"]["changes"]["address"] == {"old": "***", "new": "***"}
    # the receiving side: the transfer in and what follows, nothing from before
    receiving = seen("zhongyuan.dept")
    assert [n["kind"] for n in receiving] == ["SCHOOL", "BASIC_DATA"]
    assert receiving[1]["record"]["changes"] == {"class_name": {"old": "三(2)班", "new": "四(5)班"}}
    assert seen("funiu.registrar") == receiving
    # a school elsewhere, and the admin (no dossiers at all), see nothing of it
    assert seen("xiguan.registrar") == []
    assert read_all(gql, "admin", start["admin"])[0] == []


def test_pages_neither_skip_nor_repeat_while_writers_run(gql: GraphQLClient, settings: Settings, db: Any) -> None:
    ours = [gql(ENROL, {"input": enrolment(className="一(1)班")}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
            for _ in range(6)]
    theirs = [gql(ENROL, {"input": enrolment(XIGUAN)}, as_="xiguan.registrar")["enrollStudent"]["student"]["number"]
              for _ in range(2)]
    cursor = latest(gql, "jinshui.dept")
    before = {n: db.students.find_one({"_id": n})["version"] for n in ours + theirs}
    writers: list[tuple[str, list[str]]] = [("weiwu.registrar", ours[i::3]) for i in range(3)] + [("xiguan.registrar", theirs)]
    running = threading.Event()
    running.set()
    errors: list[BaseException] = []

    def write(login: str, numbers: list[str]) -> None:
        with httpx.Client(base_url=str(gql.http.base_url), timeout=60) as http:
            client = GraphQLClient(http, settings)
            try:
                for r in range(8):
                    for n in numbers:
                        update(client, n, as_=login, className=f"一({r + 2})班")
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

    threads = [threading.Thread(target=write, args=w) for w in writers]
    for t in threads:
        t.start()
    delivered: list[dict[str, Any]] = []
    while any(t.is_alive() for t in threads):  # page while they write, a few changes at a time
        page = gql(CHANGES, {"after": cursor, "first": 3}, as_="jinshui.dept")["changes"]
        delivered += [e["node"] for e in page["edges"]]
        cursor = page["resumeCursor"]
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert not errors, errors
    rest, _ = read_all(gql, "jinshui.dept", cursor, first=3)
    delivered += rest

    keys = [(n["number"], n["dossierVersion"]) for n in delivered]
    assert len(keys) == len(set(keys))  # nothing twice
    assert [int(n["changeVersion"]) for n in delivered] == sorted(int(n["changeVersion"]) for n in delivered)
    assert not {n["number"] for n in delivered} & set(theirs)  # another county's writes never show
    logged = {
        (e["aggregate_id"], e["version"])
        for n in ours
        for e in db.transitions.find({"aggregate": "student", "aggregate_id": n})
        if e["version"] > before[n] and e.get("change")
    }
    assert len(logged) == 6 * 8
    assert {k for k in keys if k[0] in ours} == logged  # everything the log holds, nothing skipped


def _crash_after_claim(db: Any, number: str, class_name: str) -> str:
    """A writer claims the next version with its change of record, and stops before the
    change feed and the projection."""
    live = db.students.find_one({"_id": number})
    state = {k: v for k, v in live.items() if k not in ("version", "log_hash")}
    change: dict[str, Any] = {"action": "UPDATED", "changes": {"class_name": {"old": live["class_name"], "new": class_name}},
              "reason": None, "evidence": [], "business_id": None}
    entry = new_entry("student", {**state, "class_name": class_name}, version=live["version"] + 1, prev_hash=live["log_hash"],
                      stamp=Stamp("weiwu.registrar", "crashed", datetime.now(UTC)), action="UPDATED", change=change)
    db.transitions.insert_one(entry)
    eid: str = entry["_id"]
    assert db.changes.find_one({"_id": eid}) is None
    return eid


def test_a_stopped_writers_change_is_in_the_feed_once_after_the_daily_sweep(gql: GraphQLClient, settings: Settings, db: Any) -> None:
    number = gql(ENROL, {"input": enrolment(className="一(1)班")}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    cursor = latest(gql, "jinshui.dept")
    claimed = _crash_after_claim(db, number, "一(7)班")
    assert [n for n in read_all(gql, "jinshui.dept", cursor)[0] if n["number"] == number] == []
    assert sweep(settings) >= 1
    assert sweep(settings) == 0  # idempotent
    ours = [n for n in read_all(gql, "jinshui.dept", cursor)[0] if n["number"] == number]
    assert [(n["kind"], n["record"]["changes"]) for n in ours] == [("BASIC_DATA", {"class_name": {"old": "一(1)班", "new": "一(7)班"}})]
    assert db.changes.count_documents({"_id": claimed}) == 1


def test_a_stopped_writers_change_is_appended_by_the_next_read_and_not_again_by_the_sweep(
    gql: GraphQLClient, settings: Settings, db: Any
) -> None:
    number = gql(ENROL, {"input": enrolment(className="一(1)班")}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    cursor = latest(gql, "jinshui.dept")
    claimed = _crash_after_claim(db, number, "一(8)班")
    # the next read of the dossier projects the claim, its feed entry first
    assert gql("query($n: String!) { student(number: $n) { className } }", {"n": number}, as_="jinshui.dept")["student"] == {
        "className": "一(8)班"
    }
    assert db.changes.count_documents({"_id": claimed}) == 1
    sweep(settings)
    ours = [n for n in read_all(gql, "jinshui.dept", cursor)[0] if n["number"] == number]
    assert len(ours) == 1 and ours[0]["dossierVersion"] == int(claimed.rsplit(":", 1)[1])
    assert db.changes.count_documents({"_id": claimed}) == 1


def test_a_change_the_feed_lacks_is_appended_by_the_sweep(gql: GraphQLClient, settings: Settings, db: Any) -> None:
    """A projected change without its feed entry (written before the feed existed, or the
    entry lost) is appended by the daily sweep, after the cursor of whoever already read."""
    number = gql(ENROL, {"input": enrolment(className="一(1)班")}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    cursor = latest(gql, "jinshui.dept")
    update(gql, number, className="一(9)班")
    claimed = entry_id("student", number, db.students.find_one({"_id": number})["version"])
    db.changes.delete_one({"_id": claimed})  # as if the append had never happened
    assert [n for n in read_all(gql, "jinshui.dept", cursor)[0] if n["number"] == number] == []
    assert sweep(settings) >= 1
    ours = [n for n in read_all(gql, "jinshui.dept", cursor)[0] if n["number"] == number]
    assert [n["record"]["changes"] for n in ours] == [{"class_name": {"old": "一(1)班", "new": "一(9)班"}}]


def test_cursors(gql: GraphQLClient) -> None:
    cursor = latest(gql, "jinshui.dept")
    empty = gql(CHANGES, {"after": cursor, "first": 5}, as_="jinshui.dept")["changes"]
    assert empty["edges"] == [] and empty["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True, "endCursor": None}
    assert empty["resumeCursor"] == cursor  # caught up: stay here
    number = gql(ENROL, {"input": enrolment()}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    page = gql(CHANGES, {"after": cursor, "first": 5}, as_="jinshui.dept")["changes"]
    assert [(e["node"]["number"], e["node"]["kind"]) for e in page["edges"]] == [(number, "CREATED")]
    assert page["resumeCursor"] == page["pageInfo"]["endCursor"] == page["edges"][0]["cursor"]
    # a school elsewhere reads past the same change without seeing it, and moves on
    far = gql(CHANGES, {"after": cursor, "first": 5}, as_="xiguan.registrar")["changes"]
    assert far["edges"] == [] and far["resumeCursor"] == page["resumeCursor"]
    students = gql("{ students(first: 1) { pageInfo { endCursor } } }", as_="jinshui.dept")["students"]["pageInfo"]["endCursor"]
    for bad in ("x", students, "Y2hhbmdlOi0x", "Y2hhbmdlOjFl"):  # change:-1, change:1e
        errors = gql.errors(CHANGES, {"after": bad, "first": 5}, as_="jinshui.dept")
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", bad
    for first in (0, 101):
        assert gql.errors(CHANGES, {"first": first}, as_="jinshui.dept")[0]["extensions"]["code"] == "BAD_USER_INPUT"
