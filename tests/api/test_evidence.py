"""The evidence archive on SeaweedFS (R-E1..E4): checks on the way in, write-once storage,
versions, legal holds and short audited download links."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from minio import Minio
from minio.error import S3Error
from PIL import Image

from api.app import s3_client
from api.settings import Settings
from scripts.init_cmd import s3_admin_client
from tests import scans
from tests.factories import ENROL, enrolment
from tests.support import ApiServer, GraphQLClient

DOC = """query($id: ID!, $original: Boolean! = false) { document(id: $id) {
  id kind retentionClass legalHold paperLocation
  current { version pages original { sha256 size contentType } rendition { sha256 contentType } lockUntil }
  versions { version original { sha256 } }
  downloadUrl(original: $original) { url filename sha256 expiresAt } } }"""


@pytest.fixture(scope="module")
def student(gql_module: GraphQLClient) -> str:
    number: str = gql_module(ENROL, {"input": enrolment()}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    return number


@pytest.fixture(scope="module")
def gql_module(api: ApiServer, settings: Settings) -> Iterator[GraphQLClient]:
    with httpx.Client(base_url=api.base_url, timeout=60) as http:
        yield GraphQLClient(http, settings)


@pytest.fixture(scope="module")
def s3(settings: Settings) -> Minio:
    return s3_client(settings)


def upload(
    gql: GraphQLClient,
    number: str,
    body: bytes,
    *,
    kind: str = "HOUSEHOLD_REGISTER",
    filename: str | None = "scan.jpg",
    content_type: str = "image/jpeg",
    as_: str = "weiwu.registrar",
    **params: str,
) -> httpx.Response:
    query = {"student": number, "kind": kind, **params}
    if filename:
        query["filename"] = filename
    return gql.http.post(
        "/uploads",
        params=query,
        content=body,
        headers={"Authorization": f"Bearer {gql.token(as_)}", "Content-Type": content_type},
    )


def _objects(s3: Minio, bucket: str) -> list[str]:
    return sorted(f"{o.object_name}@{o.version_id}" for o in s3.list_objects(bucket, prefix="evidence/", recursive=True, include_version=True))


def test_valid_scans_are_accepted(gql_module: GraphQLClient, student: str) -> None:
    cases = [
        (scans.jpeg(), "scan.jpg", "image/jpeg", "image/jpeg", 1),
        (scans.png(), "scan.png", "image/png", "image/png", 1),
        (scans.tiff(3), "scan.tif", "image/tiff", "image/png", 3),
        (scans.pdf(2), "scan.pdf", "application/pdf", None, 2),
    ]
    for body, name, declared, rendition, pages in cases:
        response = upload(gql_module, student, body, filename=name, content_type=declared)
        assert response.status_code == 201, response.text
        created = response.json()["document"]
        assert created["size"] == len(body) and created["pages"] == pages
        import hashlib

        assert created["sha256"] == hashlib.sha256(body).hexdigest()
        doc = gql_module(DOC, {"id": created["id"]}, as_="weiwu.registrar")["document"]
        assert doc["current"]["original"]["sha256"] == created["sha256"]
        assert (doc["current"]["rendition"] or {}).get("contentType") == rendition


@pytest.mark.parametrize(
    ("make", "filename", "declared", "status", "code"),
    [
        (scans.png, "scan.pdf", "application/pdf", 415, "NAME_TYPE_MISMATCH"),  # a PNG renamed .pdf
        (scans.jpeg, "scan.jpg", "application/pdf", 415, "DECLARED_TYPE_MISMATCH"),  # a JPEG declared as PDF
        (lambda: b"<!DOCTYPE html><html><body><script>x()</script></body></html>", "scan.jpg", "image/jpeg", 415, "TYPE_NOT_ALLOWED"),
        (lambda: scans.jpeg()[:3000], "scan.jpg", "image/jpeg", 422, "CORRUPT_IMAGE"),  # truncated
        (scans.bomb, "scan.png", "image/png", 422, "IMAGE_TOO_LARGE"),
        (lambda: scans.pdf(1, javascript=True), "scan.pdf", "application/pdf", 422, "PDF_ACTIVE_CONTENT"),
        (lambda: scans.pdf(1, javascript=True, hide_names=True), "scan.pdf", "application/pdf", 422, "PDF_ACTIVE_CONTENT"),
        (lambda: b"", "scan.jpg", "image/jpeg", 422, "EMPTY_FILE"),
        (scans.pdf_file_attachment, "scan.pdf", "application/pdf", 422, "PDF_ACTIVE_CONTENT"),
        (scans.pdf_action_chain, "scan.pdf", "application/pdf", 422, "PDF_ACTIVE_CONTENT"),
        (scans.pdf_object_stream_javascript, "scan.pdf", "application/pdf", 422, "PDF_ACTIVE_CONTENT"),
        (scans.pdf_incremental_javascript, "scan.pdf", "application/pdf", 422, "PDF_ACTIVE_CONTENT"),
        (lambda: scans.pdf_many_objects(150_000), "scan.pdf", "application/pdf", 422, "PDF_TOO_COMPLEX"),
        (lambda: scans.raw_pdf({}) + scans.zip_archive(), "scan.pdf", "application/pdf", 422, "PDF_TRAILING_DATA"),
    ],
    ids=[
        "png-named-pdf", "jpeg-declared-pdf", "html-named-jpg", "truncated-jpeg", "bomb", "pdf-javascript",
        "pdf-escaped-javascript", "empty", "pdf-annotation-attachment", "pdf-200-deep-next-chain-escaped",
        "pdf-object-stream-javascript", "pdf-incremental-update-javascript", "pdf-over-object-bound", "pdf-then-zip",
    ],
)
def test_bad_files_are_refused_with_their_code_and_leave_nothing(
    gql_module: GraphQLClient, student: str, db: Any, s3: Minio, settings: Settings, make: Any, filename: str, declared: str, status: int, code: str
) -> None:
    objects_before = _objects(s3, settings.s3_evidence_bucket)
    docs_before = db.documents.count_documents({})
    response = upload(gql_module, student, make(), filename=filename, content_type=declared)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert _objects(s3, settings.s3_evidence_bucket) == objects_before
    assert db.documents.count_documents({}) == docs_before


def test_over_size_is_refused_before_and_while_streaming(gql_module: GraphQLClient, student: str, db: Any, settings: Settings) -> None:
    docs_before = db.documents.count_documents({})
    too_big = b"\xff\xd8\xff" + b"\0" * settings.upload_max_bytes
    assert upload(gql_module, student, too_big).json()["error"]["code"] == "TOO_LARGE"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced on the stream
        yield b"\xff\xd8\xff\xe0"
        for _ in range(settings.upload_max_bytes // (1 << 20) + 2):
            yield b"\0" * (1 << 20)

    response = gql_module.http.post(
        "/uploads",
        params={"student": student, "kind": "HOUSEHOLD_REGISTER"},
        content=chunks(),
        headers={"Authorization": f"Bearer {gql_module.token('weiwu.registrar')}", "Content-Type": "image/jpeg"},
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "TOO_LARGE"
    assert db.documents.count_documents({}) == docs_before


def test_who_may_upload(gql_module: GraphQLClient, student: str) -> None:
    assert upload(gql_module, student, scans.png(), filename="a.png", content_type="image/png", as_="wenhua.registrar").json()["error"]["code"] == "NOT_FOUND"
    assert upload(gql_module, student, scans.png(), filename="a.png", content_type="image/png", as_="jinshui.dept").json()["error"]["code"] == "PERMISSION_DENIED"
    assert upload(gql_module, student, scans.png(), filename="a.png", content_type="image/png", kind="SELFIE").json()["error"]["code"] == "INVALID_KIND"
    assert gql_module.http.post("/uploads", params={"student": student, "kind": "HOUSEHOLD_REGISTER"}, content=scans.png()).status_code == 401


def test_rendition_has_no_exif_or_gps_and_is_upright_while_the_original_is_kept(
    gql_module: GraphQLClient, student: str
) -> None:
    body = scans.jpeg(size=(640, 480), gps=True, orientation=6)  # 6: rotate 90° to view
    created = upload(gql_module, student, body).json()["document"]
    doc = gql_module(DOC, {"id": created["id"]}, as_="weiwu.registrar")["document"]
    link = doc["downloadUrl"]
    fetched = httpx.get(link["url"])
    assert fetched.status_code == 200 and fetched.headers["content-disposition"].startswith("attachment")
    rendition = Image.open(io.BytesIO(fetched.content))
    assert rendition.size == (480, 640)  # orientation applied
    exif = rendition.getexif()
    assert scans.GPS_IFD not in exif and len(exif) == 0
    # the untouched original keeps its metadata, and only archivists download it
    refused = gql_module.errors(DOC, {"id": created["id"], "original": True}, as_="weiwu.registrar")
    assert refused[0]["extensions"]["code"] == "FORBIDDEN"
    original = gql_module(DOC, {"id": created["id"], "original": True}, as_="zhengzhou.archivist")["document"]["downloadUrl"]
    raw = httpx.get(original["url"]).content
    assert raw == body and scans.GPS_IFD in Image.open(io.BytesIO(raw)).getexif()


def test_download_links_are_scoped_audited_and_expire(
    gql_module: GraphQLClient, student: str, db: Any, settings: Settings
) -> None:
    created = upload(gql_module, student, scans.png(), filename="a.png", content_type="image/png").json()["document"]
    before = db.audit_events.count_documents({"action": "download:document", "target_id": created["id"]})
    link = gql_module(DOC, {"id": created["id"]}, as_="jinshui.dept")["document"]["downloadUrl"]
    assert "X-Amz-Expires=300" in link["url"]
    assert httpx.get(link["url"]).status_code == 200
    assert db.audit_events.count_documents({"action": "download:document", "target_id": created["id"]}) == before + 1
    for outsider in ("wenhua.registrar", "zhongyuan.dept", "luoyang.dept", "admin"):
        assert gql_module(DOC, {"id": created["id"]}, as_=outsider)["document"] is None
    # a short-lived deployment setting shows the store itself refuses an expired link
    short = ApiServer(settings.replace(download_link_seconds=1)).start(seed=False)
    try:
        with httpx.Client(base_url=short.base_url) as http:
            quick = GraphQLClient(http, settings)("query($id: ID!) { document(id: $id) { downloadUrl { url } } }", {"id": created["id"]}, as_="weiwu.registrar")
        url = quick["document"]["downloadUrl"]["url"]
        time.sleep(2.5)
        assert httpx.get(url).status_code == 403
    finally:
        short.stop()


def test_versions_are_kept_and_retained_objects_are_undeletable(
    gql_module: GraphQLClient, student: str, s3: Minio, settings: Settings, db: Any
) -> None:
    first = upload(gql_module, student, scans.pdf(1), filename="hukou.pdf", content_type="application/pdf").json()["document"]
    second = upload(gql_module, student, scans.pdf(2), filename="hukou.pdf", content_type="application/pdf", replaces=first["id"]).json()["document"]
    assert second["id"] == first["id"] and second["version"] == 2
    doc = gql_module(DOC, {"id": first["id"]}, as_="weiwu.registrar")["document"]
    assert [v["version"] for v in doc["versions"]] == [1, 2] and doc["current"]["pages"] == 2
    assert doc["retentionClass"] == "PERMANENT"
    old = gql_module("query($id: ID!) { document(id: $id) { downloadUrl(version: 1) { sha256 url } } }", {"id": first["id"]}, as_="jinshui.dept")
    assert httpx.get(old["document"]["downloadUrl"]["url"]).status_code == 200
    # the store itself refuses to delete a retained version, whoever asks
    stored = db.documents.find_one({"_id": first["id"]})
    for version in stored["versions"]:
        key, version_id = version["original"]["key"], version["original"]["version_id"]
        retention = s3.get_object_retention(settings.s3_evidence_bucket, key, version_id=version_id)
        assert retention is not None and retention.mode == "COMPLIANCE"
        with pytest.raises(S3Error) as refused:
            s3.remove_object(settings.s3_evidence_bucket, key, version_id=version_id)
        assert refused.value.code == "AccessDenied"
        s3.stat_object(settings.s3_evidence_bucket, key, version_id=version_id)  # still there
    # and the API has no operation that deletes evidence
    fields = gql_module('{ __type(name: "Mutation") { fields { name } } }', as_="admin")["__type"]["fields"]
    assert not [f["name"] for f in fields if "delete" in f["name"].lower() or "remove" in f["name"].lower()]


HOLD = """mutation($input: SetLegalHoldInput!) { setLegalHold(input: $input) {
  __typename ... on SetLegalHoldSuccess { document { legalHold } } ... on SetLegalHoldError { code } } }"""


def test_legal_hold_by_archivists_only_and_enforced_by_the_store(
    gql_module: GraphQLClient, student: str, s3: Minio, settings: Settings, db: Any
) -> None:
    created = upload(gql_module, student, scans.png(), kind="WORKING_COPY", filename="a.png", content_type="image/png").json()["document"]
    payload = {"documentId": created["id"], "hold": True, "reason": "区法院调取"}
    assert gql_module(HOLD, {"input": payload}, as_="jinshui.dept")["setLegalHold"]["code"] == "PERMISSION_DENIED"
    assert gql_module(HOLD, {"input": payload}, as_="zhengzhou.archivist")["setLegalHold"]["document"] == {"legalHold": True}
    version = db.documents.find_one({"_id": created["id"]})["versions"][0]
    key, vid = version["original"]["key"], version["original"]["version_id"]
    assert s3.is_object_legal_hold_enabled(settings.s3_evidence_bucket, key, version_id=vid)
    assert gql_module(HOLD, {"input": {**payload, "hold": False}}, as_="zhengzhou.archivist")["setLegalHold"]["document"] == {"legalHold": False}
    assert not s3.is_object_legal_hold_enabled(settings.s3_evidence_bucket, key, version_id=vid)
    # the store enforces holds on its own, even for the admin identity (the API's may not
    # delete at all): a scratch object without retention
    admin = s3_admin_client(settings)
    scratch = admin.put_object(settings.s3_evidence_bucket, "scratch/held", io.BytesIO(b"x"), 1)
    admin.enable_object_legal_hold(settings.s3_evidence_bucket, "scratch/held", version_id=scratch.version_id)
    with pytest.raises(S3Error):
        admin.remove_object(settings.s3_evidence_bucket, "scratch/held", version_id=scratch.version_id)
    admin.disable_object_legal_hold(settings.s3_evidence_bucket, "scratch/held", version_id=scratch.version_id)
    admin.remove_object(settings.s3_evidence_bucket, "scratch/held", version_id=scratch.version_id)


def test_uploads_are_audited(gql_module: GraphQLClient, student: str, db: Any) -> None:
    created = upload(gql_module, student, scans.png(), filename="a.png", content_type="image/png").json()["document"]
    event = db.audit_events.find_one({"action": "upload:document", "target_id": created["id"]})
    assert event["actor"] == "weiwu.registrar" and event["outcome"] == "ok" and event["details"]["sha256"] == created["sha256"]
    upload(gql_module, student, b"", filename="a.png", content_type="image/png")
    assert db.audit_events.find_one({"action": "upload:document", "outcome": "EMPTY_FILE"}) is not None


TRAILING = """query($id: ID!, $original: Boolean! = false) { document(id: $id) {
  current { trailingBytes original { sha256 size } rendition { contentType } }
  downloadUrl(original: $original) { url sha256 } } }"""


@pytest.mark.parametrize(
    ("image", "tail", "filename", "content_type"),
    [
        (lambda: scans.jpeg(orientation=1), scans.zip_archive, "scan.jpg", "image/jpeg"),  # lossless path
        (lambda: scans.jpeg(orientation=6), lambda: b"<?php system($_GET['c']); ?>", "scan.jpg", "image/jpeg"),  # re-encoded
        (lambda: scans.jpeg(orientation=1, gps=False), lambda: scans.raw_pdf({}), "scan.jpg", "image/jpeg"),
        (scans.png, scans.zip_archive, "scan.png", "image/png"),
    ],
    ids=["upright-jpeg-zip", "rotated-jpeg-php", "jpeg-pdf", "png-zip"],
)
def test_bytes_after_the_image_stay_in_the_original_and_never_reach_the_rendition(
    gql_module: GraphQLClient, student: str, image: Any, tail: Any, filename: str, content_type: str
) -> None:
    import hashlib
    import zipfile

    picture, appended = image(), tail()
    body = picture + appended
    response = upload(gql_module, student, body, filename=filename, content_type=content_type)
    assert response.status_code == 201, response.text
    created = response.json()["document"]
    assert created["trailingBytes"] == len(appended) and created["sha256"] == hashlib.sha256(body).hexdigest()
    doc = gql_module(TRAILING, {"id": created["id"]}, as_="weiwu.registrar")["document"]
    assert doc["current"]["trailingBytes"] == len(appended)
    served = httpx.get(doc["downloadUrl"]["url"])
    assert served.status_code == 200 and served.headers["content-type"] == content_type
    assert appended not in served.content and not zipfile.is_zipfile(io.BytesIO(served.content))
    assert b"<?php" not in served.content and b"%PDF" not in served.content
    with Image.open(io.BytesIO(served.content)) as img:
        img.load()
    # the original is the evidence, byte for byte, for archivists
    original = gql_module(TRAILING, {"id": created["id"], "original": True}, as_="zhengzhou.archivist")["document"]["downloadUrl"]
    assert httpx.get(original["url"]).content == body


def test_a_jpeg_that_is_also_html_or_pdf_is_served_as_the_image_alone(gql_module: GraphQLClient, student: str) -> None:
    for hidden in (b"<html><script>alert(document.cookie)</script></html>", b"%PDF-1.7\n"):
        body = scans.with_comment(scans.jpeg(orientation=1, gps=False), hidden) + scans.raw_pdf({})
        created = upload(gql_module, student, body).json()["document"]
        served = httpx.get(gql_module(TRAILING, {"id": created["id"]}, as_="weiwu.registrar")["document"]["downloadUrl"]["url"])
        assert hidden not in served.content and b"%PDF" not in served.content
        assert served.headers["content-type"] == "image/jpeg" and served.content.startswith(b"\xff\xd8")


def test_a_held_document_downloads_with_its_own_content_type(gql_module: GraphQLClient, student: str) -> None:
    created = upload(gql_module, student, scans.jpeg(orientation=1)).json()["document"]
    payload = {"documentId": created["id"], "hold": True, "reason": "区法院调取"}
    assert gql_module(HOLD, {"input": payload}, as_="zhengzhou.archivist")["setLegalHold"]["document"] == {"legalHold": True}
    for login, original in (("weiwu.registrar", False), ("zhengzhou.archivist", True)):
        link = gql_module(DOC, {"id": created["id"], "original": original}, as_=login)["document"]["downloadUrl"]
        fetched = httpx.get(link["url"])
        assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/jpeg"
        assert fetched.headers["content-disposition"].startswith("attachment")


def test_bombs_among_concurrent_uploads_are_all_refused(endpoints: Any) -> None:
    """16 uploads at once, half of them over the pixel limit in some page or header: every
    one of those is refused, every good one stored (the checks run in parallel processes)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.support import settings_for

    limited = ApiServer(settings_for(endpoints, upload_max_pixels=1_000_000, upload_check_workers=2)).start()
    try:
        with httpx.Client(base_url=limited.base_url, timeout=120, limits=httpx.Limits(max_connections=16)) as http:
            client = GraphQLClient(http, limited.settings)
            number = client(ENROL, {"input": enrolment()}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
            big_jpeg = io.BytesIO()
            Image.new("L", (1200, 1000)).save(big_jpeg, "JPEG")
            big_png = io.BytesIO()
            Image.new("1", (1100, 1000)).save(big_png, "PNG")
            bombs = [
                (scans.tiff_with_large_page((100, 100), (1100, 1000)), "b.tif", "image/tiff"),  # page 2 over the limit
                (scans.tiff_with_large_page((100, 100), (9000, 9000)), "b.tif", "image/tiff"),  # 81 megapixels on page 2
                (big_jpeg.getvalue(), "b.jpg", "image/jpeg"),
                (big_png.getvalue(), "b.png", "image/png"),
            ] * 2
            good = [
                (scans.tiff(2), "g.tif", "image/tiff"),
                (scans.jpeg(), "g.jpg", "image/jpeg"),
                (scans.png(), "g.png", "image/png"),
                (scans.pdf(1), "g.pdf", "application/pdf"),
            ] * 2
            work = [(f, True) for f in bombs] + [(f, False) for f in good]

            def send(item: tuple[tuple[bytes, str, str], bool]) -> tuple[bool, httpx.Response]:
                (body, name, declared), is_bomb = item
                return is_bomb, upload(client, number, body, filename=name, content_type=declared)

            for _ in range(3):
                with ThreadPoolExecutor(16) as pool:
                    results = list(pool.map(send, work))
                for is_bomb, response in results:
                    if is_bomb:
                        assert response.status_code == 422 and response.json()["error"]["code"] == "IMAGE_TOO_LARGE", response.text
                    else:
                        assert response.status_code == 201, response.text
    finally:
        limited.stop()


def test_refused_uploads_are_audited_under_the_school_the_uploader_may_see(
    gql_module: GraphQLClient, student: str, db: Any
) -> None:
    for login, area in (("jinshui.auditor", "410105"), ("zhengzhou.auditor", "410100")):
        db.accounts.update_one(
            {"_id": login},
            {"$setOnInsert": {"name": "审计员", "role": "AUDITOR", "scope_code": area, "trained_on": None, "disabled": False, "version": 1}},
            upsert=True,
        )
    assert upload(gql_module, student, b"", filename="a.png", content_type="image/png").json()["error"]["code"] == "EMPTY_FILE"
    hostile = scans.pdf_file_attachment()
    assert upload(gql_module, student, hostile, filename="a.pdf", content_type="application/pdf").json()["error"]["code"] == "PDF_ACTIVE_CONTENT"
    assert upload(gql_module, student, scans.png(), filename="a.png", content_type="image/png", as_="jinshui.dept").json()["error"]["code"] == "PERMISSION_DENIED"
    assert upload(gql_module, student, scans.png(), filename="a.png", content_type="image/png", as_="wenhua.registrar").json()["error"]["code"] == "NOT_FOUND"
    audit = """query($f: AuditEventFilter) { auditEvents(first: 50, filter: $f) { edges { node { actor action outcome schoolCode } } } }"""
    for auditor in ("jinshui.auditor", "zhengzhou.auditor"):
        nodes = [e["node"] for e in gql_module(audit, {"f": {"targetId": student}}, as_=auditor)["auditEvents"]["edges"]]
        refused = {(n["actor"], n["outcome"]) for n in nodes if n["action"] == "upload:document"}
        assert {("weiwu.registrar", "EMPTY_FILE"), ("weiwu.registrar", "PDF_ACTIVE_CONTENT"), ("jinshui.dept", "PERMISSION_DENIED")} <= refused
        assert all(n["schoolCode"] == "2141010501" for n in nodes if n["action"] == "upload:document")
        # the registrar of another school may not see the student: nothing ties its attempt to the school
        assert ("wenhua.registrar", "NOT_FOUND") not in refused
    probe = db.audit_events.find_one({"action": "upload:document", "actor": "wenhua.registrar", "target_id": student})
    assert probe is not None and probe["school_code"] is None
