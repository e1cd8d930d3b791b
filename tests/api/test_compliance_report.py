"""The Art. 26 compliance report (R-F2) through GraphQL and HTTP against the real servers, on
an API of its own (its own database, so that the report counts exactly what this scenario
did): one finding of every kind implemented, each evidence link resolvable, the XLSX and the
PDF (Chinese headings, a student's name, the CJK font embedded), and refusals by role and
scope."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
import pypdf
import pytest
from bson import ObjectId

from storage.embedded import Endpoints
from storage.indexes import serving_index
from tests.api.test_cases import decide, job, open_case, upload
from tests.factories import ENROL, enrolment
from tests.reverification import TODAY, client_of, open_campaign, own_api, raise_
from tests.support import ApiServer, GraphQLClient

WEIWU, FUNIU = "2141010501", "2141010201"
REPORT = """query($a: String!, $f: Date!, $t: Date!) { complianceReport(areaCode: $a, from: $f, to: $t) {
  areaCode from to counts { kind count }
  findings { kind label at schoolCode summary studentNumber studentName account evidence { kind id } } } }"""
START, END = TODAY - timedelta(days=1), TODAY + timedelta(days=500)
SCOPE_COLLECTIONS = {"audit_events", "cases", "reverifications", "reverification_schools", "schools", "accounts", "students"}


@pytest.fixture(scope="module")
def scenario(endpoints: Endpoints) -> Iterator[tuple[ApiServer, Any, dict[str, Any]]]:
    with own_api(endpoints) as (server, db), client_of(server) as gql:
        yield server, db, arrange(gql, server, db)


def enrol(gql: GraphQLClient, school: str, as_: str, **over: Any) -> dict[str, Any]:
    value = enrolment(school, **over)
    result: dict[str, Any] = gql(ENROL, {"input": value}, as_=as_)["enrollStudent"]
    return {**result, "input": value}


def arrange(gql: GraphQLClient, server: ApiServer, db: Any) -> dict[str, Any]:
    left = enrol(gql, WEIWU, "weiwu.registrar")["student"]
    late = enrol(gql, WEIWU, "weiwu.registrar")["student"]
    elsewhere = enrol(gql, FUNIU, "funiu.registrar")

    # (a), (c), (d): the school's re-verification finds a child without a dossier, a child whose
    # status is at another school, and a student gone without a recorded change.
    campaign = open_campaign(gql, "jinshui.dept")["campaign"]["id"]
    unknown = {"name": "李小龙", "sex": "MALE", "birthDate": "2018-03-04"}
    raise_(gql, campaign, WEIWU, "weiwu.registrar", presentWithoutDossier=unknown)
    other = elsewhere["input"]
    held = {"name": other["basic"]["name"], "sex": other["basic"]["sex"], "birthDate": other["basic"]["birthDate"], "idDocument": other["idDocument"]}
    assert raise_(gql, campaign, WEIWU, "weiwu.registrar", presentWithoutDossier=held)["discrepancy"]["child"]["enrolledAtSchoolCode"] == FUNIU
    raise_(gql, campaign, WEIWU, "weiwu.registrar", leftWithoutChange={"number": left["number"]})

    # (d): enrolling a child whose status is elsewhere, instead of a transfer.
    again = gql(ENROL, {"input": {**enrolment(WEIWU), "idDocument": other["idDocument"], "basic": other["basic"]}}, as_="weiwu.registrar")
    assert again["enrollStudent"]["code"] == "ENROLLED_ELSEWHERE"

    # (b): a suspension whose department step goes past its deadline (the daily job escalates it).
    evidence = [upload(gql, late["number"], "STATUS_APPLICATION"), upload(gql, late["number"], "MEDICAL_CERTIFICATE")]
    until = (TODAY + timedelta(days=100)).isoformat()
    case = open_case(gql, "weiwu.registrar", kind="SUSPENSION", number=late["number"], grounds="ILLNESS", params={"untilDate": until}, evidence=evidence)
    job(server.settings, datetime.now(UTC) + timedelta(days=400))

    # (e): a transfer to 中原区 whose archive 纬五路 has not handed over by its deadline (the
    # month is made to have run out: the stored deadline is set to yesterday).
    moved = enrol(gql, WEIWU, "weiwu.registrar")["student"]
    transfer = open_case(gql, "funiu.registrar", kind="TRANSFER", number=moved["number"], grounds="HOUSEHOLD_MOVED", targetSchoolCode=FUNIU)["case"]
    application = upload(gql, moved["number"], "STATUS_APPLICATION", as_="funiu.registrar", businessKind="case", businessId=transfer["id"])
    decide(gql, transfer["id"], "funiu.registrar", evidence=[application])
    decide(gql, transfer["id"], "zhongyuan.dept", overrideReason="户籍已迁入中原区")
    decide(gql, transfer["id"], "weiwu.registrar")
    assert decide(gql, transfer["id"], "jinshui.dept")["case"]["state"] == "COMPLETED"
    overdue = datetime(START.year, START.month, START.day, tzinfo=UTC)
    assert db.archive_handovers.update_one({"_id": transfer["id"]}, {"$set": {"due": overdue}}).matched_count == 1

    # (f): a refused action, and more full reads in one day than any business needs.
    refused = gql("mutation { openReverification(input: {term: \"x\"}) { __typename ... on OpenReverificationError { code } } }", as_="weiwu.registrar")
    assert refused["openReverification"]["code"] == "PERMISSION_DENIED"
    reads = "query($n: String!) { " + " ".join(f"r{i}: student(number: $n) {{ idNumberFull }}" for i in range(11)) + " }"
    for _ in range(2):
        gql(reads, {"n": late["number"]}, as_="weiwu.registrar")
    return {"campaign": campaign, "left": left, "late": late, "case": case["case"]["id"], "unknown": unknown["name"], "evidence": evidence,
            "moved": moved, "transfer": transfer["id"]}


def report(gql: GraphQLClient, as_: str, area: str = "410105", start: date = START, end: date = END) -> dict[str, Any]:
    found: dict[str, Any] = gql(REPORT, {"a": area, "f": start.isoformat(), "t": end.isoformat()}, as_=as_)["complianceReport"]
    return found


def test_every_kind_of_finding_is_reported_with_resolvable_evidence(scenario: tuple[ApiServer, Any, dict[str, Any]]) -> None:
    server, db, made = scenario
    with client_of(server) as gql:
        found = report(gql, "jinshui.dept")
        counts = {c["kind"]: c["count"] for c in found["counts"]}
        assert all(counts[k] >= 1 for k in counts), counts
        assert counts["ARCHIVE_NOT_HANDED_OVER"] == 1 and counts["ADMITTED_WITHOUT_TRANSFER"] == 2
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for f in found["findings"]:
            by_kind.setdefault(f["kind"], []).append(f)
        assert by_kind["ATTENDING_WITHOUT_DOSSIER"][0]["studentName"] == made["unknown"]
        assert by_kind["DROPOUT_NOT_REPORTED"][0]["studentNumber"] == made["left"]["number"]
        late = by_kind["CHANGE_NOT_RECORDED_IN_TIME"][0]
        assert late["studentName"] == made["late"]["name"] and {"kind": "CASE", "id": made["case"]} in late["evidence"]
        assert [e["id"] for e in late["evidence"] if e["kind"] == "DOCUMENT"] == made["evidence"]
        archive = by_kind["ARCHIVE_NOT_HANDED_OVER"][0]
        assert archive["schoolCode"] == WEIWU and archive["studentNumber"] == made["moved"]["number"] and "至今未转出" in archive["summary"]
        assert {"kind": "ARCHIVE_HANDOVER", "id": made["transfer"]} in archive["evidence"]
        assert len(by_kind["READS_OUTSIDE_PURPOSE"][0]["evidence"]) >= 22 and by_kind["READS_OUTSIDE_PURPOSE"][0]["account"] == "weiwu.registrar"

        for f in found["findings"]:
            assert f["evidence"], f
            for e in f["evidence"]:
                assert resolves(gql, db, made, e), (f["kind"], e)

        # A period before anything happened has nothing; the report read is audited.
        quiet = report(gql, "jinshui.dept", start=TODAY - timedelta(days=30), end=TODAY - timedelta(days=20))
        assert quiet["findings"] == []
        reads = db.audit_events.count_documents({"action": "read:complianceReport", "actor": "jinshui.dept", "target_id": "410105"})
        assert reads >= 2


def resolves(gql: GraphQLClient, db: Any, made: dict[str, Any], e: dict[str, str]) -> bool:
    kind, key = e["kind"], e["id"]
    if kind == "CASE":
        return gql("query($id: ID!) { case(id: $id) { id } }", {"id": key}, as_="jinshui.dept")["case"] is not None
    if kind == "STUDENT":
        return gql("query($n: String!) { student(number: $n) { number } }", {"n": key}, as_="jinshui.dept")["student"] is not None
    if kind == "DOCUMENT":
        return gql("query($id: ID!) { document(id: $id) { id } }", {"id": key}, as_="jinshui.dept")["document"] is not None
    if kind == "AUDIT_EVENT":
        return db.audit_events.find_one({"_id": ObjectId(key)}) is not None
    if kind == "ARCHIVE_HANDOVER":
        return gql("query($id: ID!) { archiveHandover(id: $id) { id } }", {"id": key}, as_="jinshui.dept")["archiveHandover"] is not None
    if kind == "DISCREPANCY":
        query = "query($c: ID!, $s: String!) { reverificationSchool(campaignId: $c, schoolCode: $s) { discrepancies { id } } }"
        part = gql(query, {"c": made["campaign"], "s": WEIWU}, as_="jinshui.dept")["reverificationSchool"]
        return key in [d["id"] for d in part["discrepancies"]]
    return False


def test_only_the_departments_over_the_area_read_the_report(scenario: tuple[ApiServer, Any, dict[str, Any]]) -> None:
    server, _, _ = scenario
    with client_of(server) as gql:
        assert report(gql, "zhengzhou.dept")["areaCode"] == "410105"  # the city above
        for login, area in (("weiwu.registrar", "410105"), ("zhongyuan.dept", "410105"), ("henan.auditor", "410105"),
                            ("zhengzhou.archivist", "410100"), ("jinshui.dept", "410100")):
            errors = gql.errors(REPORT, {"a": area, "f": START.isoformat(), "t": END.isoformat()}, as_=login)
            assert errors[0]["extensions"]["code"] == "FORBIDDEN", (login, errors)
        bad = gql.errors(REPORT, {"a": "410105", "f": END.isoformat(), "t": START.isoformat()}, as_="jinshui.dept")
        assert bad[0]["extensions"]["code"] == "BAD_USER_INPUT"
        files = gql.http.get("/compliance/report.pdf", params={"area": "410105", "from": START.isoformat(), "to": END.isoformat()},
                             headers={"Authorization": f"Bearer {gql.token('weiwu.registrar')}"})
        assert files.status_code == 403 and files.json()["error"]["code"] == "PERMISSION_DENIED"


def test_the_report_downloads_as_xlsx_and_as_a_pdf_in_chinese(scenario: tuple[ApiServer, Any, dict[str, Any]]) -> None:
    server, db, made = scenario
    with client_of(server) as gql:
        params = {"area": "410105", "from": START.isoformat(), "to": END.isoformat()}
        headers = {"Authorization": f"Bearer {gql.token('jinshui.dept')}"}
        xlsx = gql.http.get("/compliance/report.xlsx", params=params, headers=headers)
        assert xlsx.status_code == 200, xlsx.text
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["合规情况"]
        rows = [[c.value for c in r] for r in sheet.iter_rows()]
        assert rows[0][:3] == ["情形", "依据", "时间"]
        assert any(r[0] == "不为已接收学生建立学籍档案" and r[4] == made["unknown"] for r in rows[1:])

        pdf = gql.http.get("/compliance/report.pdf", params=params, headers=headers)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        reader = pypdf.PdfReader(io.BytesIO(pdf.content))
        text = "".join(page.extract_text() for page in reader.pages)
        for heading in ("义务教育学生学籍管理合规报告", "汇总", "不为已接收学生建立学籍档案", "第二十六条（三）", "超出用途批量查阅学籍信息"):
            assert heading in text, heading
        assert made["late"]["name"] in text and made["unknown"] in text
        fonts: list[Any] = []
        for page in reader.pages:
            resources: Any = page["/Resources"]
            fonts += [f.get_object() for f in resources["/Font"].values()]
        cjk = [f for f in fonts if "WenQuanYi" in str(f.get("/BaseFont")) or "UMing" in str(f.get("/BaseFont"))]
        assert cjk and all("/FontFile2" in f["/FontDescriptor"].get_object() for f in cjk)  # embedded, not referenced
        downloads = db.audit_events.count_documents({"action": {"$in": ["download:complianceReport.xlsx", "download:complianceReport.pdf"]}, "outcome": "ok"})
        assert downloads == 2


def test_the_report_queries_are_served_by_declared_indexes(scenario: tuple[ApiServer, Any, dict[str, Any]]) -> None:
    server, _, _ = scenario
    with client_of(server) as gql:
        report(gql, "jinshui.dept")
        report(gql, "zhengzhou.dept", "410100")
    shapes = [s for s in server.commands.shapes if s.collection in SCOPE_COLLECTIONS]
    assert len(shapes) > 5
    assert all(serving_index(s) is not None for s in shapes), [s for s in shapes if serving_index(s) is None]
