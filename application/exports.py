"""Exports only with written approval (Art. 24, R-A6): request, attach the approval
document, decide, then download through a short-lived link that works for the requester
only. Every download is audited with what it carried."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from domain import exports as rules
from domain.access import area_field
from domain.dossier import StudentState
from domain.error_codes import declared
from domain.errors import DomainError, NotFound
from domain.evidence import EvidenceKind
from domain.exports import ExportField, ExportFormat, ExportLink, ExportRequest, ExportScope, ExportState
from domain.jurisdiction import AreaLevel, School, area_level, validate_area_code
from domain.accounts import Role
from domain.ports import Page, StudentFilter
from domain.text import MULTI_LINE, TEXT_CODES, optional_text, required_text
from application import students
from application.documents import FILENAME_MAX, UploadTarget
from application.session import Session

PAGE = 500  # dossiers read per query while an export is written

LOOKUP_CODES = declared("NOT_FOUND")  # `export_in_scope`


async def export_in_scope(ctx: Session, request_id: str, field: str = "id") -> ExportRequest:
    """The request, if the caller may see it; anything else is NOT_FOUND (Art. 24)."""
    found = await ctx.stores.exports.get(request_id) if request_id else None
    if found is None or not rules.may_see_request(ctx.account, found):
        raise NotFound(field, "export request")
    return found


@dataclass(frozen=True)
class ExportAsk:
    purpose: str
    school_code: str | None
    area_code: str | None
    grade: int | None
    state: StudentState | None
    fields: tuple[ExportField, ...]
    full_fields: tuple[ExportField, ...]
    format: ExportFormat


REQUEST_EXPORT_CODES = declared(*TEXT_CODES, *students.SCHOOL_LOOKUP_CODES, "INVALID_AREA_CODE", *rules.REQUEST_CODES)


async def request_export(ctx: Session, ask: ExportAsk) -> ExportRequest:
    purpose = required_text("purpose", ask.purpose, max_length=MULTI_LINE, multi_line=True, message="state the purpose of the export")
    school: School | None = await students.school_in_scope(ctx, ask.school_code) if ask.school_code else None
    area = validate_area_code(ask.area_code, "areaCode") if ask.area_code else None
    scope = ExportScope(school.code if school else None, area, ask.grade, ask.state)
    fields = tuple(f for f in ExportField if f in set(ask.fields))
    full = tuple(f for f in ExportField if f in set(ask.full_fields))
    rules.check_request(ctx.account, scope, school, fields, full)
    request = ExportRequest(
        id=uuid.uuid4().hex,
        requester=ctx.account.login,
        requester_role=ctx.account.role.value,
        purpose=purpose,
        scope=scope,
        department_code=rules.approving_department(scope, school),
        fields=fields,
        full_fields=full,
        format=ask.format,
        state=ExportState.REQUESTED,
        created_at=datetime.now(UTC),
    )
    await ctx.stores.exports.create(request, ctx.stamp())
    return request


AUTHORISE_EXPORT_UPLOAD_CODES = declared(*LOOKUP_CODES, "INVALID_KIND", *rules.ATTACH_CODES, *TEXT_CODES)


async def authorise_export_upload(ctx: Session, request_id: str, kind: str, filename: str | None) -> UploadTarget:
    """Where the written approval of an export request goes: a document of the request
    (no dossier), kept under the permanent retention of approval letters."""
    request = await export_in_scope(ctx, request_id, "exportRequest")
    rules.require_attacher(ctx.account, request)
    if kind != EvidenceKind.APPROVAL_LETTER.value:
        raise DomainError("kind", "an export request takes its written approval: kind APPROVAL_LETTER", "INVALID_KIND")
    return UploadTarget(
        number="",
        dossier_id=f"export-{request.id}",
        school_code=request.scope.school_code or request.department_code,
        kind=EvidenceKind.APPROVAL_LETTER,
        replaces=None,
        filename=optional_text("filename", filename, max_length=FILENAME_MAX),
        paper_location=None,
        business_kind="export_request",
        business_id=request.id,
    )


async def attach(ctx: Session, request_id: str, document_id: str) -> None:
    await ctx.stores.exports.add_document(request_id, document_id, ctx.stamp())


DECIDE_EXPORT_CODES = declared(*LOOKUP_CODES, *TEXT_CODES, *rules.DECIDE_CODES)


async def decide_export(
    ctx: Session,
    request_id: str,
    *,
    approve: bool,
    fields: tuple[ExportField, ...] | None,
    full_fields: tuple[ExportField, ...] | None,
    reason: str | None,
) -> ExportRequest:
    reason = optional_text("reason", reason, max_length=MULTI_LINE, multi_line=True)  # before anything is looked up
    request = await export_in_scope(ctx, request_id)
    decided = rules.decide(
        ctx.account, request, approve=approve, fields=fields, full_fields=full_fields, reason=reason, now=datetime.now(UTC)
    )
    await ctx.stores.exports.replace(request, decided, ctx.stamp(), action=decided.state.value)
    return replace(decided, revision=request.revision + 1)


def may_download(ctx: Session, request: ExportRequest) -> bool:
    return request.state is ExportState.APPROVED and ctx.account.login == request.requester and not ctx.account.disabled


async def issue_link(ctx: Session, request: ExportRequest, lifetime: timedelta) -> tuple[str, datetime] | None:
    """A link to download an approved export, for its requester only; None for anyone else
    or before approval. The issue is audited."""
    if not may_download(ctx, request):
        return None
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    link = ExportLink(request.id, ctx.account.login, now + lifetime)
    await ctx.stores.exports.add_link(token, link, now)
    await ctx.audit("link:export", "export_request", request.id, school_code=request.scope.filed_under, details={"expires_at": link.expires_at.isoformat()})
    return token, link.expires_at


DOWNLOAD_CODES = declared(*rules.LINK_CODES)


@dataclass(frozen=True)
class ExportTable:
    """What an approved export carries: its headers (Chinese) and rows."""

    request: ExportRequest
    headers: list[str]
    rows: list[list[object]]


def _scope_key(scope: ExportScope) -> tuple[str, StudentFilter]:
    if scope.school_code is not None:
        return f"code:{scope.school_code}", StudentFilter(school_code=scope.school_code, grade=scope.grade, state=scope.state)
    assert scope.area_code is not None
    # A county's records are those of the schools it supervises (Art. 3); a city's and the
    # province's, those of every school in them.
    field_name = "supervisor_code" if area_level(scope.area_code) is AreaLevel.COUNTY else area_field(scope.area_code)
    key = f"{field_name}:{scope.area_code}"
    return key, StudentFilter(area_field=field_name, area_code=scope.area_code, grade=scope.grade, state=scope.state)


async def link_request_id(ctx: Session, token: str) -> str | None:
    """The request a link was issued for (to audit a refused download under it)."""
    found = await ctx.stores.exports.link(token) if token else None
    return found.request_id if found else None


async def export_table(ctx: Session, token: str) -> ExportTable:
    """The approved export behind a link: exactly the approved fields of the dossiers in the
    approved scope, identifiers masked unless approved in full."""
    link = rules.check_link(await ctx.stores.exports.link(token), ctx.account, datetime.now(UTC))
    request = await ctx.stores.exports.get(link.request_id)
    if request is None or not may_download(ctx, request):
        raise NotFound("link", "approved export")
    key, where = _scope_key(request.scope)
    fields, full = request.approved_fields, frozenset(request.approved_full_fields)
    rows: list[list[object]] = []
    after: str | None = None
    while True:
        page = await ctx.stores.students.page(key, where, after=after, first=PAGE, count=False)
        rows += [list(rules.row(r.dossier, fields, full)) for r in page.items]
        if not page.has_next:
            break
        after = page.keys[-1]
    return ExportTable(request, [rules.HEADERS[f] for f in fields], rows)


async def requests_page(ctx: Session, *, after: str | None, first: int) -> Page[ExportRequest]:
    """The requests the caller sees: a department or an auditor those decided by the
    departments in its area (its own among them); anyone else those they made."""
    a = ctx.account
    if a.disabled:
        return Page([], [], False, 0)
    if (a.is_department or a.role is Role.AUDITOR) and a.scope_code:
        return await ctx.stores.exports.page(requester=None, area_key=a.scope_code, after=after, first=first)
    return await ctx.stores.exports.page(requester=a.login, area_key=None, after=after, first=first)
