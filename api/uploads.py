"""POST /uploads: a scan streamed into the evidence archive in one authenticated request.

The body is the raw file (`Content-Type` is the declared type); where it goes is in the
query: `student` (number) — or `exportRequest` (an export request's id, for its written
approval, kind APPROVAL_LETTER, Art. 24) —, `kind`, and optionally `filename`, `paperLocation`,
`businessKind`, `businessId`, `replaces` (a document id, for a new version). The body is
spooled to a temporary file while its SHA-256 is computed, never held whole in memory;
nothing reaches the store or the database before every check has passed. Answers 201
with the stored document, or an error `{"error": {"code", "field", "message"}}` whose
codes are the `UploadErrorCode` enum of the GraphQL schema."""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import Authenticator
from api.settings import Settings
from domain.errors import DomainError
from domain.ports import ConcurrentWrite
from domain.evidence import UploadLimits
from application.session import Stores
from schema.context import Context
from application import documents as usecases
from application import exports
from storage.check_pool import ScanCheckPool
from storage.scan_checks import check_type, refuse, sniff

log = structlog.get_logger("uploads")
HEAD_BYTES = 8192
STATUS = {
    "NOT_FOUND": 404,
    "PERMISSION_DENIED": 403,
    "READ_ONLY_ROLE": 403,
    "REGISTRAR_NOT_TRAINED": 403,
    "ACCOUNT_DISABLED": 403,
    "TOO_LARGE": 413,
    "TYPE_NOT_ALLOWED": 415,
    "DECLARED_TYPE_MISMATCH": 415,
    "NAME_TYPE_MISMATCH": 415,
    "STORE_UNAVAILABLE": 503,
    "CONFLICT": 409,
}


def error_response(error: DomainError) -> Response:
    body = {"error": {"code": error.code, "field": error.field, "message": error.message}}
    return JSONResponse(body, status_code=STATUS.get(error.code, 422))


def upload_endpoint(settings: Settings, stores: Callable[[], Stores], checks: ScanCheckPool) -> Callable[[Request], object]:
    limits = UploadLimits(settings.upload_max_bytes, settings.upload_max_pixels, settings.upload_max_pages)
    authenticate = Authenticator(settings)

    async def upload(request: Request) -> Response:
        actor = await authenticate.caller(request, stores().accounts)
        if isinstance(actor, Response):
            return actor
        ctx = Context.of(request, Response(), actor, stores(), page_size_max=settings.page_size_max)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        q = request.query_params
        for name, value in q.items():
            if "\x00" in value:  # never stored, and PostgreSQL refuses it even in a filter
                return error_response(DomainError(name, "text cannot contain the NUL character (U+0000)", "INVALID_VALUE"))
        filename = q.get("filename") or None
        export_request = q.get("exportRequest")
        target_id = q.get("student", "") if export_request is None else export_request
        target: usecases.UploadTarget | None = None
        try:
            if export_request is not None:  # the written approval of an export request (Art. 24)
                target = await exports.authorise_export_upload(ctx, export_request, q.get("kind", ""), filename)
            else:
                target = await usecases.authorise_upload(
                    ctx,
                    number=target_id,
                    kind=q.get("kind", ""),
                    filename=filename,
                    paper_location=q.get("paperLocation") or None,
                    business_kind=q.get("businessKind") or None,
                    business_id=q.get("businessId") or None,
                    replaces=q.get("replaces") or None,
                )
            timings["authorise"] = time.perf_counter() - started
            declared_length = request.headers.get("content-length")
            if declared_length and declared_length.isdigit() and int(declared_length) > limits.max_bytes:
                raise refuse("TOO_LARGE", f"at most {limits.max_bytes} bytes")
            with tempfile.TemporaryDirectory(prefix="xueji-upload-", dir=settings.upload_spool_dir) as tmp:
                workdir = Path(tmp)
                checked = await _receive_and_check(request, workdir, filename, limits, checks, timings)
                try:
                    document, version = await usecases.store(ctx, target, checked, timings)
                except ConcurrentWrite as race:
                    raise DomainError("replaces", "the document was changed meanwhile; try again", "CONFLICT") from race
        except DomainError as e:
            if export_request is not None:
                await ctx.audit("upload:document", "export_request", target_id[:200], e.code, details={"field": e.field})
                log.info("upload refused", code=e.code, export_request=target_id[:200])
                return error_response(e)
            # Under the student's school, so that the auditors of its county and city see it,
            # when the uploader may see the student; never a school the uploader may not see.
            school = target.school_code if target else await usecases.visible_school_of(ctx, target_id)
            await ctx.audit("upload:document", "student", target_id, e.code, school_code=school, details={"field": e.field})
            log.info("upload refused", code=e.code, student=target_id)
            return error_response(e)
        if export_request is not None:
            await exports.attach(ctx, export_request, document.id)
        clock = time.perf_counter()
        await ctx.audit(
            "upload:document",
            "document",
            document.id,
            school_code=document.school_code,
            details={
                "number": document.number,
                "version": version.version,
                "sha256": version.original.sha256,
                "trailing_bytes": version.trailing_bytes,
            },
        )
        timings["audit"] = time.perf_counter() - clock
        return JSONResponse(
            {
                "document": {
                    "id": document.id,
                    "kind": document.kind.value,
                    "version": version.version,
                    "sha256": version.original.sha256,
                    "size": version.original.size,
                    "contentType": version.original.content_type,
                    "pages": version.pages,
                    "renditionSha256": version.rendition.sha256 if version.rendition else None,
                    "trailingBytes": version.trailing_bytes,
                    "lockUntil": version.lock_until.isoformat(),
                }
            },
            status_code=201,
            headers={"Server-Timing": ", ".join(f"{k};dur={v * 1000:.1f}" for k, v in timings.items())},
        )

    return upload


async def _receive_and_check(
    request: Request,
    workdir: Path,
    filename: str | None,
    limits: UploadLimits,
    checks: ScanCheckPool,
    timings: dict[str, float],
) -> usecases.CheckedFile:
    started = time.perf_counter()
    path = workdir / "original"
    digest = hashlib.sha256()
    size = 0
    head = bytearray()
    with open(path, "wb") as out:
        async for chunk in request.stream():
            if not chunk:
                continue
            size += len(chunk)
            if size > limits.max_bytes:
                raise refuse("TOO_LARGE", f"at most {limits.max_bytes} bytes")
            digest.update(chunk)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            out.write(chunk)
    if size == 0:
        raise refuse("EMPTY_FILE", "the file is empty")
    timings["receive"] = time.perf_counter() - started
    started = time.perf_counter()
    real = sniff(bytes(head))
    check_type(real, filename, request.headers.get("content-type"))
    found = await checks.inspect(path, real, limits, workdir)
    timings["check"] = time.perf_counter() - started
    timings["check-worker"] = found.seconds  # of which checking; the rest is queueing and transfer
    r = found.rendition
    return usecases.CheckedFile(
        path=path,
        sha256=digest.hexdigest(),
        size=size,
        content_type=real,
        pages=found.pages,
        rendition_path=r.path if r else None,
        rendition_sha256=r.sha256 if r else None,
        rendition_size=r.size if r else None,
        rendition_type=r.content_type if r else None,
        trailing_bytes=found.trailing_bytes,
    )
