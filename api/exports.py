"""GET /exports/download?link=TOKEN: an approved export (Art. 24), for the account the
link was issued to (`ExportRequest.downloadUrl`), until it expires. The bearer token is
required as everywhere; the file (XLSX or CSV) is written off the event loop. Every
download, and every refused attempt, is audited. Errors have the shape of POST /uploads
(`{"error": {"code", "field", "message"}}`): 404 NOT_FOUND, 403 PERMISSION_DENIED (another
account's link), 410 LINK_EXPIRED."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import Authenticator
from api.settings import Settings
from application import exports
from application.session import Session, Stores
from domain.errors import DomainError
from domain.exports import ExportFormat
from storage.spreadsheets import SheetOut, write_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS = {"NOT_FOUND": 404, "PERMISSION_DENIED": 403, "LINK_EXPIRED": 410}


def _csv(headers: list[str], rows: list[list[object]]) -> bytes:
    """UTF-8 with a byte-order mark (Excel on Chinese Windows then reads it as UTF-8); a
    cell that would start a formula is prefixed with an apostrophe, so it stays text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for values in rows:
        cells = ["" if v is None else str(v) for v in values]
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in cells])
    return ("\ufeff" + out.getvalue()).encode()


def export_download_endpoint(settings: Settings, stores: Callable[[], Stores]) -> Callable[[Request], object]:
    authenticate = Authenticator(settings)

    async def download(request: Request) -> Response:
        actor = await authenticate.caller(request, stores().accounts)
        if isinstance(actor, Response):
            return actor
        session = Session.open(actor, stores(), page_size_max=settings.page_size_max)
        token = request.query_params.get("link", "")
        if "\x00" in token or len(token) > 200:
            token = ""
        try:
            table = await exports.export_table(session, token)
        except DomainError as e:
            target = await exports.link_request_id(session, token)
            await session.audit("download:export", "export_request", target or "-", e.code, details={"field": e.field})
            body = {"error": {"code": e.code, "field": e.field, "message": e.message}}
            return JSONResponse(body, status_code=STATUS.get(e.code, 422))
        r = table.request
        if r.format is ExportFormat.XLSX:
            data = await asyncio.to_thread(write_workbook, [SheetOut("导出", table.headers, table.rows)])
            name, media = f"学籍导出-{r.id[:8]}.xlsx", XLSX
        else:
            data = await asyncio.to_thread(_csv, table.headers, table.rows)
            name, media = f"学籍导出-{r.id[:8]}.csv", "text/csv; charset=utf-8"
        await session.audit(
            "download:export",
            "export_request",
            r.id,
            school_code=r.scope.filed_under,
            details={
                "rows": len(table.rows),
                "fields": [f.value for f in r.approved_fields],
                "full_fields": [f.value for f in r.approved_full_fields],
                "format": r.format.value,
                "purpose": r.purpose,
            },
        )
        return Response(data, media_type=media, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})

    return download
