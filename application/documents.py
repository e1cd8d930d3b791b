"""Evidence: storing a checked upload under lock, versions, legal holds, download links,
the paper file a scan mirrors (Art. 9).

Order of writes (no transactions): the metadata is written first as PENDING (never
shown), then the bytes go to the store under retention, then the version is marked
STORED. A failure before the object exists removes the PENDING row; a failure after it
leaves a PENDING row that `reconcile_pending` completes by re-reading the object, so
nothing is lost and nothing half-written is ever visible."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from domain import access
from domain.access import ROLE_CODES, WRITER_CODES
from domain.error_codes import declared
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.evidence import (
    EVIDENCE_ROLE_CODES,
    RETENTION_BY_KIND,
    Document,
    DocumentState,
    DocumentVersion,
    EvidenceKind,
    StoredFile,
    lock_until,
    may_download_original,
    may_see_withdrawn,
    object_key,
    require_archivist,
    require_uploader,
)
from domain.jurisdiction import School
from domain.ports import StudentRow
from domain.student_number import normalise_number
from domain.text import MULTI_LINE, TEXT_CODES, optional_text, required_text
from domain.withdrawal import USABLE_CODES, require_usable
from domain.workflows.engine import CaseState, Party, acts_as
from application.session import Session
from application import students as students


FILENAME_MAX = 255


class StoreUnavailable(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(None, message, "STORE_UNAVAILABLE")


@dataclass(frozen=True)
class UploadTarget:
    """Where an upload goes, decided (and authorised) before its body is read."""

    number: str
    dossier_id: str
    school_code: str
    kind: EvidenceKind
    replaces: Document | None
    filename: str | None
    paper_location: str | None
    business_kind: str | None
    business_id: str | None


AUTHORISE_UPLOAD_CODES = declared(
    *WRITER_CODES, "INVALID_KIND", *EVIDENCE_ROLE_CODES, "NOT_FOUND", *students.LOOKUP_CODES, *TEXT_CODES, *USABLE_CODES
)


async def authorise_upload(
    ctx: Session,
    *,
    number: str,
    kind: str,
    filename: str | None,
    paper_location: str | None,
    business_kind: str | None,
    business_id: str | None,
    replaces: str | None,
) -> UploadTarget:
    access.require_writer(ctx.account)
    try:
        evidence_kind = EvidenceKind(kind)
    except ValueError:
        raise DomainError("kind", f"unknown evidence kind {kind!r}", "INVALID_KIND") from None
    if business_kind == "case" and business_id:
        # A school that is a party to an open case of this student (the receiving school of a
        # transfer) uploads that case's evidence although the student is not yet its own;
        # new documents only: it never adds versions to the holding school's evidence.
        row, school = await _case_party_upload(ctx, number, business_id)
        if replaces and not (ctx.account.role.value == "SCHOOL_REGISTRAR" and ctx.account.scope_code == school.code):
            raise PermissionDenied("only the student's school adds versions to its documents")
    else:
        row, school = await students.student_in_scope(ctx, number)
        require_uploader(ctx.account, school.code)
    previous = None
    if replaces:
        previous = await ctx.stores.documents.get(replaces)
        if previous is None or previous.dossier_id != row.dossier.id:
            raise NotFound("replaces", "document")
        require_usable(previous, "replaces")  # a withdrawn document takes no new version
        if previous.kind is not evidence_kind:
            raise DomainError("kind", "a new version keeps the kind of the document it replaces", "INVALID_KIND")
    paper_location = optional_text("paperLocation", paper_location)
    filename = optional_text("filename", filename, max_length=FILENAME_MAX)
    return UploadTarget(
        number=row.dossier.number,
        dossier_id=row.dossier.id,
        school_code=school.code,
        kind=evidence_kind,
        replaces=previous,
        filename=filename,
        paper_location=paper_location,
        business_kind=business_kind,
        business_id=business_id,
    )


async def _case_party_upload(ctx: Session, number: str, case_id: str) -> tuple[StudentRow, School]:
    case = await ctx.stores.cases.get(case_id)
    row = await ctx.stores.students.by_number(normalise_number(number), None)
    if case is None or row is None or case.dossier_id != row.dossier.id or case.state is not CaseState.OPEN:
        raise NotFound("businessId", "open case of this student")
    school_parties = (Party.STUDENT_SCHOOL, Party.TARGET_SCHOOL)
    if not any(acts_as(ctx.account, p, case.parties) for p in school_parties):
        raise PermissionDenied("only a school that is a party to the case uploads its evidence")
    school = await ctx.loaders.school.load(row.dossier.status.school_code)
    assert school is not None
    return row, school


async def visible_school_of(ctx: Session, number: str) -> str | None:
    """The school of a student the caller may see, for auditing a refused upload; None
    when the number is unknown or outside the caller's scope (nothing is revealed)."""
    try:
        _, school = await students.student_in_scope(ctx, number)
    except DomainError:
        return None
    return school.code


@dataclass(frozen=True)
class CheckedFile:
    path: Path
    sha256: str
    size: int
    content_type: str
    pages: int
    rendition_path: Path | None
    rendition_sha256: str | None
    rendition_size: int | None
    rendition_type: str | None
    trailing_bytes: int = 0


STORE_CODES = declared("CONFLICT", "STORE_UNAVAILABLE")  # `store`


async def store(
    ctx: Session, target: UploadTarget, checked: CheckedFile, timings: dict[str, float] | None = None
) -> tuple[Document, DocumentVersion]:
    """Write metadata PENDING, the bytes under lock, then mark STORED. `timings` (if given)
    receives the seconds spent in the object store and in the metadata writes."""
    clock = time.perf_counter()
    timings = {} if timings is None else timings
    now = datetime.now(UTC)
    document_id = target.replaces.id if target.replaces else uuid.uuid4().hex
    version_no = (max(v.version for v in target.replaces.versions) + 1) if target.replaces else 1
    retention = RETENTION_BY_KIND[target.kind]
    until = lock_until(target.kind, now)
    original_key = object_key(target.school_code, target.dossier_id, document_id, "original")
    rendition_key = object_key(target.school_code, target.dossier_id, document_id, "rendition")
    pending = DocumentVersion(
        version=version_no,
        original=StoredFile(original_key, "", checked.sha256, checked.size, checked.content_type),
        rendition=None
        if checked.rendition_path is None
        else StoredFile(rendition_key, "", checked.rendition_sha256 or "", checked.rendition_size or 0, checked.rendition_type or ""),
        pages=checked.pages,
        filename=target.filename,
        uploaded_by=ctx.account.login,
        uploaded_at=now,
        lock_until=until,
        state=DocumentState.PENDING,
        trailing_bytes=checked.trailing_bytes,
    )
    if target.replaces is None:
        document = Document(
            id=document_id,
            dossier_id=target.dossier_id,
            number=target.number,
            school_code=target.school_code,
            kind=target.kind,
            retention_class=retention.name,
            business_kind=target.business_kind,
            business_id=target.business_id,
            paper_location=target.paper_location,
            legal_hold=False,
            versions=(pending,),
            created_at=now,
        )
        if not await ctx.stores.documents.insert_pending(document, ctx.stamp()):
            raise DomainError(None, "the document was created meanwhile; try again", "CONFLICT")
    else:
        # The version number is claimed here, before any byte reaches the locked store: of
        # two new versions at once, one gets the number and the other a conflict.
        document = target.replaces
        if not await ctx.stores.documents.add_pending_version(document, pending, ctx.stamp()):
            raise DomainError("replaces", "the document changed meanwhile; try again", "CONFLICT")
    archive = ctx.stores.archive
    timings["meta"] = time.perf_counter() - clock
    clock = time.perf_counter()
    try:
        puts = [archive.put_locked(original_key, checked.path, checked.size, checked.content_type, retention.mode.value, until)]
        if checked.rendition_path is not None and pending.rendition is not None:
            r = pending.rendition
            puts.append(archive.put_locked(rendition_key, checked.rendition_path, r.size, r.content_type, retention.mode.value, until))
        written = await asyncio.gather(*puts)  # both objects at once
        original, rendition = written[0], (written[1] if len(written) > 1 else None)
    except Exception as e:  # noqa: BLE001 - any store failure: the PENDING row must go
        await ctx.stores.documents.drop_pending(document_id, version_no, ctx.stamp())
        raise StoreUnavailable(f"the evidence store did not take the file ({type(e).__name__}); nothing was kept") from e
    timings["put"] = time.perf_counter() - clock
    clock = time.perf_counter()
    stored_original = StoredFile(original.key, original.version_id, checked.sha256, checked.size, checked.content_type)
    stored_rendition = (
        None
        if rendition is None or pending.rendition is None
        else StoredFile(rendition.key, rendition.version_id, pending.rendition.sha256, pending.rendition.size, pending.rendition.content_type)
    )
    await ctx.stores.documents.mark_stored(document_id, version_no, stored_original, stored_rendition, ctx.stamp())
    if document.legal_hold:  # a held document's new version is held too
        for held in (original, rendition):
            if held is not None:
                await archive.set_legal_hold(held.key, held.version_id, True)
    current = replace(pending, original=stored_original, rendition=stored_rendition, state=DocumentState.STORED)
    earlier = tuple(v for v in document.versions if v.version != version_no)
    timings["meta"] += time.perf_counter() - clock
    return replace(document, versions=(*earlier, current)), current


DOCUMENT_LOOKUP_CODES = declared("NOT_FOUND")  # `document_in_scope`, `document_and_student`


async def document_and_student(ctx: Session, document_id: str, *, withdrawn_too: bool = False) -> tuple[Document, StudentRow]:
    """A document and its student, if the caller may see the student now (R-E4):
    visibility follows the dossier (its current school, and the schools keeping a read-only
    copy), not the school that happened to upload it. A withdrawn document is out of the
    dossier: only archivists and auditors see it, unless `withdrawn_too` (a change to it is
    then refused with its own code)."""
    found = await ctx.stores.documents.get(document_id)
    if found is None or (found.withdrawal is not None and not (withdrawn_too or may_see_withdrawn(ctx.account))):
        raise NotFound("documentId", "document")
    row = await ctx.stores.students.by_number(found.number, ctx.student_scope_key)
    if row is None:
        raise NotFound("documentId", "document")
    return found, row


async def document_in_scope(ctx: Session, document_id: str, *, withdrawn_too: bool = False) -> Document:
    document, _ = await document_and_student(ctx, document_id, withdrawn_too=withdrawn_too)
    return document


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime
    filename: str
    sha256: str


async def download_link(ctx: Session, document: Document, version: int | None, original: bool) -> DownloadLink:
    chosen = document.current if version is None else next((v for v in document.versions if v.version == version), None)
    if chosen is None or chosen.state is not DocumentState.STORED:
        raise NotFound("version", "document version")
    if original and not may_download_original(ctx.account):
        raise PermissionDenied("the untouched original is for archivists; download the rendition")
    target = chosen.original if (original or chosen.rendition is None) else chosen.rendition
    ext = {"image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif", "application/pdf": ".pdf"}[target.content_type]
    filename = f"{document.number}-{document.kind.value.lower()}-v{chosen.version}{'-original' if original else ''}{ext}"
    url, expires_at = ctx.stores.archive.presigned_download(target.key, target.version_id, filename, target.content_type)
    await ctx.audit(
        "download:document",
        "document",
        document.id,
        school_code=document.school_code,
        details={"version": chosen.version, "original": original, "number": document.number},
    )
    return DownloadLink(url, expires_at, filename, target.sha256)


SET_LEGAL_HOLD_CODES = declared(*WRITER_CODES, *EVIDENCE_ROLE_CODES, "NOT_FOUND", "REASON_REQUIRED")


async def set_legal_hold(ctx: Session, document_id: str, hold: bool, reason: str) -> Document:
    access.require_writer(ctx.account)
    require_archivist(ctx.account)
    document = await document_in_scope(ctx, document_id, withdrawn_too=True)  # a withdrawn scan can be held too
    if not reason.strip():
        raise DomainError("reason", "say why the hold is set or released", "REASON_REQUIRED")
    for v in document.versions:
        if v.state is DocumentState.STORED:
            await ctx.stores.archive.set_legal_hold(v.original.key, v.original.version_id, hold)
            if v.rendition is not None:
                await ctx.stores.archive.set_legal_hold(v.rendition.key, v.rendition.version_id, hold)
    await ctx.stores.documents.set_legal_hold(document.id, hold, ctx.stamp())
    updated = await ctx.stores.documents.get(document.id)
    assert updated is not None
    return updated


UPDATE_PAPER_LOCATION_CODES = declared(
    *DOCUMENT_LOOKUP_CODES, *ROLE_CODES, *USABLE_CODES, *TEXT_CODES, "NOTHING_TO_CHANGE"
)


@dataclass(frozen=True)
class PaperMove:
    document: Document
    before: str | None
    school_code: str
    reason: str | None


async def update_paper_location(ctx: Session, document_id: str, location: str, reason: str | None) -> PaperMove:
    """Art. 9: the paper archive is in the charge of the school's registrar (纸质档案由学校学籍
    管理员负责管理), so the registrar of the school that holds the dossier now records where
    the paper file a scan mirrors has moved. Each move is a new version of the document,
    with the old and new location and the reason in its history."""
    document, row = await document_and_student(ctx, document_id, withdrawn_too=True)
    school = await ctx.loaders.school.load(row.dossier.status.school_code)
    assert school is not None
    access.require_school_registrar(ctx.account, school)
    require_usable(document, "documentId")
    location = required_text("paperLocation", location, message="say where the paper file is now")
    reason = optional_text("reason", reason, max_length=MULTI_LINE, multi_line=True)
    if location == document.paper_location:
        raise DomainError("paperLocation", "the paper file is recorded at this location already", "NOTHING_TO_CHANGE")
    moved = await ctx.stores.documents.set_paper_location(document.id, location, reason, ctx.stamp())
    if moved is None:
        raise NotFound("documentId", "document")
    before, updated = moved
    require_usable(updated, "documentId")  # withdrawn meanwhile: nothing was changed
    return PaperMove(updated, before, school.code, reason)
