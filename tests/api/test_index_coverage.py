"""Production never scans: every query shape the repositories send is served by a declared
index (the equality-sort-range rule of `storage.indexes.serving_index`).

The API's MongoDB client records the shape of every query it sends during the whole test
session; this test adds every read path and job on top, then checks each shape."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from api.app import s3_client, stores_of
from api.settings import Settings
from application import school_handover
from application.cases import escalate_overdue, remind_suspensions_ended
from application.session import Actor, Session
from domain.school_handover import SchoolHandoverKind
from application.reverification import escalate_overdue_reverifications
from application.archive_handovers import escalate_overdue_handovers, late_archive_handovers
from storage.evidence_store import EvidenceArchive
from storage.indexes import WHOLE_READS, QueryShape, serving_index
from storage.mongo import Collections, connect
from domain.ports import Stamp
from storage.sweeps import extend_retention, fixity, reconcile, reconcile_pending
from storage.transitions import repair_projections
from tests.api.test_cases import decide, enrol, open_case, upload
from tests.reverification import CAMPAIGN_QUERY, CAMPAIGNS, ESCALATIONS, PART, ROSTER, confirm, open_campaign, raise_
from tests.support import ApiServer, CommandCounter, GraphQLClient
from tests.api.test_archive_handovers import LIST as HANDOVERS
from tests.api.test_archive_handovers import SNAPSHOT as HANDOVER_SNAPSHOT
from tests.api.test_archive_handovers import transfer

STUDENTS = """query($f: StudentFilterInput, $after: String) { students(first: 2, after: $after, filter: $f) {
  totalCount pageInfo { endCursor } edges { node { number school { code } cases { id } documents { id }
  sectionEntries { edges { node { id } } } history { action } } } } }"""
FILTERS: list[dict[str, Any]] = [
    {},
    {"schoolCode": "2141010501", "grade": 2},
    {"schoolCode": "2141010501", "grade": 2, "className": "二(1)班"},
    {"areaCode": "410105"},
    {"state": "SUSPENDED"},
    {"entryYear": 2026},
    {"verified": True},
    {"verified": False},
    {"incomplete": True},
    {"completenessOverdue": True},
    {"namePrefix": "王"},
]
AS_OF = """query($n: String!, $d: Date!, $f: StudentFilterInput) { student(number: $n, asOf: $d) { history { action } }
  students(first: 2, asOf: $d, filter: $f) { totalCount edges { node { number } } } }"""
ARCHIVE = """query($list: ArchiveList!, $after: String) { archiveDocuments(list: $list, first: 1, after: $after) {
  totalCount pageInfo { endCursor } edges { node { id } } } }"""
ROLES = ("weiwu.registrar", "jinshui.dept", "zhengzhou.dept", "henan.dept", "zhengzhou.archivist", "henan.auditor", "admin")


def test_every_query_shape_is_served_by_a_declared_index(gql: GraphQLClient, api: ApiServer, settings: Settings) -> None:
    number = enrol(gql, grade=2, className="二(1)班", born=date(2018, 6, 6))
    evidence = [upload(gql, number, "STATUS_APPLICATION"), upload(gql, number, "MEDICAL_CERTIFICATE")]
    for document_id in (*evidence, upload(gql, number, "HOUSEHOLD_REGISTER")):  # two held, so that the list pages
        hold = {"documentId": document_id, "hold": True, "reason": "核查"}
        gql.post("mutation($i: SetLegalHoldInput!) { setLegalHold(input: $i) { __typename } }", {"i": hold}, as_="zhengzhou.archivist")
    withdrawn = [upload(gql, number, "HOUSEHOLD_REGISTER") for _ in range(2)]
    for document_id in withdrawn:
        gql.post("mutation($i: WithdrawDocumentInput!) { withdrawDocument(input: $i) { __typename } }",
                 {"i": {"documentId": document_id, "reason": "误传"}}, as_="weiwu.registrar")
    gql.post("mutation($i: UpdatePaperLocationInput!) { updatePaperLocation(input: $i) { __typename } }",
             {"i": {"documentId": evidence[0], "paperLocation": "档案室 9 号柜"}}, as_="weiwu.registrar")
    until = (date.today() + timedelta(days=100)).isoformat()
    case = open_case(gql, "weiwu.registrar", kind="SUSPENSION", number=number, grounds="ILLNESS", params={"untilDate": until}, evidence=evidence)
    decide(gql, case["case"]["id"], "weiwu.registrar")
    campaign = open_campaign(gql, "jinshui.dept")["campaign"]["id"]
    raise_(gql, campaign, "2141010501", "weiwu.registrar", leftWithoutChange={"number": number})
    confirm(gql, campaign, "2141010501", "weiwu.registrar")

    for role in ROLES:
        for f in FILTERS:
            page = gql.post(STUDENTS, {"f": f}, as_=role).json()["data"]["students"]
            if page["pageInfo"]["endCursor"]:
                gql.post(STUDENTS, {"f": f, "after": page["pageInfo"]["endCursor"]}, as_=role)
        for f in ({}, {"awaitingMyDecision": True}, {"overdue": True}, {"kind": "SUSPENSION", "state": "OPEN"},
                  {"schoolCode": "2141010501"}, {"number": number}):
            gql.post("query($f: CaseFilterInput) { cases(first: 2, filter: $f) { totalCount edges { node { id } } } }", {"f": f}, as_=role)
        gql.post("{ reminders { id } }", as_=role)
        for f in ({}, {"areaCode": "410100"}, {"kind": "PRIMARY"}, {"supervisorCode": "410105"}):
            gql.post("query($f: SchoolFilter) { schools(first: 2, filter: $f) { totalCount edges { node { code registrars { login } } } } }",
                     {"f": f}, as_=role)
        gql.post('{ areas(parentCode: "410100") { code } school(code: "2141010501") { code } }', as_=role)
        for scope in ("2141010501", "410105", None):
            gql.post("query($s: String) { accounts(scopeCode: $s, first: 2) { totalCount edges { node { login } } } }", {"s": scope}, as_=role)
        for f in ({}, {"actor": "weiwu.registrar"}, {"targetType": "student", "targetId": number}, {"targetId": number},
                  {"targetType": "student"}, {"actor": "weiwu.registrar", "targetType": "student"}):
            gql.post("query($f: AuditEventFilter) { auditEvents(first: 2, filter: $f) { totalCount edges { node { action } } } }", {"f": f}, as_=role)
        gql.post("query($n: String!) { student(number: $n) { number } studentHistory(number: $n) { action } documents(number: $n) { id } }",
                 {"n": number}, as_=role)
        gql.post("{ fixityRuns { id } workingCalendar(year: 2026) { year } }", as_=role)
        feed = gql.post("{ latestChangeCursor changes(first: 2) { resumeCursor } }", as_=role).json()["data"]["changes"]
        gql.post("query($a: String) { changes(first: 2, after: $a) { edges { node { kind } } } }", {"a": feed["resumeCursor"]}, as_=role)
        gql.post(AS_OF, {"n": number, "d": date.today().isoformat(), "f": {"schoolCode": "2141010501", "grade": 2}}, as_=role)
        gql.post("{ archiveStatus { stuckPendingDocuments orphanObjects lastFixityRun { id } lastReconcileRun { id } } }", as_=role)
        for which in ("LEGAL_HOLD", "WITHDRAWN"):
            page = gql.post(ARCHIVE, {"list": which}, as_=role).json()["data"]
            if page and page["archiveDocuments"]["pageInfo"]["endCursor"]:
                gql.post(ARCHIVE, {"list": which, "after": page["archiveDocuments"]["pageInfo"]["endCursor"]}, as_=role)
        gql.post("query($id: ID!) { document(id: $id) { history { action } fixity { result } } }", {"id": evidence[0]}, as_=role)
        gql.post(CAMPAIGNS, {}, as_=role)
        gql.post(CAMPAIGNS, {"term": campaign.split(":")[0]}, as_=role)
        gql.post(CAMPAIGN_QUERY, {"id": campaign}, as_=role)
        roster = gql.post(PART, {"c": campaign, "s": "2141010501"}, as_=role).json()["data"]["reverificationSchool"]
        if roster and roster["roster"]["pageInfo"]["endCursor"]:
            gql.post(PART, {"c": campaign, "s": "2141010501", "after": roster["roster"]["pageInfo"]["endCursor"]}, as_=role)
        gql.post(ROSTER, {"c": campaign, "s": "2141010501", "grade": 2, "className": "二(1)班"}, as_=role)
        gql.post(ESCALATIONS, as_=role)
    gql.post('query($n: String!) { duplicateCandidates(number: $n) { name } }', {"n": number}, as_="weiwu.registrar")
    year_end_shapes(gql)
    handovers = [transfer(gql, enrol(gql, grade=2, className="二(1)班", born=date(2018, 6, day))) for day in (7, 8, 9)]
    for role in ROLES:
        for variables in ({}, {"state": "OPEN"}, {"s": "2141010501"}, {"s": "2141010501", "state": "OPEN"}):
            page = gql.post(HANDOVERS, variables, as_=role).json()["data"]["archiveHandovers"]
            if page["pageInfo"]["endCursor"]:
                gql.post(HANDOVERS, {**variables, "after": page["pageInfo"]["endCursor"]}, as_=role)
        gql.post(HANDOVER_SNAPSHOT, {"id": handovers[0]}, as_=role)

    jobs = CommandCounter()

    async def run_jobs() -> None:
        assert settings.mongodb_uri is not None
        client = connect(settings.mongodb_uri, event_listeners=[jobs])
        try:
            collections = Collections.of(client[settings.mongodb_database])
            archive = EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket)
            stores = stores_of(collections, archive)
            now = datetime.now(UTC) + timedelta(days=400)
            await escalate_overdue(stores, now)
            await remind_suspensions_ended(stores, now.date())
            await escalate_overdue_reverifications(stores, now)
            await escalate_overdue_handovers(stores, now)
            await late_archive_handovers(stores, "410100", now.date() - timedelta(days=500), now.date())
            await fixity(collections, archive)
            await extend_retention(collections, archive)
            await reconcile_pending(collections, archive, older_than=timedelta(0))
            await repair_projections(collections, [datetime.now(UTC).date()])
            await reconcile(collections, archive, older_than=timedelta(0))
            document = await stores.documents.get(evidence[0])
            assert document is not None
            await stores.documents.follow_dossier(document.dossier_id, Stamp.system("test"))
            # a school closure and its handover job (the province's 直管学校 into a county school)
            province = await stores.accounts.get("henan.dept")
            assert province is not None
            session = Session.open(Actor(province, "index-coverage"), stores)
            unit = ("12410000MB0000001A", "河南省档案馆")
            await school_handover.record(session, SchoolHandoverKind.CLOSURE, "2141012202", None, "豫教〔2026〕1号", date.today(), unit)
            await school_handover.resume_unfinished(stores)
            await stores.school_handovers.held_by("2141012201")  # a merger's or a closure's to a school
        finally:
            await client.close()

    asyncio.run(run_jobs())
    for role in ROLES:
        gql.post("{ schoolHandover(id: \"2141012202\") { state bagDownloadUrl { url } } }", as_=role)
        gql.post('{ unplacedAfterClosure(areaCode: "410122") { number } }', as_=role)
    gql.post("mutation { verifySchoolHandover(input: {id: \"2141012202\"}) { __typename } }", as_="zhengzhou.archivist")

    shapes: set[QueryShape] = api.commands.shapes | jobs.shapes
    assert len(shapes) > 40  # the paths above were really exercised
    unserved = sorted((s for s in shapes if s.collection not in WHOLE_READS and serving_index(s) is None), key=repr)
    assert not unserved, "\n".join(map(repr, unserved))


def year_end_shapes(gql: GraphQLClient) -> None:
    """The year-end change (Art. 17): a plan, its job in the API process, its status, the
    unplaced-graduates report and a progression placement."""
    from tests.api.test_promotion import PLACE, PLAN, RUN, STATUS, UNPLACED

    graduate = enrol(gql, grade=6, className="六(1)班", born=date(2014, 6, 6))
    made = gql(PLAN, {"input": {"effectiveDate": f"{date.today().year - 1}-07-01", "grades": [6]}}, as_="weiwu.registrar")["planYearEnd"]
    gql(RUN, {"id": made["plan"]["id"]}, as_="weiwu.registrar")
    for _ in range(600):
        if gql(STATUS, {"id": made["plan"]["id"]}, as_="weiwu.registrar")["yearEndPlan"]["state"] == "DONE":
            break
        time.sleep(0.1)
    for role in ROLES:
        gql.post(UNPLACED, {"area": "410105"}, as_=role)
        gql.post(UNPLACED, {"area": "410100"}, as_=role)
        gql.post(UNPLACED, {"area": "410000"}, as_=role)
    placement = {"schoolCode": "2141010503", "entryDate": f"{date.today().year - 1}-09-01", "placements": [{"number": graduate, "className": "初一(1)班"}]}
    gql(PLACE, {"input": placement}, as_="jinshui.dept")
