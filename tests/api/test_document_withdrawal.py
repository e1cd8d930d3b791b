"""A scan filed under the wrong student is withdrawn from that dossier (Art. 6 (2), 20, 24):
out of the student's documents, evidence of nothing afterwards, kept under retention with
its metadata, and seen with its withdrawal by archivists and auditors. A document a
business rests on (open, completed or applied) is not withdrawn. Every refusal changes
nothing and is audited."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from api.app import s3_client
from api.settings import Settings
from domain.evidence import Withdrawal
from storage.documents import DocumentRepository
from domain.ports import Stamp
from storage.mongo import Collections, connect
from storage.transitions import TransitionLog
from dataclasses import replace
from tests.api.test_archive_lists import ensure_account, listed, luoyang_archivist
from tests.api.test_cases import decide, enrol, open_case, upload
from tests.api.test_corrections import decide as decide_correction
from tests.api.test_corrections import request as request_correction
from tests.api.test_paper_location import move
from tests.support import GraphQLClient

WITHDRAW = """mutation($input: WithdrawDocumentInput!) { withdrawDocument(input: $input) {
  __typename ... on WithdrawDocumentSuccess { document { id withdrawal { by at reason } history { action changes reason } } }
  ... on WithdrawDocumentError { field message code } } }"""
DOCUMENT = "query($id: ID!) { document(id: $id) { id withdrawal { by reason } downloadUrl { sha256 } } }"
DOSSIER = """query($n: String!) { student(number: $n) { documents { id } } documents(number: $n) { id } }"""
REASON = "误传：该户口簿属于同班学生王某某，已上传至其本人档案"


def withdraw(gql: GraphQLClient, document_id: str, as_: str = "weiwu.registrar", reason: str = REASON) -> dict[str, Any]:
    result: dict[str, Any] = gql(WITHDRAW, {"input": {"documentId": document_id, "reason": reason}}, as_=as_)["withdrawDocument"]
    return result


def record(db: Any, document_id: str) -> tuple[Any, int]:
    return db.documents.find_one({"_id": document_id}), db.transitions.count_documents({"aggregate_id": document_id})


def in_dossier(gql: GraphQLClient, number: str, as_: str) -> set[str]:
    found = gql(DOSSIER, {"n": number}, as_=as_)
    ids = {d["id"] for d in found["student"]["documents"]}
    assert ids == {d["id"] for d in found["documents"]}
    return ids


def suspension(gql: GraphQLClient, number: str, evidence: list[str]) -> dict[str, Any]:
    until = (date.today() + timedelta(days=100)).isoformat()
    return open_case(gql, "weiwu.registrar", kind="SUSPENSION", number=number, grounds="ILLNESS", params={"untilDate": until}, evidence=evidence)


def test_a_misfiled_scan_leaves_the_dossier_stays_archived_and_is_evidence_of_nothing(gql: GraphQLClient, settings: Settings, db: Any) -> None:
    number = enrol(gql)
    kept = upload(gql, number, "STATUS_APPLICATION")
    document_id = upload(gql, number, "HOUSEHOLD_REGISTER", paperLocation="档案室 1 号柜")
    assert document_id in in_dossier(gql, number, "weiwu.registrar")

    done = withdraw(gql, document_id)
    assert done["__typename"] == "WithdrawDocumentSuccess", done
    assert done["document"]["withdrawal"]["by"] == "weiwu.registrar" and done["document"]["withdrawal"]["reason"] == REASON
    assert done["document"]["history"][-1] == {"action": "WITHDRAWN", "changes": {"withdrawn": {"old": False, "new": True}}, "reason": REASON}
    event = db.audit_events.find_one({"action": "mutation:withdrawDocument", "target_id": document_id, "outcome": "ok"})
    assert event["details"]["reason"] == REASON and event["school_code"] == "2141010501"

    # out of the dossier for everyone; the document itself only for those who review the archive
    for role in ("weiwu.registrar", "jinshui.dept", "zhengzhou.archivist"):
        assert in_dossier(gql, number, role) == {kept}, role
    for role in ("weiwu.registrar", "jinshui.dept", "henan.dept"):
        assert gql(DOCUMENT, {"id": document_id}, as_=role)["document"] is None, role
    for role in ("zhengzhou.archivist", "henan.auditor"):
        seen = gql(DOCUMENT, {"id": document_id}, as_=role)["document"]
        assert seen["withdrawal"] == {"by": "weiwu.registrar", "reason": REASON} and len(seen["downloadUrl"]["sha256"]) == 64
    assert document_id in {n["id"] for n in listed(gql, "zhengzhou.archivist", "WITHDRAWN")}
    assert document_id not in {n["id"] for n in listed(gql, luoyang_archivist(gql), "WITHDRAWN")}

    # nothing deleted: the metadata and every object stay, under their lock
    stored = db.documents.find_one({"_id": document_id})
    assert stored["withdrawn"] is True and stored["stored"] is True and len(stored["versions"]) == 1
    s3 = s3_client(settings)
    for part in ("original", "rendition"):
        version = stored["versions"][0][part]
        retention = s3.get_object_retention(settings.s3_evidence_bucket, version["key"], version_id=version["version_id"])
        assert retention is not None and retention.retain_until_date is not None
        assert retention.retain_until_date > datetime.now(UTC) + timedelta(days=365 * 29)

    # evidence of nothing, and no further change to it; each refusal leaves it as it was
    before = record(db, document_id)
    opened = suspension(gql, number, [kept, document_id])
    assert (opened["code"], opened["field"]) == ("DOCUMENT_WITHDRAWN", "evidence")
    assert db.students.find_one({"numbers": number}).get("open_business") is None
    correction = request_correction(gql, number, {"name": "王晓明"}, evidence=[document_id])
    assert (correction["code"], correction["field"]) == ("DOCUMENT_WITHDRAWN", "evidence")
    assert move(gql, document_id, "档案室 2 号柜")["code"] == "DOCUMENT_WITHDRAWN"
    assert withdraw(gql, document_id)["code"] == "DOCUMENT_WITHDRAWN"
    again = gql.http.post(
        "/uploads",
        params={"student": number, "kind": "HOUSEHOLD_REGISTER", "filename": "a.png", "replaces": document_id},
        content=b"\x89PNG", headers={"Authorization": f"Bearer {gql.token('weiwu.registrar')}", "Content-Type": "image/png"},
    )
    assert again.status_code == 422 and again.json()["error"]["code"] == "DOCUMENT_WITHDRAWN"
    assert record(db, document_id) == before


def test_only_the_registrar_of_the_dossier_school_withdraws_with_a_reason_and_refusals_change_nothing(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql)
    document_id = upload(gql, number, "HOUSEHOLD_REGISTER")
    before = record(db, document_id)
    refusals = [
        ("zhengzhou.archivist", REASON, "PERMISSION_DENIED", None),
        ("jinshui.dept", REASON, "PERMISSION_DENIED", None),
        ("henan.auditor", REASON, "READ_ONLY_ROLE", None),
        ("wenhua.registrar", REASON, "NOT_FOUND", "documentId"),
        ("admin", REASON, "NOT_FOUND", "documentId"),
        ("weiwu.registrar", "  \n ", "REASON_REQUIRED", "reason"),
        ("weiwu.registrar", "误传\u200b", "INVALID_VALUE", "reason"),
        ("weiwu.registrar", "误" * 2001, "INVALID_VALUE", "reason"),
    ]
    for as_, reason, code, field in refusals:
        result = withdraw(gql, document_id, as_=as_, reason=reason)
        assert (result.get("code"), result.get("field")) == (code, field), (as_, result)
        assert record(db, document_id) == before, as_
    assert withdraw(gql, "no-such-document")["code"] == "NOT_FOUND"
    outcomes = [e["outcome"] for e in db.audit_events.find({"action": "mutation:withdrawDocument", "target_id": document_id})]
    assert sorted(outcomes) == sorted(code for *_, code, _ in refusals)
    assert in_dossier(gql, number, "weiwu.registrar") == {document_id}


def test_a_registrar_of_the_school_without_training_is_refused(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql, "2141010502", as_="wenhua.registrar")
    document_id = upload(gql, number, "HOUSEHOLD_REGISTER", as_="wenhua.registrar")
    trainee = ensure_account(gql, "wenhua.trainee", "SCHOOL_REGISTRAR", "2141010502")  # no training recorded (Art. 22)
    before = record(db, document_id)
    assert withdraw(gql, document_id, as_=trainee)["code"] == "REGISTRAR_NOT_TRAINED"
    assert record(db, document_id) == before


def test_a_document_a_business_rests_on_stays_in_the_dossier(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql)
    # an applied correction rests on its household register (Art. 10)
    hukou = upload(gql, number, "HOUSEHOLD_REGISTER")
    cid = request_correction(gql, number, {"name": "王晓明"}, evidence=[hukou])["correction"]["id"]
    decide_correction(gql, cid, "weiwu.registrar")
    assert decide_correction(gql, cid, "jinshui.dept")["correction"]["state"] == "APPLIED"
    before = record(db, hukou)
    refused = withdraw(gql, hukou)
    assert refused["code"] == "CITED_AS_EVIDENCE" and cid in refused["message"]
    assert record(db, hukou) == before

    # an open case would go on without it: withdraw the case first, then the document
    application, certificate = upload(gql, number, "STATUS_APPLICATION"), upload(gql, number, "MEDICAL_CERTIFICATE")
    case_id = suspension(gql, number, [application, certificate])["case"]["id"]
    assert withdraw(gql, certificate)["code"] == "CITED_AS_EVIDENCE"
    gql('mutation($id: ID!) { withdrawCase(input: {id: $id, reason: "诊断证明传错学生"}) { __typename } }', {"id": case_id}, as_="weiwu.registrar")
    assert withdraw(gql, certificate)["__typename"] == "WithdrawDocumentSuccess"

    # a completed case rests on its evidence
    certificate = upload(gql, number, "MEDICAL_CERTIFICATE")
    case_id = suspension(gql, number, [application, certificate])["case"]["id"]
    decide(gql, case_id, "weiwu.registrar")
    assert decide(gql, case_id, "jinshui.dept")["case"]["state"] == "COMPLETED"
    for document_id in (application, certificate):
        assert withdraw(gql, document_id)["code"] == "CITED_AS_EVIDENCE"


def test_a_correction_is_not_approved_on_a_document_withdrawn_since_its_request(gql: GraphQLClient, settings: Settings, db: Any) -> None:
    number = enrol(gql)
    hukou = upload(gql, number, "HOUSEHOLD_REGISTER")
    cid = request_correction(gql, number, {"name": "王晓强"}, evidence=[hukou])["correction"]["id"]

    # the withdrawal that raced the request (checked before the request was stored) lands
    async def withdrawn_meanwhile() -> None:
        assert settings.mongodb_uri is not None
        client = connect(settings.mongodb_uri)
        try:
            documents = DocumentRepository(Collections.of(client[settings.mongodb_database]), TransitionLog(Collections.of(client[settings.mongodb_database])))
            document = await documents.get(hukou)
            assert document is not None
            after = replace(document, withdrawal=Withdrawal("weiwu.registrar", datetime.now(UTC), REASON))
            assert await documents.withdraw(document, after, Stamp("weiwu.registrar"))
        finally:
            await client.close()

    asyncio.run(withdrawn_meanwhile())
    refused = decide_correction(gql, cid, "weiwu.registrar")
    assert (refused["code"], refused["field"]) == ("DOCUMENT_WITHDRAWN", "evidence")
    assert db.corrections.find_one({"_id": cid})["state"] == "PENDING_SCHOOL"
    # rejecting it does not rest on the document: the school may still say no
    assert decide_correction(gql, cid, "weiwu.registrar", "REJECT", "户口簿传错学生")["correction"]["state"] == "REJECTED"
