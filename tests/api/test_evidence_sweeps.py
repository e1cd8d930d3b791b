"""Faults and sweeps of the evidence archive: a store that goes away, metadata that fails
after the bytes are stored, fixity audits that find damage and resume, retention renewal."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from api.app import s3_client
from api.settings import Settings
from domain.evidence import Document, DocumentState, DocumentVersion, EvidenceKind, StoredFile, object_key
from storage.documents import DocumentRepository
from storage.evidence_store import EvidenceArchive
from domain.ports import Stamp
from storage.mongo import Collections, connect
from storage.transitions import TransitionLog
from storage.sweeps import extend_retention, fixity, reconcile_pending
from tests import scans
from tests.factories import ENROL, enrolment
from tests.support import EXTERNAL, ApiServer, GraphQLClient, backing_services, settings_for

DOC = "query($id: ID!) { document(id: $id) { id current { version original { sha256 } } } }"


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


def _upload(gql: GraphQLClient, number: str, body: bytes) -> httpx.Response:
    return gql.http.post(
        "/uploads",
        params={"student": number, "kind": "HOUSEHOLD_REGISTER", "filename": "a.png"},
        content=body,
        headers={"Authorization": f"Bearer {gql.token('weiwu.registrar')}", "Content-Type": "image/png"},
    )


def test_metadata_failing_after_the_object_is_stored_leaves_nothing_visible_and_is_reconciled(
    gql: GraphQLClient, settings: Settings, db: Any
) -> None:
    number = gql(ENROL, {"input": enrolment()}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    dossier_id = db.students.find_one({"numbers": number})["_id"]
    body = scans.png()
    digest = hashlib.sha256(body).hexdigest()
    document_id = uuid.uuid4().hex
    key = object_key("2141010501", dossier_id, document_id, "original")
    now = datetime.now(UTC)
    pending = DocumentVersion(1, StoredFile(key, "", digest, len(body), "image/png"), None, 1, "a.png", "weiwu.registrar", now, now + timedelta(days=30), DocumentState.PENDING)

    async def stored_then_crash(collections: Collections, archive: EvidenceArchive) -> None:
        # the first two steps of an upload; the process dies before marking the version STORED
        document = Document(document_id, dossier_id, number, "2141010501", EvidenceKind.WORKING_COPY, "WORKING", None, None, None, False, (pending,), now - timedelta(hours=1))
        await DocumentRepository(collections, TransitionLog(collections)).insert_pending(document, Stamp("weiwu.registrar"))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "f"
            path.write_bytes(body)
            await archive.put_locked(key, path, len(body), "image/png", "GOVERNANCE", now + timedelta(days=30))

    _run(settings, stored_then_crash)
    assert gql(DOC, {"id": document_id}, as_="weiwu.registrar")["document"] is None  # never visible half-written
    listed = gql("query($n: String!) { documents(number: $n) { id } }", {"n": number}, as_="weiwu.registrar")["documents"]
    assert document_id not in [d["id"] for d in listed]
    completed, forgotten = _run(settings, lambda c, a: reconcile_pending(c, a, older_than=timedelta(0)))
    assert completed >= 1
    found = gql(DOC, {"id": document_id}, as_="weiwu.registrar")["document"]
    assert found["current"]["original"]["sha256"] == digest
    # a PENDING row whose bytes never arrived is forgotten
    ghost_id = uuid.uuid4().hex
    lost = replace(pending, original=replace(pending.original, key=object_key("2141010501", dossier_id, ghost_id, "original")))
    ghost = Document(ghost_id, dossier_id, number, "2141010501", EvidenceKind.WORKING_COPY, "WORKING", None, None, None, False, (lost,), now - timedelta(hours=1))
    _run(settings, lambda c, a: DocumentRepository(c, TransitionLog(c)).insert_pending(ghost, Stamp("weiwu.registrar")))
    _run(settings, lambda c, a: reconcile_pending(c, a, older_than=timedelta(0)))
    forgotten_doc = db.documents.find_one({"_id": ghost.id})
    assert forgotten_doc["versions"] == [] and forgotten_doc["stored"] is False  # the attempt stays in the log only
    assert gql(DOC, {"id": ghost.id}, as_="weiwu.registrar")["document"] is None


def test_fixity_finds_mismatches_and_missing_files_and_resumes(gql: GraphQLClient, settings: Settings, db: Any) -> None:
    number = gql(ENROL, {"input": enrolment()}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    ids = [_upload(gql, number, scans.png()).json()["document"]["id"] for _ in range(3)]
    first = _run(settings, lambda c, a: fixity(c, a, resume=False))
    assert first.finished_at is not None and first.mismatches == [] and first.missing == []
    assert first.checked >= 6  # three originals, three renditions at least
    # damage: a recorded hash that no longer matches, and a file the store no longer has
    db.documents.update_one({"_id": ids[0]}, {"$set": {"versions.0.original.sha256": "0" * 64}})
    db.documents.update_one({"_id": ids[1]}, {"$set": {"versions.0.original.version_id": "no-such-version"}})

    calls: list[str] = []

    def interrupt(line: str) -> None:
        calls.append(line)
        if len(calls) == 1:
            raise KeyboardInterrupt  # stopped after its first checkpoint

    with pytest.raises(KeyboardInterrupt):
        _run(settings, lambda c, a: fixity(c, a, resume=False, progress=interrupt))
    resumed = _run(settings, lambda c, a: fixity(c, a, resume=True, progress=calls.append))
    assert any("resuming" in line for line in calls)
    assert resumed.checked == first.checked  # every file once, none twice
    assert [m["documentId"] for m in resumed.mismatches] == [ids[0]]
    assert [m["documentId"] for m in resumed.missing] == [ids[1]]
    runs = gql("{ fixityRuns(first: 1) { checked mismatches missing finishedAt } }", as_="zhengzhou.archivist")["fixityRuns"]
    assert runs[0]["checked"] == resumed.checked and len(runs[0]["mismatches"]) == 1
    assert gql.errors("{ fixityRuns { checked } }", as_="weiwu.registrar")[0]["extensions"]["code"] == "FORBIDDEN"
    db.documents.update_many({"_id": {"$in": ids[:2]}}, {"$set": {"stored": False}})  # keep later runs clean


def test_permanent_locks_are_extended_before_they_run_low_and_only_once(gql: GraphQLClient, settings: Settings, db: Any) -> None:
    number = gql(ENROL, {"input": enrolment()}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    doc_id = _upload(gql, number, scans.png()).json()["document"]["id"]
    # as if thirty years had nearly passed: the recorded lock runs out within ten years
    later = datetime.now(UTC) + timedelta(days=365 * 21)
    extended = _run(settings, lambda c, a: extend_retention(c, a, now=later))
    assert extended >= 1
    version = db.documents.find_one({"_id": doc_id})["versions"][0]
    assert version["lock_until"] > later + timedelta(days=365 * 29)
    retention = s3_client(settings).get_object_retention(settings.s3_evidence_bucket, version["original"]["key"], version_id=version["original"]["version_id"])
    assert retention is not None and retention.retain_until_date is not None
    assert retention.retain_until_date > later + timedelta(days=365 * 29)
    assert _run(settings, lambda c, a: extend_retention(c, a, now=later)) == 0  # idempotent


@pytest.mark.skipif(EXTERNAL, reason="stops the S3 server")
def test_store_down_during_upload_is_a_clear_error_and_leaves_no_metadata(tmp_path: Path) -> None:
    with backing_services(tmp_path) as (endpoints, services):
        assert services is not None
        server = ApiServer(settings_for(endpoints)).start()
        try:
            with httpx.Client(base_url=server.base_url, timeout=60) as http:
                gql = GraphQLClient(http, server.settings)
                number = gql(ENROL, {"input": enrolment()}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
                services.stop_seaweedfs()
                response = _upload(gql, number, scans.png())
                assert response.status_code == 503
                assert response.json()["error"]["code"] == "STORE_UNAVAILABLE"
                assert server.settings.mongodb_uri is not None
                client: MongoClient[dict[str, Any]]
                with MongoClient(server.settings.mongodb_uri) as client:
                    documents: Any = client[server.settings.mongodb_database].documents
                    assert documents.count_documents({"stored": True}) == 0
                    assert documents.count_documents({"pending": True}) == 0  # nothing left to reconcile
                services.start_seaweedfs()
                assert _upload(gql, number, scans.png()).status_code == 201
        finally:
            server.stop()
