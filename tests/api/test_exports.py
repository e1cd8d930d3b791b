"""Exports only with written approval (Art. 24, R-A6), through GraphQL and HTTP against the
real servers: request, the approval document as an upload, the department's decision, the
requester's short-lived audited link, and every refusal on the way."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openpyxl

from storage.exports import link_key
from storage.indexes import serving_index
from tests import scans
from tests.factories import ENROL, enrolment
from tests.support import ApiServer, GraphQLClient

WEIWU, WENHUA = "2141010501", "2141010502"
REQUEST = """mutation($i: RequestExportInput!) { requestExport(input: $i) { __typename
  ... on RequestExportSuccess { request { id state departmentCode fields fullFields } }
  ... on RequestExportError { field code message } } }"""
APPROVE = """mutation($i: ApproveExportInput!) { approveExport(input: $i) { __typename
  ... on ApproveExportSuccess { request { id state approvedFields approvedFullFields decidedBy decisionReason } }
  ... on ApproveExportError { field code message } } }"""
ONE = """query($id: ID!) { exportRequest(id: $id) { id state requester
  approvalDocuments { id kind downloadUrl { url } } downloadUrl { url expiresAt } } }"""
LIST = "{ exportRequests(first: 50) { totalCount edges { node { id requester } } } }"


def student(gql: GraphQLClient, school: str = WEIWU, as_: str = "weiwu.registrar", **basic: str) -> dict[str, Any]:
    value = enrolment(school)
    value["basic"] = {**value["basic"], **basic}
    created: dict[str, Any] = gql(ENROL, {"input": value}, as_=as_)["enrollStudent"]["student"]
    return {**created, "id_number": value["idDocument"]["number"], "phone": basic.get("phone")}


def ask(gql: GraphQLClient, as_: str, **input: Any) -> dict[str, Any]:
    result: dict[str, Any] = gql(REQUEST, {"i": {"purpose": "区教育局体检名单核对", "format": "XLSX", **input}}, as_=as_)["requestExport"]
    return result


def decide(gql: GraphQLClient, as_: str, **input: Any) -> dict[str, Any]:
    result: dict[str, Any] = gql(APPROVE, {"i": input}, as_=as_)["approveExport"]
    return result


def attach(gql: GraphQLClient, request_id: str, as_: str, kind: str = "APPROVAL_LETTER") -> httpx.Response:
    return gql.http.post(
        "/uploads",
        params={"exportRequest": request_id, "kind": kind, "filename": "批复.pdf"},
        content=scans.pdf(1),
        headers={"Authorization": f"Bearer {gql.token(as_)}", "Content-Type": "application/pdf"},
    )


def link(gql: GraphQLClient, request_id: str, as_: str) -> str | None:
    found = gql(ONE, {"id": request_id}, as_=as_)["exportRequest"]
    return None if found is None or found["downloadUrl"] is None else str(found["downloadUrl"]["url"])


def fetch(gql: GraphQLClient, url: str, as_: str) -> httpx.Response:
    return gql.http.get(url, headers={"Authorization": f"Bearer {gql.token(as_)}"})


def downloads_of(gql: GraphQLClient, request_id: str) -> list[dict[str, Any]]:
    query = """query($f: AuditEventFilter) { auditEvents(first: 100, filter: $f) { edges { node { action outcome actor details } } } }"""
    edges = gql(query, {"f": {"targetId": request_id}}, as_="henan.auditor")["auditEvents"]["edges"]
    return [e["node"] for e in edges if e["node"]["action"] == "download:export"]


def test_an_approved_export_carries_exactly_the_approved_fields_for_its_requester(gql: GraphQLClient, db: Any) -> None:
    first = student(gql, phone="13800000001", address="郑州市金水区纬五路 3 号")
    second = student(gql, phone="13800000002")
    made = ask(gql, "weiwu.registrar", schoolCode=WEIWU, grade=1,
               fields=["NUMBER", "NAME", "ID_NUMBER", "PHONE", "GRADE"], fullFields=["ID_NUMBER", "PHONE"])
    assert made["__typename"] == "RequestExportSuccess", made
    request_id = made["request"]["id"]
    assert made["request"]["departmentCode"] == "410105" and made["request"]["state"] == "REQUESTED"

    # No download before approval, and no approval before the written approval is attached.
    assert link(gql, request_id, "weiwu.registrar") is None
    missing = decide(gql, "jinshui.dept", id=request_id, approve=True)
    assert missing["code"] == "APPROVAL_DOCUMENT_MISSING"

    # The approval document: only as APPROVAL_LETTER, only by those who may attach it.
    wrong_kind = attach(gql, request_id, "weiwu.registrar", kind="HOUSEHOLD_REGISTER")
    assert wrong_kind.status_code == 422 and wrong_kind.json()["error"]["code"] == "INVALID_KIND"
    stranger = attach(gql, request_id, "wenhua.registrar")
    assert stranger.status_code == 404 and stranger.json()["error"]["code"] == "NOT_FOUND"
    stored = attach(gql, request_id, "weiwu.registrar")
    assert stored.status_code == 201, stored.text
    document_id = stored.json()["document"]["id"]
    assert stored.json()["document"]["lockUntil"] > (datetime.now(UTC) + timedelta(days=365 * 29)).isoformat()  # permanent

    # Only the department in charge decides: not another county (it does not even see it), not the city above.
    assert decide(gql, "zhongyuan.dept", id=request_id, approve=True)["code"] == "NOT_FOUND"
    assert decide(gql, "zhengzhou.dept", id=request_id, approve=True)["code"] == "PERMISSION_DENIED"
    assert decide(gql, "jinshui.dept", id=request_id, approve=True, fields=["NAME", "SEX"])["code"] == "FIELD_NOT_REQUESTED"
    approved = decide(gql, "jinshui.dept", id=request_id, approve=True, fields=["NUMBER", "NAME", "ID_NUMBER", "GRADE"],
                      fullFields=["ID_NUMBER"], reason="同意，仅限体检使用")
    assert approved["__typename"] == "ApproveExportSuccess", approved
    assert approved["request"]["approvedFields"] == ["NUMBER", "NAME", "ID_NUMBER", "GRADE"]
    assert decide(gql, "jinshui.dept", id=request_id, approve=False, reason="again")["code"] == "ALREADY_DECIDED"
    assert attach(gql, request_id, "weiwu.registrar").json()["error"]["code"] == "ALREADY_DECIDED"

    # The department reads the approval document; the link is for the requester alone.
    seen = gql(ONE, {"id": request_id}, as_="jinshui.dept")["exportRequest"]
    assert [d["id"] for d in seen["approvalDocuments"]] == [document_id] and seen["approvalDocuments"][0]["downloadUrl"]["url"]
    assert seen["downloadUrl"] is None
    assert gql(ONE, {"id": request_id}, as_="wenhua.registrar")["exportRequest"] is None

    url = link(gql, request_id, "weiwu.registrar")
    assert url is not None
    response = fetch(gql, url, "weiwu.registrar")
    assert response.status_code == 200, response.text
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == ["学籍号", "姓名", "身份证件号", "年级"]  # the phone was asked for, not approved: absent
    by_name = {r[1]: r for r in rows[1:]}
    for s in (first, second):
        number, name, id_number, grade = by_name[s["name"]]
        assert id_number == s["id_number"]  # approved in full
        assert isinstance(number, str) and number != s["number"] and "*" in number and number[-4:] == s["number"][-4:]  # masked
        assert grade == 1
    assert not any("13800000001" in str(v) for r in rows for v in r)

    # Another account's use of the link, and an expired link, are refused and audited.
    for other in ("wenhua.registrar", "jinshui.dept"):
        refused = fetch(gql, url, other)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "PERMISSION_DENIED"
    token = url.split("link=", 1)[1]
    db.export_links.update_one({"_id": link_key(token)}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}})
    expired = fetch(gql, url, "weiwu.registrar")
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "LINK_EXPIRED"
    assert fetch(gql, "/exports/download?link=nothing", "weiwu.registrar").status_code == 404

    again = fetch(gql, str(link(gql, request_id, "weiwu.registrar")), "weiwu.registrar")
    assert again.status_code == 200
    attempts = downloads_of(gql, request_id)
    assert sorted(e["outcome"] for e in attempts) == ["LINK_EXPIRED", "PERMISSION_DENIED", "PERMISSION_DENIED", "ok", "ok"]
    events = [e for e in attempts if e["outcome"] == "ok"]
    assert all(e["actor"] == "weiwu.registrar" for e in events)
    assert events[0]["details"]["fields"] == ["NUMBER", "NAME", "ID_NUMBER", "GRADE"] and events[0]["details"]["full_fields"] == ["ID_NUMBER"]
    assert events[0]["details"]["rows"] >= 2

    # Lists: the requester sees its own, the department those it decides.
    assert request_id in [e["node"]["id"] for e in gql(LIST, as_="weiwu.registrar")["exportRequests"]["edges"]]
    assert request_id in [e["node"]["id"] for e in gql(LIST, as_="jinshui.dept")["exportRequests"]["edges"]]
    assert request_id not in [e["node"]["id"] for e in gql(LIST, as_="zhongyuan.dept")["exportRequests"]["edges"]]


def test_a_csv_export_masks_every_identifier_not_approved_in_full(gql: GraphQLClient) -> None:
    child = student(gql, WENHUA, "wenhua.registrar", phone="13900000009")
    made = ask(gql, "wenhua.registrar", schoolCode=WENHUA, format="CSV", fields=["NAME", "ID_NUMBER", "PHONE"], fullFields=["ID_NUMBER"])
    request_id = made["request"]["id"]
    assert attach(gql, request_id, "jinshui.dept").status_code == 201  # the department may attach its own letter
    assert decide(gql, "jinshui.dept", id=request_id, approve=True)["__typename"] == "ApproveExportSuccess"  # full: none
    response = fetch(gql, str(link(gql, request_id, "wenhua.registrar")), "wenhua.registrar")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["姓名", "身份证件号", "联系电话"]
    mine = next(r for r in rows[1:] if r[0] == child["name"])
    assert mine[1] != child["id_number"] and mine[1][:6] == child["id_number"][:6] and "*" in mine[1]
    assert mine[2] == "139" + "*" * 8  # masked: not approved in full


def test_requests_are_refused_outside_the_requesters_scope_and_never_self_approved(gql: GraphQLClient) -> None:
    assert ask(gql, "weiwu.registrar", schoolCode=WENHUA, fields=["NAME"])["code"] == "NOT_FOUND"
    assert ask(gql, "zhongyuan.dept", areaCode="410105", fields=["NAME"])["code"] == "PERMISSION_DENIED"
    assert ask(gql, "henan.auditor", areaCode="410105", fields=["NAME"])["code"] == "READ_ONLY_ROLE"
    assert ask(gql, "jinshui.dept", areaCode="410105", fields=[])["code"] == "INVALID_VALUE"
    assert ask(gql, "jinshui.dept", areaCode="410105", fields=["NAME"], fullFields=["NAME"])["code"] == "INVALID_VALUE"
    assert ask(gql, "jinshui.dept", areaCode="410105", fields=["NAME"], purpose="  ")["code"] == "INVALID_VALUE"

    own = ask(gql, "jinshui.dept", areaCode="410105", fields=["NAME", "SCHOOL_CODE"])
    request_id = own["request"]["id"]
    assert own["request"]["departmentCode"] == "410105"
    assert attach(gql, request_id, "jinshui.dept").status_code == 201
    assert decide(gql, "jinshui.dept", id=request_id, approve=True)["code"] == "OWN_EXPORT_REQUEST"
    assert link(gql, request_id, "jinshui.dept") is None

    city = ask(gql, "zhengzhou.dept", areaCode="410105", fields=["NAME"])  # the county's records: the county decides
    assert city["request"]["departmentCode"] == "410105"
    assert decide(gql, "jinshui.dept", id=city["request"]["id"], approve=False)["code"] == "REASON_REQUIRED"
    refused = decide(gql, "jinshui.dept", id=city["request"]["id"], approve=False, reason="用途不明")
    assert refused["request"]["state"] == "REFUSED" and refused["request"]["decisionReason"] == "用途不明"
    assert link(gql, city["request"]["id"], "zhengzhou.dept") is None


def test_an_area_export_carries_the_schools_its_department_supervises(gql: GraphQLClient) -> None:
    ours = [student(gql), student(gql, WENHUA, "wenhua.registrar")]
    elsewhere = student(gql, "2141010201", "funiu.registrar")  # 中原区: another county
    made = ask(gql, "zhengzhou.dept", areaCode="410105", format="CSV", fields=["NAME", "SCHOOL_CODE"])
    request_id = made["request"]["id"]
    assert attach(gql, request_id, "zhengzhou.dept").status_code == 201
    assert decide(gql, "jinshui.dept", id=request_id, approve=True)["__typename"] == "ApproveExportSuccess"
    response = fetch(gql, str(link(gql, request_id, "zhengzhou.dept")), "zhengzhou.dept")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["姓名", "学校标识码"]
    pairs = {(r[0], r[1]) for r in rows[1:]}
    assert (ours[0]["name"], WEIWU) in pairs and (ours[1]["name"], WENHUA) in pairs
    assert (elsewhere["name"], "2141010201") not in pairs and {school for _, school in pairs} <= {WEIWU, WENHUA, "2141010503"}

    # The request, its decision, the link and the download are filed under the area: the
    # auditors of 金水区 see them, those of another county do not (Art. 24).
    create = """mutation($i: CreateAccountInput!) { createAccount(input: $i) { __typename } }"""
    for login, area in (("jinshui.export.auditor", "410105"), ("zhongyuan.export.auditor", "410102")):
        made_auditor = gql(create, {"i": {"login": login, "name": "审计员", "role": "AUDITOR", "scopeCode": area}}, as_="admin")
        assert made_auditor["createAccount"]["__typename"] == "CreateAccountSuccess"
    trail = "query($id: String!) { auditEvents(first: 50, filter: {targetId: $id}) { edges { node { action } } } }"
    seen = {e["node"]["action"] for e in gql(trail, {"id": request_id}, as_="jinshui.export.auditor")["auditEvents"]["edges"]}
    assert {"mutation:approveExport", "link:export", "download:export"} <= seen, seen
    asked = gql(trail, {"id": "410105"}, as_="jinshui.export.auditor")["auditEvents"]["edges"]  # the request names its area
    assert "mutation:requestExport" in {e["node"]["action"] for e in asked}
    assert gql(trail, {"id": request_id}, as_="zhongyuan.export.auditor")["auditEvents"]["edges"] == []


def test_export_queries_are_served_by_declared_indexes(gql: GraphQLClient, api: ApiServer) -> None:
    made = ask(gql, "jinshui.dept", areaCode="410105", fields=["NAME"])
    for role in ("weiwu.registrar", "jinshui.dept", "henan.auditor"):
        gql(LIST, as_=role)
    gql(ONE, {"id": made["request"]["id"]}, as_="jinshui.dept")
    shapes = [s for s in api.commands.shapes if s.collection.startswith("export")]
    assert {s.collection for s in shapes} >= {"export_requests"}
    assert all(serving_index(s) is not None for s in shapes), [s for s in shapes if serving_index(s) is None]
