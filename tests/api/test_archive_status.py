"""The state of the archive for its archivists (R-E3, Art. 19): each stored object's last
fixity check, the last fixity run, uploads stuck in PENDING and objects that no metadata
names, counted for the archivist's area (the province's for a province archivist), from
what the sweeps recorded and one indexed count."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from api.app import s3_client
from api.settings import Settings
from domain.evidence import Document, DocumentState, DocumentVersion, EvidenceKind, FixityRun, StoredFile, object_key
from domain.ports import Stamp
from storage.documents import DocumentRepository
from storage.embedded import PROJECT_ROOT
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect
from storage.sweeps import fixity
from storage.transitions import TransitionLog
from tests.api.test_archive_lists import luoyang_archivist, province_archivist
from tests.api.test_cases import WEIWU, XIGUAN, enrol, upload
from tests.support import GraphQLClient

FIXITY = """query($id: ID!) { document(id: $id) { fixity { version part checkedAt result runId } } }"""
STATUS = """{ archiveStatus { stuckPendingDocuments stuckAfterMinutes orphanObjects
  lastFixityRun { id finishedAt checked } lastReconcileRun { id finishedAt completed forgotten objectsChecked orphans } } }"""


def _run(settings: Settings, work: Any) -> Any:
    async def go() -> Any:
        assert settings.mongodb_uri is not None
        client = connect(settings.mongodb_uri)
        try:
            collections = Collections.of(client[settings.mongodb_database])
            return await work(collections, EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket))
        finally:
            await client.close()

    return asyncio.run(go())


def status(gql: GraphQLClient, as_: str) -> dict[str, Any]:
    result: dict[str, Any] = gql(STATUS, as_=as_)["archiveStatus"]
    return result


def reconcile_command(settings: Settings) -> subprocess.CompletedProcess[str]:
    """`scripts/evidence reconcile` as a process against the test deployment."""
    assert settings.mongodb_uri is not None and settings.s3_endpoint is not None and settings.s3_secret_key is not None
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "APP_ENV": "test",
        "JWT_SECRET": "unused-by-these-commands-" + "x" * 20,
        "MONGODB_URI": settings.mongodb_uri,
        "MONGODB_DATABASE": settings.mongodb_database,
        "S3_ENDPOINT": settings.s3_endpoint,
        "S3_ACCESS_KEY": settings.s3_access_key or "",
        "S3_SECRET_KEY": settings.s3_secret_key.get_secret_value(),
        "S3_SECURE": "true" if settings.s3_secure else "false",
        "S3_EVIDENCE_BUCKET": settings.s3_evidence_bucket,
    }
    return subprocess.run(
        [sys.executable, "-m", "scripts.evidence_cmd", "reconcile"], cwd=PROJECT_ROOT, env=environment,
        capture_output=True, text=True, timeout=300,
    )


def test_each_stored_object_shows_its_last_fixity_check_to_archivists_and_auditors(gql: GraphQLClient, settings: Settings, db: Any) -> None:
    number = enrol(gql)
    document_id = upload(gql, number, "HOUSEHOLD_REGISTER")  # an image: original and rendition
    unchecked = gql(FIXITY, {"id": document_id}, as_="zhengzhou.archivist")["document"]["fixity"]
    assert unchecked == [
        {"version": 1, "part": "ORIGINAL", "checkedAt": None, "result": None, "runId": None},
        {"version": 1, "part": "RENDITION", "checkedAt": None, "result": None, "runId": None},
    ]
    run: FixityRun = _run(settings, lambda c, a: fixity(c, a, resume=False))
    checked = gql(FIXITY, {"id": document_id}, as_="henan.auditor")["document"]["fixity"]
    assert [(f["part"], f["result"], f["runId"]) for f in checked] == [("ORIGINAL", "OK", run.id), ("RENDITION", "OK", run.id)]
    assert all(datetime.fromisoformat(f["checkedAt"]) >= run.started_at for f in checked)
    last = status(gql, "zhengzhou.archivist")["lastFixityRun"]
    assert (last["id"], last["checked"]) == (run.id, run.checked) and last["finishedAt"] is not None

    # the rendition's bytes no longer match what was recorded: the next run says so for this object only
    recorded = db.documents.find_one({"_id": document_id})["versions"][0]["rendition"]["sha256"]
    db.documents.update_one({"_id": document_id}, {"$set": {"versions.0.rendition.sha256": "0" * 64}})
    try:
        again: FixityRun = _run(settings, lambda c, a: fixity(c, a, resume=False))
    finally:
        db.documents.update_one({"_id": document_id}, {"$set": {"versions.0.rendition.sha256": recorded}})
    found = gql(FIXITY, {"id": document_id}, as_="zhengzhou.archivist")["document"]["fixity"]
    assert [(f["part"], f["result"], f["runId"]) for f in found] == [("ORIGINAL", "OK", again.id), ("RENDITION", "MISMATCH", again.id)]

    # the registrar and the department see the document, not the archive's checks of it
    for role in ("weiwu.registrar", "jinshui.dept"):
        assert gql(FIXITY, {"id": document_id}, as_=role)["document"] == {"fixity": None}, role


def test_stuck_uploads_and_objects_without_metadata_are_counted_for_each_area(gql: GraphQLClient, settings: Settings, db: Any) -> None:
    luoyang, province = luoyang_archivist(gql), province_archivist(gql)
    areas = ("zhengzhou.archivist", luoyang, province, "henan.auditor")
    for role in ("weiwu.registrar", "jinshui.dept", "henan.dept", "admin"):
        assert gql.errors(STATUS, as_=role)[0]["extensions"]["code"] == "FORBIDDEN", role

    # an upload whose metadata was written an hour ago and whose object never arrived: stuck
    before = {who: status(gql, who) for who in areas}
    assert before["zhengzhou.archivist"]["stuckAfterMinutes"] == 15
    number = enrol(gql)
    dossier_id = db.students.find_one({"numbers": number})["_id"]
    now = datetime.now(UTC)

    def pending(age: timedelta) -> Document:
        document_id = uuid.uuid4().hex
        key = object_key(WEIWU, dossier_id, document_id, "original")
        version = DocumentVersion(1, StoredFile(key, "", "0" * 64, 1, "image/png"), None, 1, "a.png", "weiwu.registrar",
                                  now - age, now + timedelta(days=30), DocumentState.PENDING)
        return Document(document_id, dossier_id, number, WEIWU, EvidenceKind.WORKING_COPY, "WORKING", None, None, None, False,
                        (version,), now - age)

    stuck, fresh = pending(timedelta(hours=1)), pending(timedelta(minutes=1))
    for document in (stuck, fresh):
        _run(settings, lambda c, a, d=document: DocumentRepository(c, TransitionLog(c)).insert_pending(d, Stamp("weiwu.registrar")))
    after = {who: status(gql, who) for who in areas}
    for who, grows in (("zhengzhou.archivist", 1), (luoyang, 0), (province, 1), ("henan.auditor", 1)):
        assert after[who]["stuckPendingDocuments"] == before[who]["stuckPendingDocuments"] + grows, who

    # objects no metadata names: a key of no document (Zhengzhou), one of another area's school
    # (Luoyang), and a second version under the key of a stored document (Zhengzhou)
    s3 = s3_client(settings)
    bucket = settings.s3_evidence_bucket
    listed = upload(gql, number, "HOUSEHOLD_REGISTER")
    listed_key = db.documents.find_one({"_id": listed})["versions"][0]["original"]["key"]
    first = reconcile_command(settings)
    baseline = {who: status(gql, who) for who in areas}
    strays = [object_key(WEIWU, dossier_id, uuid.uuid4().hex, "original"), object_key(XIGUAN, "x", uuid.uuid4().hex, "original"), listed_key]
    for key in strays:
        s3.put_object(bucket, key, io.BytesIO(b"stray"), 5)
    second = reconcile_command(settings)
    assert second.returncode == 1, second  # objects without metadata need an archivist's attention
    assert all(key in second.stdout for key in strays)
    now_status = {who: status(gql, who) for who in areas}
    for who, grows in (("zhengzhou.archivist", 2), (luoyang, 1), (province, 3), ("henan.auditor", 3)):
        assert now_status[who]["orphanObjects"] == baseline[who]["orphanObjects"] + grows, who
    run = now_status["zhengzhou.archivist"]["lastReconcileRun"]
    assert run["id"] != baseline["zhengzhou.archivist"]["lastReconcileRun"]["id"] and run["finishedAt"] is not None
    assert run["orphans"] == baseline["zhengzhou.archivist"]["lastReconcileRun"]["orphans"] + 3
    recorded = list(db.evidence_orphans.find({"run_id": run["id"]}))
    assert set(strays) <= {d["key"] for d in recorded}
    own_version = db.documents.find_one({"_id": listed})["versions"][0]["original"]["version_id"]
    assert [d["version_id"] != own_version for d in recorded if d["key"] == listed_key] == [True]  # the stray, not its own

    # the first reconcile forgot the stuck upload (its bytes never came) and left the fresh one
    for who in areas:
        assert now_status[who]["stuckPendingDocuments"] == before[who]["stuckPendingDocuments"], who
    assert db.documents.find_one({"_id": stuck.id})["pending"] is False
    assert db.documents.find_one({"_id": fresh.id})["pending"] is True
    assert gql("query($id: ID!) { document(id: $id) { id } }", {"id": listed}, as_="weiwu.registrar")["document"] == {"id": listed}
