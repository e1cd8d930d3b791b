"""Bulk intake over HTTP (Art. 5, 6): the template, the upload that starts a job, and the
report. The job's progress is read through GraphQL (`intakeJob`).

- `GET /intake/template.xlsx`: the columns of a dossier with their Chinese headers, how to
  fill them, and the code tables.
- `POST /intake?school=CODE&filename=NAME`: the XLSX or CSV file as the request body. 202
  with `{"job": {"id", "total", "created"}}`; the rows are then enrolled in the background
  (the registrar may close the page). The same file again answers with the same job.
- `GET /intake/report.xlsx?job=ID`: every row with what became of it; refused rows and rows
  needing review highlighted with the reason. Audited: it holds personal data (Art. 24).

Errors have the shape of POST /uploads: `{"error": {"code", "field", "message"}}`."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from urllib.parse import quote

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import Authenticator
from api.settings import Settings
from api.uploads import error_response
from application import intake
from application.session import Session, Stores
from domain import codes
from domain.errors import DomainError
from domain.intake import COLUMN_HEADER, INTAKE_COLUMNS, MAX_ROWS, IntakeOutcome
from domain.text import identifier
from storage.spreadsheets import SheetOut, read_table, write_workbook

log = structlog.get_logger("intake")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OUTCOME_LABEL = {
    IntakeOutcome.ENROLLED: "已建籍",
    IntakeOutcome.ALREADY_ENROLLED: "此前已建籍",
    IntakeOutcome.REFUSED: "未通过",
    IntakeOutcome.NEEDS_REVIEW: "待核查（疑似重复）",
}


class IntakeJobs:
    """The runs of intake jobs in this process, and a watchdog that resumes any job whose
    run stopped (this or another API process was killed): the run lease decides who goes on."""

    def __init__(self, stores: Callable[[], Stores], settings: Settings) -> None:
        self.stores = stores
        self.stale_after = timedelta(seconds=settings.intake_stale_seconds)
        self.concurrency = settings.intake_concurrency
        self.watch_every = settings.intake_watch_seconds
        self.page_size_max = settings.page_size_max
        self.running: dict[str, asyncio.Task[bool]] = {}

    def schedule(self, job_id: str) -> None:
        if job_id in self.running:
            return
        task = asyncio.create_task(
            intake.run(self.stores(), job_id, stale_after=self.stale_after, concurrency=self.concurrency, page_size_max=self.page_size_max)
        )
        self.running[job_id] = task

        def done(t: asyncio.Task[bool]) -> None:
            self.running.pop(job_id, None)
            if not t.cancelled() and t.exception() is not None:
                log.error("intake run failed", job=job_id, error=repr(t.exception()))

        task.add_done_callback(done)

    async def watch(self) -> None:
        while True:
            try:
                for job in await self.stores().intake.unfinished():
                    self.schedule(job.id)
            except Exception as e:  # noqa: BLE001 - a database outage: look again later
                log.warning("intake watchdog", error=repr(e))
            await asyncio.sleep(self.watch_every)

    @contextlib.asynccontextmanager
    async def running_in_background(self) -> AsyncIterator[None]:
        watchdog = asyncio.create_task(self.watch())
        try:
            yield
        finally:
            watchdog.cancel()
            for task in [watchdog, *self.running.values()]:
                task.cancel()
            for task in [watchdog, *list(self.running.values())]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


def template() -> bytes:
    """The intake template: one sheet to fill, one explaining the columns, the code tables."""
    required = {c.key for c in INTAKE_COLUMNS if c.required}
    headers = [f"{c.headers[0]}*" if c.key in required else c.headers[0] for c in INTAKE_COLUMNS if c.key != "number"]
    help_rows = [
        [c.headers[0], "是" if c.key in required else "否", " / ".join(c.headers[1:]), HELP.get(c.key, "")]
        for c in INTAKE_COLUMNS
    ]
    code_rows = [[t.name, t.standard, code, label] for t in codes.TABLES.values() for code, label in t.entries]
    return write_workbook(
        [
            SheetOut("新生名单", headers, []),
            SheetOut("填表说明", ["列名", "必填", "英文列名", "说明"], help_rows, widths={3: 80}),
            SheetOut("代码表", ["代码表", "标准", "代码", "名称"], code_rows),
        ]
    )


HELP = {
    "number": "留空。系统建籍后在结果表中填入；再次上传结果表时，已有学籍号的行不会重复建籍。",
    "sex": "男 / 女（或代码 1 / 2）",
    "birth_date": "如 2019-09-01、2019/9/1 或 2019年9月1日；须与身份证件号一致",
    "id_kind": "居民身份证（默认）、港澳台居民居住证、港澳居民来往内地通行证、台湾居民来往大陆通行证、护照、外国人永久居留身份证；暂无证件填“无”",
    "id_number": "身份证件号请设置为文本格式，否则表格软件会丢失末位数字",
    "ethnicity": "名称或代码（见代码表 ethnicity）",
    "grade": "1-9 或 一年级 …",
    "entry_way": "名称或代码（见代码表 entryWay）",
    "study_mode": "名称或代码（见代码表 studyMode）",
    "guardian1_relation": "名称或代码（见代码表 relation）",
    "confirm_not_duplicate": "核查确认不是同一人后填“是”，再次上传",
}


def intake_routes(settings: Settings, stores: Callable[[], Stores], jobs: IntakeJobs) -> dict[str, Callable[[Request], object]]:
    authenticate = Authenticator(settings)

    def refuse_nul(request: Request) -> Response | None:
        """No parameter may hold U+0000: it is never stored, and PostgreSQL refuses it even in a filter."""
        for name, value in request.query_params.items():
            if "\x00" in name or "\x00" in value:
                return error_response(DomainError(name.replace("\x00", ""), "text cannot contain the NUL character (U+0000)", "INVALID_VALUE"))
        return None

    async def session_of(request: Request) -> Session | Response:
        actor = await authenticate.caller(request, stores().accounts)
        if isinstance(actor, Response):
            return actor
        return Session.open(actor, stores(), page_size_max=settings.page_size_max)

    async def get_template(request: Request) -> Response:
        session = await session_of(request)
        if isinstance(session, Response):
            return session
        return Response(template(), media_type=XLSX, headers={"Content-Disposition": "attachment; filename*=UTF-8''" + quote("新生名单模板.xlsx")})

    async def upload(request: Request) -> Response:
        session = refuse_nul(request) or await session_of(request)
        if isinstance(session, Response):
            return session
        school = identifier(request.query_params.get("school", ""))
        filename = request.query_params.get("filename", "intake.xlsx")[:200]
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > settings.intake_max_bytes:
                    raise DomainError("file", f"at most {settings.intake_max_bytes} bytes", "TOO_LARGE")
            if not body:
                raise DomainError("file", "the file is empty", "EMPTY_FILE")
            # Who may start it is checked before the file is read: parsing is the costly part.
            await intake.authorise(session, school)
            data = bytes(body)
            table = await asyncio.to_thread(read_table, data, INTAKE_COLUMNS, max_rows=MAX_ROWS)
            job, created = await intake.start(session, school, filename, hashlib.sha256(data).hexdigest(), table)
        except DomainError as e:
            await session.audit("intake:upload", "school", school or "-", e.code, details={"field": e.field})
            return error_response(e)
        jobs.schedule(job.id)
        return JSONResponse({"job": {"id": job.id, "total": job.total, "created": created, "state": job.state.value}}, status_code=202)

    async def report(request: Request) -> Response:
        session = refuse_nul(request) or await session_of(request)
        if isinstance(session, Response):
            return session
        job_id = request.query_params.get("job", "")
        try:
            job = await intake.job_in_scope(session, job_id)
        except DomainError as e:
            await session.audit("download:intake_report", "intake_job", job_id[:200], e.code)
            return error_response(e)
        rows = intake.with_result(await session.stores.intake.rows(job.id), await session.stores.intake.results(job.id))
        keys = [c.key for c in INTAKE_COLUMNS]
        headers = ["行号", "处理结果", "说明"] + [COLUMN_HEADER[k] for k in keys]
        out: list[list[object]] = []
        highlight: set[int] = set()
        for i, (row, result) in enumerate(rows):
            shown = intake.report_row(row, result)
            outcome = OUTCOME_LABEL[result.outcome] if result else "处理中"
            notes = "；".join(f"{COLUMN_HEADER.get(p.column or '', '整行')}: {p.message} ({p.code})" for p in result.problems) if result else ""
            if result and result.candidates:
                notes += "；疑似重复：" + "、".join(result.candidates)
            out.append([row.number, outcome, notes, *(shown.values.get(k, "") for k in keys)])
            if result is None or result.outcome in (IntakeOutcome.REFUSED, IntakeOutcome.NEEDS_REVIEW):
                highlight.add(i)
        # Built off the event loop: a report of thousands of rows takes seconds.
        data = await asyncio.to_thread(write_workbook, [SheetOut("处理结果", headers, out, highlight=highlight, widths={2: 60})])
        await session.audit(
            "download:intake_report", "intake_job", job.id, school_code=job.school_code, details={"rows": len(out)}
        )
        name = quote(f"{job.file_name.rsplit('.', 1)[0]}-结果.xlsx")
        return Response(data, media_type=XLSX, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})

    return {"template": get_template, "upload": upload, "report": report}
