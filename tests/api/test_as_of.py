"""Dossiers as of a day (Art. 20, 人籍一致 checks), computed from the transition log: before
and after a transfer and a status change, on China's calendar day, seen by whoever sees the
dossier today and masked as today (Art. 19, 24).

The changes are made through GraphQL today; their recorded times are then moved to earlier
days in the log (hashes re-chained), as if they had been made then."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.changes import CHINA, today_in_china
from storage.transitions import entry_hash
from tests.api.test_cases import FUNIU, WEIWU, decide, enrol, open_case, upload
from tests.api.test_change_feed import transfer, update
from tests.support import GraphQLClient

STUDENT = """query($n: String!, $d: Date) { student(number: $n, asOf: $d) {
  number asOf school { code } grade className state history { action } personal { address } } }"""
ROLL = """query($d: Date, $f: StudentFilterInput, $first: Int!, $after: String) {
  students(asOf: $d, filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { number asOf school { code } grade className state } } } }"""
TODAY = today_in_china(datetime.now(UTC))


def day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def at(days_ago: int, hour: int, minute: int = 0) -> datetime:
    """A moment on a calendar day in China."""
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour, minute), CHINA)


def version(db: Any, number: str) -> int:
    found: int = db.students.find_one({"numbers": number})["version"]
    return found


def backdate(db: Any, number: str, moments: list[tuple[int, datetime]]) -> None:
    """Record versions up to each bound at that moment: [(up to version, at), …], ascending."""
    entries = sorted(db.transitions.find({"aggregate": "student", "aggregate_id": number}), key=lambda e: e["version"])
    previous = None
    for e in entries:
        moment = next((m for bound, m in moments if e["version"] <= bound), None)
        if moment is not None:
            e.update(at=moment, day=moment.astimezone(UTC).date().isoformat())
        e["prev_hash"] = previous
        e["hash"] = entry_hash(e)
        db.transitions.replace_one({"_id": e["_id"]}, e)
        previous = e["hash"]
    db.students.update_one({"_id": number}, {"$set": {"log_hash": previous}})


def roll(gql: GraphQLClient, as_: str, days_ago: int, first: int = 50, after: str | None = None, **f: Any) -> dict[str, Any]:
    result: dict[str, Any] = gql(ROLL, {"d": day(days_ago), "f": f or None, "first": first, "after": after}, as_=as_)["students"]
    return result


def numbers(page: dict[str, Any]) -> list[str]:
    return [e["node"]["number"] for e in page["edges"]]


def test_as_of_before_and_after_a_transfer_and_a_status_change(gql: GraphQLClient, db: Any) -> None:
    moved = enrol(gql, grade=3, className="三(1)班", born=date(2017, 4, 14))
    stays = enrol(gql, grade=2, className="二(1)班", born=date(2018, 4, 14))
    renamed = enrol(gql, grade=3, className="三(1)班", born=date(2017, 5, 14))
    enrolled = {n: version(db, n) for n in (moved, stays, renamed)}
    transfer(gql, moved)
    transferred = version(db, moved)
    away = open_case(gql, "funiu.registrar", kind="ABROAD", number=moved,
                     evidence=[upload(gql, moved, "STATUS_APPLICATION", as_="funiu.registrar")])
    decide(gql, away["case"]["id"], "funiu.registrar")
    update(gql, renamed, className="三(4)班")
    # enrolled ten days ago; transferred late in the evening five days ago (China time); gone
    # abroad just after midnight two days ago, which is still the day before in UTC
    backdate(db, moved, [(enrolled[moved], at(10, 12)), (transferred, at(5, 23, 30)), (version(db, moved), at(2, 0, 30))])
    backdate(db, stays, [(enrolled[stays], at(10, 12))])
    backdate(db, renamed, [(enrolled[renamed], at(10, 12)), (version(db, renamed), at(3, 9))])

    def seen(as_: str, days_ago: int) -> Any:
        return gql(STUDENT, {"n": moved, "d": day(days_ago)}, as_=as_)["student"]

    # the sending school keeps its copy (Art. 19): the dossier as the transfer left it, and
    # what it was before; nothing the receiving school records later
    assert seen("weiwu.registrar", 11) is None  # not enrolled yet
    then = seen("weiwu.registrar", 10)
    assert then == {"number": moved, "asOf": day(10), "school": {"code": WEIWU}, "grade": 3, "className": "三(1)班",
                    "state": "ENROLLED", "history": [{"action": "ENROLLED"}], "personal": None}  # masked as today
    assert seen("weiwu.registrar", 6)["school"] == {"code": WEIWU}
    assert seen("weiwu.registrar", 5)["school"] == {"code": FUNIU}  # 23:30 in China is that day
    assert [h["action"] for h in seen("weiwu.registrar", 5)["history"]] == ["ENROLLED", "STATUS:TRANSFER"]
    assert seen("weiwu.registrar", 3)["state"] == "ENROLLED"
    assert seen("weiwu.registrar", 2)["state"] == "ENROLLED"  # gone abroad from the receiving school: not the copy's
    assert seen("weiwu.registrar", 0)["history"] == [{"action": "ENROLLED"}, {"action": "STATUS:TRANSFER"}]
    now = gql(STUDENT, {"n": moved, "d": None}, as_="weiwu.registrar")["student"]
    assert now["asOf"] is None and now["state"] == "ENROLLED" and now["school"] == {"code": FUNIU}
    assert [h["action"] for h in now["history"]] == ["ENROLLED", "STATUS:TRANSFER"]
    later = gql("query($n: String!) { student(number: $n) { cases { kind } documents { kind } } }", {"n": moved}, as_="weiwu.registrar")
    # not the receiver's ABROAD case or its scan (the log is backdated here, the cases are not)
    assert {"kind": "ABROAD"} not in later["student"]["cases"] and later["student"]["documents"] == []
    live = gql("query($n: String!) { student(number: $n) { cases { kind } documents { kind } } }", {"n": moved}, as_="funiu.registrar")
    assert live["student"]["cases"] == [{"kind": "TRANSFER"}, {"kind": "ABROAD"}] and len(live["student"]["documents"]) == 2
    history = gql("query($n: String!) { studentHistory(number: $n) { action } }", {"n": moved}, as_="weiwu.registrar")
    assert [h["action"] for h in history["studentHistory"]] == ["ENROLLED", "STATUS:TRANSFER"]
    listed = gql("{ students(first: 100) { edges { node { number state } } } }", as_="weiwu.registrar")["students"]["edges"]
    assert {"number": moved, "state": "ENROLLED"} in [e["node"] for e in listed]
    # the school that holds it now, and the departments above both, see it live
    assert seen("funiu.registrar", 0)["state"] == "ABROAD"
    assert gql(STUDENT, {"n": moved, "d": None}, as_="funiu.registrar")["student"]["state"] == "ABROAD"
    assert seen("zhengzhou.dept", 0)["state"] == "ABROAD"
    # the sending school's county does not see the receiving one in 中原区: the copy too
    assert seen("jinshui.dept", 0)["state"] == "ENROLLED" and seen("zhongyuan.dept", 0)["state"] == "ABROAD"
    # the school that holds it now sees where it was, and its personal data (today's rule)
    earlier = seen("funiu.registrar", 7)
    assert earlier["school"] == {"code": WEIWU} and earlier["personal"] is not None
    # nobody else sees it, as of any day
    assert seen("xiguan.registrar", 7) is None and seen("admin", 7) is None

    # a school's roll as of a day: who it held then, as they were then
    assert numbers(roll(gql, "weiwu.registrar", 6)) == sorted([moved, stays, renamed])
    assert numbers(roll(gql, "weiwu.registrar", 4)) == sorted([stays, renamed])
    assert numbers(roll(gql, "weiwu.registrar", 11)) == []
    assert numbers(roll(gql, "funiu.registrar", 4, schoolCode=FUNIU)) == [moved]
    assert moved not in numbers(roll(gql, "funiu.registrar", 6))
    assert numbers(roll(gql, "funiu.registrar", 2, state="ABROAD")) == [moved]
    assert moved not in numbers(roll(gql, "funiu.registrar", 2, state="ENROLLED"))
    assert numbers(roll(gql, "funiu.registrar", 3, state="ENROLLED", grade=3)) == [moved]
    assert numbers(roll(gql, "weiwu.registrar", 6, grade=3)) == sorted([moved, renamed])
    assert numbers(roll(gql, "weiwu.registrar", 4, className="三(4)班")) == []
    assert numbers(roll(gql, "weiwu.registrar", 2, className="三(4)班")) == [renamed]
    nodes = {e["node"]["number"]: e["node"] for e in roll(gql, "weiwu.registrar", 6)["edges"]}
    assert nodes[moved] == {"number": moved, "asOf": day(6), "school": {"code": WEIWU}, "grade": 3, "className": "三(1)班",
                            "state": "ENROLLED"}
    # pages and the count
    first = roll(gql, "weiwu.registrar", 6, first=2)
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    rest = roll(gql, "weiwu.registrar", 6, first=2, after=first["pageInfo"]["endCursor"])
    assert numbers(first) + numbers(rest) == sorted([moved, stays, renamed]) and not rest["pageInfo"]["hasNextPage"]
    # departments name the school; one outside their scope lists nobody
    assert numbers(roll(gql, "jinshui.dept", 6, schoolCode=WEIWU)) == sorted([moved, stays, renamed])
    empty = roll(gql, "zhongyuan.dept", 6, schoolCode=WEIWU)
    assert empty["edges"] == [] and empty["totalCount"] == 0


def test_as_of_needs_a_past_day_and_a_school(gql: GraphQLClient) -> None:
    number = enrol(gql)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    for query, variables in ((STUDENT, {"n": number, "d": tomorrow}), (ROLL, {"d": tomorrow, "first": 5})):
        error = gql.errors(query, variables, as_="weiwu.registrar")[0]
        assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", "asOf")
    error = gql.errors(ROLL, {"d": day(1), "first": 5}, as_="jinshui.dept")[0]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", "filter.schoolCode")
    assert gql(STUDENT, {"n": number, "d": TODAY.isoformat()}, as_="weiwu.registrar")["student"]["number"] == number
