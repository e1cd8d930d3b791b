"""The archive handover after a transfer through GraphQL on the real servers (Art. 18, 19;
R-D2, R-D3): a completed transfer opens one handover with its one-month deadline, the
sending school hands the archive over and records its paper copies, the receiving school
acknowledges receipt; the sender keeps a read-only copy as of the transfer; overdue
handovers go to the sending school's department; late ones are listed for the report."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from api.app import s3_client, stores_of
from api.settings import Settings
from application.archive_handovers import LateArchiveHandover, late_archive_handovers
from domain.archive_handovers import handover_deadline
from domain.calendar import WorkingCalendar
from domain.changes import CHINA, today_in_china
from scripts.workflows_cmd import daily
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect
from tests import scans
from tests.api.test_cases import FUNIU, WEIWU, decide, enrol, open_case, upload
from tests.api.test_change_feed import update
from tests.api.test_concurrency import at_once
from tests.support import ApiServer, GraphQLClient

HANDOVER = """fragment H on ArchiveHandover { id caseId number sendingSchool { code } receivingSchool { code } transferDate
  due dueProvisional overdue state sent handedOverBy handoverNote receivedBy paperCopies { item location } escalatedTo
  timeline { action actor role comment } }"""
ONE = "query($id: ID!) { archiveHandover(id: $id) { ...H } }" + HANDOVER
LIST = """query($s: String, $state: ArchiveHandoverState, $after: String) {
  archiveHandovers(schoolCode: $s, state: $state, first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id state } } } }"""
SNAPSHOT = """query($id: ID!) { archiveHandover(id: $id) { snapshot { number asOf className school { code } formerSchoolCodes
  history { action } personal { address } } } }"""
HAND_OVER = """mutation($input: HandOverArchiveInput!) { handOverArchive(input: $input) { __typename
  ... on HandOverArchiveSuccess { handover { ...H } } ... on HandOverArchiveError { field message code } } }""" + HANDOVER
ACKNOWLEDGE = """mutation($input: AcknowledgeArchiveHandoverInput!) { acknowledgeArchiveHandover(input: $input) { __typename
  ... on AcknowledgeArchiveHandoverSuccess { handover { ...H } }
  ... on AcknowledgeArchiveHandoverError { field message code } } }""" + HANDOVER
COPIES = """mutation($input: RecordPaperCopiesInput!) { recordPaperCopies(input: $input) { __typename
  ... on RecordPaperCopiesSuccess { handover { ...H } } ... on RecordPaperCopiesError { field message code } } }""" + HANDOVER
WHOLE = ["ELECTRONIC_DOSSIER", "PAPER_FILE"]


def transfer(gql: GraphQLClient, number: str, *, last: bool = True) -> str:
    """Weiwu (金水区) → Funiu (中原区), the four steps of Art. 11; the case id. Without
    `last`, the sending department's approval is left to the caller."""
    case = open_case(gql, "funiu.registrar", kind="TRANSFER", number=number, grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)["case"]
    application = upload(gql, number, "STATUS_APPLICATION", as_="funiu.registrar", businessKind="case", businessId=case["id"])
    decide(gql, case["id"], "funiu.registrar", evidence=[application])
    decide(gql, case["id"], "zhongyuan.dept", overrideReason="户籍已迁入中原区")
    decide(gql, case["id"], "weiwu.registrar")
    if last:
        assert decide(gql, case["id"], "jinshui.dept")["case"]["state"] == "COMPLETED"
    case_id: str = case["id"]
    return case_id


def one(gql: GraphQLClient, handover_id: str, as_: str) -> Any:
    return gql(ONE, {"id": handover_id}, as_=as_)["archiveHandover"]


def hand_over(gql: GraphQLClient, handover_id: str, as_: str = "weiwu.registrar", parts: list[str] = WHOLE, **more: Any) -> Any:
    return gql(HAND_OVER, {"input": {"id": handover_id, "parts": parts, **more}}, as_=as_)["handOverArchive"]


def acknowledge(gql: GraphQLClient, handover_id: str, as_: str = "funiu.registrar") -> Any:
    return gql(ACKNOWLEDGE, {"input": {"id": handover_id}}, as_=as_)["acknowledgeArchiveHandover"]


def listed(gql: GraphQLClient, as_: str, **variables: Any) -> list[str]:
    page = gql(LIST, variables, as_=as_)["archiveHandovers"]
    ids = [e["node"]["id"] for e in page["edges"]]
    while page["pageInfo"]["hasNextPage"]:
        page = gql(LIST, {**variables, "after": page["pageInfo"]["endCursor"]}, as_=as_)["archiveHandovers"]
        ids += [e["node"]["id"] for e in page["edges"]]
    return ids


def versions(db: Any, handover_id: str) -> list[str]:
    entries = db.transitions.find({"aggregate": "archive_handover", "aggregate_id": handover_id})
    return [e["action"] for e in sorted(entries, key=lambda e: e["version"])]


def test_a_completed_transfer_opens_one_handover_that_is_handed_over_and_received(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql, grade=3, className="三(1)班", born=date(2017, 6, 6))
    case_id = transfer(gql, number)
    h = one(gql, case_id, "weiwu.registrar")
    today = today_in_china(datetime.now(UTC))
    expected = handover_deadline(today, WorkingCalendar())
    assert h["caseId"] == case_id and h["number"] == number and h["state"] == "OPEN" and not h["overdue"]
    assert h["sendingSchool"] == {"code": WEIWU} and h["receivingSchool"] == {"code": FUNIU}
    assert h["transferDate"] == today.isoformat() and h["due"] == expected.due.isoformat()
    assert h["dueProvisional"] is expected.provisional and [e["action"] for e in h["timeline"]] == ["OPENED"]
    # a completed transfer decided again opens nothing more
    assert decide(gql, case_id, "jinshui.dept")["code"] == "NOT_OPEN"
    assert db.archive_handovers.count_documents({"case_id": case_id}) == 1 and versions(db, case_id) == ["OPENED"]

    # who sees it: both schools, their departments, archivists and auditors of their areas
    for login in ("weiwu.registrar", "funiu.registrar", "jinshui.dept", "zhongyuan.dept", "zhengzhou.dept", "zhengzhou.archivist", "henan.auditor"):
        assert one(gql, case_id, login)["id"] == case_id, login
        assert case_id in listed(gql, login), login
    for login in ("xiguan.registrar", "admin"):
        assert one(gql, case_id, login) is None and case_id not in listed(gql, login)
    assert listed(gql, "xiguan.registrar", s=WEIWU) == []  # a school outside the scope lists nothing
    assert listed(gql, "jinshui.dept", s=FUNIU) == [] and case_id in listed(gql, "jinshui.dept", s=WEIWU)
    assert case_id in listed(gql, "zhongyuan.dept", s=FUNIU) and case_id in listed(gql, "weiwu.registrar", s=WEIWU, state="OPEN")
    assert case_id not in listed(gql, "weiwu.registrar", s=WEIWU, state="RECEIVED")

    # refusals by role, scope and state change nothing
    assert acknowledge(gql, case_id)["code"] == "NOT_HANDED_OVER"
    assert hand_over(gql, case_id, "funiu.registrar")["code"] == "PERMISSION_DENIED"
    assert hand_over(gql, case_id, "jinshui.dept")["code"] == "PERMISSION_DENIED"
    assert hand_over(gql, case_id, "henan.auditor")["code"] == "READ_ONLY_ROLE"
    assert hand_over(gql, case_id, "xiguan.registrar")["code"] == "NOT_FOUND"
    incomplete = hand_over(gql, case_id, parts=["ELECTRONIC_DOSSIER"])
    assert incomplete["code"] == "INCOMPLETE_HANDOVER" and incomplete["field"] == "parts"
    assert versions(db, case_id) == ["OPENED"]

    sent = hand_over(gql, case_id, parts=[*WHOLE, "EVIDENCE_ORIGINALS"], note="专人送达，伏牛路小学教务处签收")["handover"]
    assert sent["state"] == "HANDED_OVER" and sent["handedOverBy"] == "weiwu.registrar"
    assert sent["sent"] == ["ELECTRONIC_DOSSIER", "PAPER_FILE", "EVIDENCE_ORIGINALS"]
    assert hand_over(gql, case_id)["code"] == "ALREADY_HANDED_OVER"
    assert acknowledge(gql, case_id, "weiwu.registrar")["code"] == "PERMISSION_DENIED"

    # the paper copies the sender keeps (Art. 19): its registrar only
    copies = {"id": case_id, "copies": [{"item": "学籍卡复印件", "location": "档案室 3 号柜"}, {"item": "转学申请复印件", "location": "档案室 3 号柜"}]}
    assert gql(COPIES, {"input": copies}, as_="funiu.registrar")["recordPaperCopies"]["code"] == "PERMISSION_DENIED"
    assert gql(COPIES, {"input": {**copies, "copies": []}}, as_="weiwu.registrar")["recordPaperCopies"]["code"] == "INVALID_VALUE"
    kept = gql(COPIES, {"input": copies}, as_="weiwu.registrar")["recordPaperCopies"]["handover"]
    assert kept["paperCopies"] == copies["copies"]

    received = acknowledge(gql, case_id)["handover"]
    assert received["state"] == "RECEIVED" and received["receivedBy"] == "funiu.registrar"
    assert acknowledge(gql, case_id)["code"] == "ALREADY_RECEIVED"
    assert [e["action"] for e in received["timeline"]] == ["OPENED", "HANDED_OVER", "PAPER_COPIES_RECORDED", "RECEIVED"]
    assert case_id in listed(gql, "funiu.registrar", state="RECEIVED") and case_id not in listed(gql, "funiu.registrar", state="OPEN")
    # every change is a version of its log, and every attempt is in the audit trail
    assert versions(db, case_id) == ["OPENED", "HANDED_OVER", "PAPER_COPIES_RECORDED", "RECEIVED"]
    audited = [(e["action"], e["outcome"]) for e in db.audit_events.find({"target_id": case_id, "target_type": "archive_handover"})]
    assert audited.count(("mutation:handOverArchive", "ok")) == 1
    assert ("mutation:handOverArchive", "INCOMPLETE_HANDOVER") in audited
    assert ("mutation:acknowledgeArchiveHandover", "ok") in audited and ("mutation:recordPaperCopies", "ok") in audited


def test_the_sender_keeps_a_read_only_copy_as_of_the_transfer(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql, grade=3, className="三(1)班", born=date(2017, 6, 16))
    case_id = transfer(gql, number)
    update(gql, number, as_="funiu.registrar", className="三(7)班")  # the receiver's change after the transfer

    copy = gql(SNAPSHOT, {"id": case_id}, as_="weiwu.registrar")["archiveHandover"]["snapshot"]
    assert copy["number"] == number and copy["className"] == "三(1)班" and copy["school"] == {"code": FUNIU}
    assert copy["formerSchoolCodes"] == [WEIWU] and copy["asOf"] == today_in_china(datetime.now(UTC)).isoformat()
    assert [h["action"] for h in copy["history"]] == ["ENROLLED", "STATUS:TRANSFER"]  # not the receiver's update
    assert copy["personal"] is None  # masked for the sender, as the dossier is today (Art. 24)
    live = gql("query($n: String!) { student(number: $n) { className } }", {"n": number}, as_="funiu.registrar")["student"]
    assert live["className"] == "三(7)班"

    # the receiver reads it unmasked, and that read is audited
    before = db.audit_events.count_documents({"action": "read:studentFull", "target_id": number, "actor": "funiu.registrar"})
    seen = gql(SNAPSHOT, {"id": case_id}, as_="funiu.registrar")["archiveHandover"]["snapshot"]
    assert seen["personal"] is not None
    assert db.audit_events.count_documents({"action": "read:studentFull", "target_id": number, "actor": "funiu.registrar"}) == before + 1

    # the sender cannot write anything on the dossier any more
    write = gql("mutation($n: String!) { updateDossier(input: {number: $n, className: \"三(9)班\"}) { __typename "
                "... on UpdateDossierError { code } } }", {"n": number}, as_="weiwu.registrar")
    assert write["updateDossier"]["code"] == "PERMISSION_DENIED"
    response = gql.http.post(
        "/uploads", params={"student": number, "kind": "HOUSEHOLD_REGISTER", "filename": "a.png"}, content=scans.png(),
        headers={"Authorization": f"Bearer {gql.token('weiwu.registrar')}", "Content-Type": "image/png"},
    )
    assert response.status_code in (403, 404), response.text
    opened = open_case(gql, "weiwu.registrar", kind="ABROAD", number=number)
    assert opened["__typename"] == "OpenCaseError"
    assert gql("query($n: String!) { student(number: $n) { className } }", {"n": number}, as_="funiu.registrar")["student"] == live


def test_a_completion_stopped_before_the_handover_opens_it_when_decided_again(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql, grade=4, className="四(1)班", born=date(2016, 6, 6))
    case_id = transfer(gql, number)
    # as if the request had stopped after the dossier's change, before the handover's claim
    db.archive_handovers.delete_one({"_id": case_id})
    db.transitions.delete_many({"aggregate": "archive_handover", "aggregate_id": case_id})
    assert one(gql, case_id, "weiwu.registrar") is None
    again = decide(gql, case_id, "jinshui.dept")
    assert again["case"]["state"] == "COMPLETED" and again["student"]["school"] == {"code": FUNIU}
    assert one(gql, case_id, "weiwu.registrar")["state"] == "OPEN"
    assert decide(gql, case_id, "jinshui.dept")["code"] == "NOT_OPEN" and versions(db, case_id) == ["OPENED"]


def test_concurrent_completions_open_one_handover_and_concurrent_acknowledgements_receive_once(
    gql: GraphQLClient, api: ApiServer, settings: Settings, db: Any
) -> None:
    number = enrol(gql, grade=3, className="三(2)班", born=date(2017, 7, 7))
    case_id = transfer(gql, number, last=False)
    completions = at_once(settings, api.base_url, lambda client, _: decide(client, case_id, "jinshui.dept"))
    assert sum(1 for c in completions if c.get("case", {}).get("state") == "COMPLETED") >= 1
    assert db.archive_handovers.count_documents({"case_id": case_id}) == 1 and versions(db, case_id) == ["OPENED"]

    assert hand_over(gql, case_id)["__typename"] == "HandOverArchiveSuccess"
    answers = at_once(settings, api.base_url, lambda client, _: acknowledge(client, case_id))
    assert sum(a["__typename"] == "AcknowledgeArchiveHandoverSuccess" for a in answers) == 1
    assert {a["code"] for a in answers if "code" in a} <= {"ALREADY_RECEIVED", "CONFLICT"}
    assert versions(db, case_id) == ["OPENED", "HANDED_OVER", "RECEIVED"]


def _stores_call(settings: Settings, call: Any) -> Any:
    async def run() -> Any:
        assert settings.mongodb_uri is not None
        client = connect(settings.mongodb_uri)
        try:
            stores = stores_of(Collections.of(client[settings.mongodb_database]), EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket))
            return await call(stores)
        finally:
            await client.close()

    return asyncio.run(run())


def test_the_daily_job_escalates_an_overdue_handover_once_and_the_report_lists_it_late(
    gql: GraphQLClient, settings: Settings, db: Any
) -> None:
    number = enrol(gql, grade=3, className="三(3)班", born=date(2017, 8, 8))
    case_id = transfer(gql, number)
    on_time_id = transfer(gql, enrol(gql, grade=3, className="三(3)班", born=date(2017, 8, 9)))
    assert hand_over(gql, on_time_id)["__typename"] == "HandOverArchiveSuccess"
    due = date.fromisoformat(one(gql, case_id, "weiwu.registrar")["due"])

    def run_on(day: date) -> int:
        escalated: int = asyncio.run(daily(settings, datetime.combine(day, time(22), CHINA)))[-1]
        return escalated

    run_on(due)  # the deadline day itself is still in time
    assert one(gql, case_id, "jinshui.dept")["escalatedTo"] is None
    assert run_on(due + timedelta(days=1)) >= 1
    h = one(gql, case_id, "jinshui.dept")
    assert h["escalatedTo"] == "410105" and h["timeline"][-1]["action"] == "ESCALATED" and h["timeline"][-1]["role"] == "SYSTEM"
    run_on(due + timedelta(days=2))  # once only
    assert [e["action"] for e in one(gql, case_id, "jinshui.dept")["timeline"]] == ["OPENED", "ESCALATED"]
    assert one(gql, on_time_id, "jinshui.dept")["escalatedTo"] is None  # handed over in time
    assert versions(db, case_id) == ["OPENED", "ESCALATED"]
    assert db.audit_events.count_documents({"action": "job:escalateArchiveHandover", "target_id": case_id}) == 1

    # the compliance report's list: not handed over by its deadline, of the area asked for
    later = due + timedelta(days=3)

    def late(area: str, today: date) -> list[LateArchiveHandover]:
        return _stores_call(settings, lambda stores: late_archive_handovers(stores, area, due, due, today=today))  # type: ignore[no-any-return]

    found = {x.id: x for x in late("410100", later)}
    assert case_id in found and on_time_id not in found
    assert found[case_id].sending_school_code == WEIWU and found[case_id].due == due and found[case_id].handed_over_at is None
    assert case_id in {x.id for x in late("410105", later)} and case_id not in {x.id for x in late("410300", later)}
    assert case_id not in {x.id for x in late("410100", due)}  # not late yet on the deadline day
