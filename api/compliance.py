"""The compliance report as files a department head reads (Art. 25, 26, R-F2):
`GET /compliance/report.xlsx?area=CODE&from=DATE&to=DATE` and `…/report.pdf?…`, with the
bearer token, for the departments over the area, as the `complianceReport` query. Both are
written off the event loop; each download is audited (the report's own `read:complianceReport`
and a `download:complianceReport`). Errors have the shape of POST /uploads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import Authenticator
from api.compliance_pdf import ARTICLE, render
from api.settings import Settings
from application import compliance
from application.session import Session, Stores
from domain.compliance import FINDING_LABELS, ComplianceReport
from domain.errors import DomainError
from storage.spreadsheets import SheetOut, write_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS = {"PERMISSION_DENIED": 403}
HEADERS = ["情形", "依据", "时间", "学校", "学生姓名", "学籍号", "账号", "说明", "证据"]


def workbook(report: ComplianceReport) -> bytes:
    rows = [
        [
            FINDING_LABELS[f.kind],
            ARTICLE[f.kind],
            f.at.replace(tzinfo=None),
            f.school_code,
            f.student_name,
            f.student_number,
            f.account,
            f.summary,
            "; ".join(f"{e.kind.value} {e.id}" for e in f.evidence),
        ]
        for f in report.findings
    ]
    p = report.period
    about: list[list[object]] = [["地区", report.area_code], ["期间", f"{p.start.isoformat()} 至 {p.end.isoformat()}"],
             ["生成时间 (UTC)", report.generated_at.replace(tzinfo=None)], ["生成人", report.generated_by]]
    return write_workbook([SheetOut("合规情况", HEADERS, rows, widths={7: 60, 8: 60}), SheetOut("说明", ["项目", "内容"], about)])


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(field, "a date is YYYY-MM-DD", "INVALID_VALUE") from None


def compliance_routes(settings: Settings, stores: Callable[[], Stores]) -> dict[str, Callable[[Request], object]]:
    authenticate = Authenticator(settings)

    def download(kind: str) -> Callable[[Request], object]:
        async def endpoint(request: Request) -> Response:
            actor = await authenticate.caller(request, stores().accounts)
            if isinstance(actor, Response):
                return actor
            session = Session.open(actor, stores(), page_size_max=settings.page_size_max)
            q = request.query_params
            area = q.get("area", "")[:20].replace("\x00", "")
            try:
                report = await compliance.compliance_report(session, area, _date(q.get("from", ""), "from"), _date(q.get("to", ""), "to"))
            except DomainError as e:
                await session.audit(f"download:complianceReport.{kind}", "area", area or "-", e.code, details={"field": e.field})
                return JSONResponse({"error": {"code": e.code, "field": e.field, "message": e.message}}, status_code=STATUS.get(e.code, 422))
            if kind == "pdf":
                found = await session.loaders.area.load(report.area_code)
                data = await asyncio.to_thread(render, report, found.name if found else report.area_code)
                media = "application/pdf"
            else:
                data = await asyncio.to_thread(workbook, report)
                media = XLSX
            await session.audit(f"download:complianceReport.{kind}", "area", report.area_code, details={"findings": len(report.findings)})
            name = quote(f"合规报告-{report.area_code}-{report.period.start.isoformat()}-{report.period.end.isoformat()}.{kind}")
            return Response(data, media_type=media, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})

        return endpoint

    return {"xlsx": download("xlsx"), "pdf": download("pdf")}
