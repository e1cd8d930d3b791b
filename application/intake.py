"""Bulk intake (Art. 5, 6): a registrar's spreadsheet of new entrants becomes a job; each row
goes through `students.enrol`, the very step behind `enrollStudent`, as the registrar who
uploaded it, and gets one result: enrolled (with its number), already enrolled, refused
(column, code, message) or needs review (possible duplicates).

Runs are resumable and never enrol a row twice: a run holds a lease (an inserted run
number, kept alive by a heartbeat); each row is claimed before it is processed and its
result inserted once. A run that dies leaves claimed rows without a result; the next run
(once the lease is stale) processes them again, and a row whose first attempt got as far
as the dossier is recognised by the request id that dossier was created under
(`intake-<file hash>-<row>`), so it is reported enrolled, not duplicate."""

from __future__ import annotations

import asyncio
import contextlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from strawberry.dataloader import DataLoader

from application import students
from application.session import Actor, Loaders, Session, Stores
from domain import access, codes
from domain import dossier as d
from domain.duplicates import Probe
from domain.errors import DomainError
from domain.identity import IdDocKind, IdDocument, Sex, parse_id_document
from domain.accounts import Account
from domain.jurisdiction import School
from domain.intake import (
    COLUMN_HEADER,
    SEX_TABLE,
    CellError,
    IntakeJob,
    IntakeOutcome,
    IntakeResult,
    IntakeState,
    RowProblem,
    parse_code,
    parse_date,
    parse_grade,
    parse_id_kind,
    parse_yes_no,
)
from domain.ports import ConcurrentWrite, EnrolledElsewhere
from domain.student_number import normalise_number
from domain.tables import Row, Table

HEARTBEAT = timedelta(seconds=10)


class RowRefused(Exception):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(problems[0].message)
        self.problems = problems


# -- a row's cells to an enrolment ---------------------------------------------------------

_FIELD = re.compile(r"guardians\.(\d+)\.(\w+)")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def column_of(field: str | None) -> str | None:
    """The template column a rule's `field` refers to (None when it is the row as a whole)."""
    if not field:
        return None
    m = _FIELD.match(field)
    if m:
        i, rest = int(m[1]), _snake(m[2].split(".")[0])
        key = f"guardian{i + 1}_{'id_number' if rest == 'id_document' else rest}"
        return key if key in COLUMN_HEADER else None
    head = field.split(".")
    if head[0] == "idDocument":
        return "id_country" if head[-1] == "country" else "id_number"
    key = _snake(head[-1])
    return key if key in COLUMN_HEADER else None


class _Cells:
    """Reads typed values from a row, collecting every cell problem instead of stopping."""

    def __init__(self, row: Row) -> None:
        self.values = row.values
        self.problems = [RowProblem(k, "INVALID_VALUE", f"{COLUMN_HEADER.get(k, k)}: {p}") for k, p in row.problems.items()]

    def text(self, key: str) -> str:
        return self.values.get(key, "").strip()

    def optional(self, key: str) -> str | None:
        return self.text(key) or None

    def parsed(self, key: str, parse: Callable[[str], object], default: object = None) -> object:
        value = self.text(key)
        if not value:
            return default
        try:
            return parse(value)
        except CellError as e:
            self.problems.append(RowProblem(key, "INVALID_VALUE", f"{COLUMN_HEADER[key]}: {e}"))
            return default

    def required(self, key: str, parse: Callable[[str], object]) -> object:
        if not self.text(key):
            self.problems.append(RowProblem(key, "INVALID_VALUE", f"{COLUMN_HEADER[key]} is required"))
            return None
        return self.parsed(key, parse)

    def code(self, key: str, table: codes.CodeTable, default: str | None = None) -> str | None:
        value = self.text(key)
        if not value:
            return default
        try:
            return parse_code(table, value)
        except CellError as e:  # the code `enrollStudent` gives a value outside its table
            self.problems.append(RowProblem(key, "INVALID_CODE", f"{COLUMN_HEADER[key]}: {e}"))
            return default

    def flag(self, key: str) -> bool:
        return bool(self.parsed(key, parse_yes_no, False))

    def id_document(self, prefix: str) -> IdDocument | None:
        kind = self.parsed(f"{prefix}id_kind", parse_id_kind, IdDocKind.RESIDENT_ID)
        number = self.optional(f"{prefix}id_number")
        if prefix and number is None and not self.text(f"{prefix}id_kind"):
            return None  # a guardian's document is optional
        if kind is IdDocKind.RESIDENT_ID and number is None and not prefix:
            kind = IdDocKind.NONE_YET if not self.text("id_kind") else kind
        assert isinstance(kind, IdDocKind)
        if kind is IdDocKind.NONE_YET and number is not None:
            column = f"{prefix}id_number"
            self.problems.append(RowProblem(column, "INVALID_VALUE", f"{COLUMN_HEADER[column]}: the kind is 无 (no document) but a number is given; remove the number or choose the kind"))
            return None
        country = self.optional("id_country") if not prefix else None
        try:
            return parse_id_document(kind, None if kind is IdDocKind.NONE_YET else number, country)
        except DomainError as e:
            column = f"{prefix}id_country" if e.code == "ID_COUNTRY" else f"{prefix}id_number"
            self.problems.append(RowProblem(column, e.code, f"{COLUMN_HEADER[column]}: {e.message}"))
            return None


def _guarded(cells: _Cells, build: Callable[[], object], column: str | None) -> object:
    """Run a domain normaliser; its refusal becomes a problem of the row."""
    try:
        return build()
    except DomainError as e:
        cells.problems.append(RowProblem(column_of(e.field) or column, e.code, e.message))
        return None


def enrolment_of(row: Row, school_code: str) -> students.Enrolment:
    """The enrolment a row asks for, through the same domain normalisers as `enrollStudent`'s
    inputs; every cell problem of the row at once (RowRefused)."""
    c = _Cells(row)
    id_document = c.id_document("")
    sex = c.required("sex", lambda v: Sex(parse_code(SEX_TABLE, v)))
    birth_date = c.required("birth_date", parse_date)
    basic = None
    if sex is not None and birth_date is not None:
        values = {
            "name": c.text("name"),
            "sex": sex,
            "birth_date": birth_date,
            "former_name": c.optional("former_name"),
            "name_pinyin": c.optional("name_pinyin"),
            "birth_place": c.optional("birth_place"),
            "native_place": c.optional("native_place"),
            "ethnicity": c.code("ethnicity", codes.ETHNICITY),
            "nationality": c.optional("nationality") or "CHN",
            "overseas_status": c.code("overseas_status", codes.OVERSEAS_STATUS, "00"),
            "health": c.code("health", codes.HEALTH),
            "household_place": c.optional("household_place"),
            "household_kind": c.code("household_kind", codes.HOUSEHOLD_KIND),
            "address": c.optional("address"),
            "residence_address": c.optional("residence_address"),
            "phone": c.optional("phone"),
        }
        basic = _guarded(c, lambda: d.normalised_basic(d.BasicData(**values)), "name")  # type: ignore[arg-type]
    guardians: list[d.Guardian] = []
    for n in (1, 2):
        prefix = f"guardian{n}_"
        if not c.text(f"{prefix}name"):
            continue  # guardians may follow before 核准 (completeness, Art. 6), as with enrollStudent
        relation = c.code(f"{prefix}relation", codes.RELATION)
        if relation is None and not any(p.column == f"{prefix}relation" for p in c.problems):
            c.problems.append(RowProblem(f"{prefix}relation", "INVALID_VALUE", f"{COLUMN_HEADER[prefix + 'relation']} is required"))
        is_guardian = True if n == 1 else c.flag(f"{prefix}is_guardian")
        guardian = _guarded(
            c,
            lambda: d.normalised_guardian(
                d.Guardian(
                    name=c.text(f"{prefix}name"),
                    relation=relation or "",
                    is_guardian=is_guardian,
                    id_document=c.id_document(prefix),
                    phone=c.optional(f"{prefix}phone"),
                    employer=c.optional(f"{prefix}employer"),
                ),
                n - 1,
            ),
            f"{prefix}name",
        )
        if isinstance(guardian, d.Guardian):
            guardians.append(guardian)
    flags = _guarded(
        c,
        lambda: d.normalised_flags(
            d.Flags(
                only_child=c.flag("only_child"),
                preschool=c.flag("preschool"),
                left_behind=c.code("left_behind", codes.LEFT_BEHIND, "0") or "0",
                migrant_child=c.flag("migrant_child"),
                orphan=c.flag("orphan"),
                martyr_child=c.flag("martyr_child"),
                inclusive_education=c.flag("inclusive_education"),
                disability=c.code("disability", codes.DISABILITY),
                home_teaching=c.flag("home_teaching"),
            )
        ),
        None,
    )
    grade = c.required("grade", parse_grade)
    entry_date = c.required("entry_date", parse_date)
    entry_way = c.code("entry_way", codes.ENTRY_WAY)
    study_mode = c.code("study_mode", codes.STUDY_MODE)
    for key, value in (("entry_way", entry_way), ("study_mode", study_mode), ("class_name", c.text("class_name"))):
        if not value and not any(p.column == key for p in c.problems):
            c.problems.append(RowProblem(key, "INVALID_VALUE", f"{COLUMN_HEADER[key]} is required"))
    enrolment = None
    if not c.problems:
        enrolment = _guarded(
            c,
            lambda: students.enrolment(
                school_code=school_code,
                id_document=id_document,  # type: ignore[arg-type]
                basic=basic,  # type: ignore[arg-type]
                guardians=tuple(guardians),
                flags=flags,  # type: ignore[arg-type]
                grade=grade,  # type: ignore[arg-type]
                class_name=c.text("class_name"),
                entry_date=entry_date,  # type: ignore[arg-type]
                entry_way=entry_way or "",
                study_mode=study_mode or "",
                age_approval_reference=c.optional("age_approval_reference"),
                confirm_not_duplicate=c.flag("confirm_not_duplicate"),
            ),
            None,
        )
    if c.problems or not isinstance(enrolment, students.Enrolment):
        raise RowRefused(c.problems)
    return enrolment


# -- one row -----------------------------------------------------------------------------


async def intake_row(session: Session, job: IntakeJob, row: Row, *, interrupted: bool) -> IntakeResult:
    """What becomes of one row: `students.enrol` decides, as for `enrollStudent`."""

    def result(outcome: IntakeOutcome, number: str | None = None, problems: list[RowProblem] | None = None, candidates: tuple[str, ...] = ()) -> IntakeResult:
        return IntakeResult(job.id, row.number, outcome, number, tuple(problems or ()), candidates)

    given = row.values.get("number", "").strip()
    if given:  # a row enrolled before (the report carries its number): never enrolled again
        try:
            found = await session.stores.students.by_number(normalise_number(given), session.student_scope_key)
        except DomainError as e:
            return result(IntakeOutcome.REFUSED, problems=[RowProblem("number", e.code, e.message)])
        if found is not None and found.dossier.status.school_code == job.school_code:
            return result(IntakeOutcome.ALREADY_ENROLLED, found.dossier.number)
        return result(IntakeOutcome.REFUSED, problems=[RowProblem("number", "NOT_FOUND", "this school has no student with this number; leave it empty for a new student")])
    try:
        enrolment = enrolment_of(row, job.school_code)
    except RowRefused as e:
        return result(IntakeOutcome.REFUSED, problems=e.problems)
    if interrupted:  # a stopped run may have got as far as this row's dossier
        made = await session.stores.students.created_under(session.request_id, job.created_by)
        if made is not None and made.status.school_code == job.school_code:
            return result(IntakeOutcome.ENROLLED, made.number)
    try:
        stored, _candidates = await students.enrol(session, enrolment)
        return result(IntakeOutcome.ENROLLED, stored.dossier.number)
    except students.EnrolledElsewhereError as e:
        cause = e.__cause__
        if isinstance(cause, EnrolledElsewhere) and cause.existing.status.school_code == job.school_code:
            return result(IntakeOutcome.ALREADY_ENROLLED, cause.existing.number)
        return result(IntakeOutcome.REFUSED, problems=[RowProblem("id_number", e.code, e.message)])
    except DomainError as e:
        if e.code != "POSSIBLE_DUPLICATE":
            return result(IntakeOutcome.REFUSED, problems=[RowProblem(column_of(e.field), e.code, e.message)])
        probe = Probe(enrolment.basic.name, enrolment.basic.birth_date, enrolment.basic.sex, tuple(g.id_document for g in enrolment.guardians if g.id_document))
        found_candidates = await students.find_candidates(session, probe, None)
        shown = tuple(f"{c.row.dossier.number} {c.name}" if c.row else c.name for c in found_candidates)
        return result(IntakeOutcome.NEEDS_REVIEW, problems=[RowProblem("confirm_not_duplicate", e.code, e.message)], candidates=shown)
    except ConcurrentWrite:
        return result(IntakeOutcome.REFUSED, problems=[RowProblem(None, "CONFLICT", "a concurrent write won; upload the file again to retry this row")])


# -- jobs ----------------------------------------------------------------------------------


async def authorise(session: Session, school_code: str) -> School:
    """Only the school's trained registrar starts an intake, as for `enrollStudent` (Art. 5, 6)."""
    school = await students.school_in_scope(session, school_code, "school")
    access.require_school_registrar(session.account, school)
    return school


async def start(session: Session, school_code: str, file_name: str, file_sha256: str, table: Table) -> tuple[IntakeJob, bool]:
    """The job for this file at this school: new, or the one the same file made before."""
    school = await authorise(session, school_code)
    job = IntakeJob(
        id=IntakeJob.id_of(school.code, file_sha256),
        school_code=school.code,
        file_name=file_name,
        file_sha256=file_sha256,
        created_by=session.account.login,
        created_at=datetime.now(UTC),
        total=len(table.rows),
    )
    job, created = await session.stores.intake.create(job, table.rows)
    await session.audit(
        "intake:upload", "intake_job", job.id, school_code=school.code,
        details={"file": file_name, "sha256": file_sha256, "rows": job.total, "new": created},
    )
    return job, created


async def job_in_scope(session: Session, job_id: str) -> IntakeJob:
    """A job, for whoever may read its rows unmasked: the school's registrar and its
    supervising department (Art. 24; the rows are every cell as keyed in, children never
    enrolled included). Anyone else is told it does not exist."""
    job = await session.stores.intake.get(job_id)
    school = await session.loaders.school.load(job.school_code) if job is not None else None
    if job is None or school is None or not access.may_read_personal(session.account, school):
        raise DomainError("id", "no intake job in your scope has this id", "NOT_FOUND")
    return job


def child_key(row: Row) -> tuple[str, str]:
    """Rows that may be one child: the name in its one spelling and the birth date as a
    date, however the cells wrote them (2019-09-05, 2019/9/5, 2019年9月5日)."""
    name = unicodedata.normalize("NFKC", "".join(row.values.get("name", "").split()))
    try:
        born = parse_date(row.values.get("birth_date", "")).isoformat()
    except CellError:
        born = row.values.get("birth_date", "").strip()
    return name, born


def stale(heartbeat_at: datetime, now: datetime, after: timedelta) -> bool:
    if heartbeat_at.tzinfo is None:
        heartbeat_at = heartbeat_at.replace(tzinfo=UTC)
    return now - heartbeat_at > after


async def run(stores: Stores, job_id: str, *, stale_after: timedelta, concurrency: int, page_size_max: int = 100) -> bool:
    """Process the rows of a job that have no result yet, unless another run is alive.
    Returns whether this call ran the job."""
    job = await stores.intake.get(job_id)
    if job is None or job.state is not IntakeState.RUNNING:
        return False
    now = datetime.now(UTC)
    last = await stores.intake.last_run(job_id)
    if last is not None and not stale(last[1], now, stale_after):
        return False
    number = (last[0] if last else 0) + 1
    if not await stores.intake.claim_run(job_id, number, now):
        return False
    account = await stores.accounts.get(job.created_by)
    if account is None or account.disabled:
        await _stop(stores, job, account, number)
        return True
    done = {r.row for r in await stores.intake.results(job_id)}
    claimed = await stores.intake.claimed_rows(job_id)  # by runs that stopped: such a row may have its dossier
    pending = [r for r in await stores.intake.rows(job_id) if r.number not in done]
    loaders = Loaders.create(stores)
    gate = asyncio.Semaphore(concurrency)
    lease_lost = asyncio.Event()
    # Claims and results of the rows in flight go to the database together: each row still
    # waits for its own claim, and is done when its own result is written.
    claims: DataLoader[int, bool] = DataLoader(load_fn=lambda rows: stores.intake.claim_rows(job_id, rows, number), cache=False)
    records: DataLoader[IntakeResult, bool] = DataLoader(load_fn=stores.intake.record_many, cache=False)

    async def group(rows: list[Row]) -> None:
        async with gate:
            for row in rows:
                await one(row)

    async def one(row: Row) -> None:
        if lease_lost.is_set():
            raise _LeaseLost
        # Disabling an account takes effect on its next row, as on its next request.
        current = await stores.accounts.get(job.created_by)
        if current is None or current.disabled:
            raise _AccountDisabled
        actor = Actor(current, f"intake-{job.file_sha256[:16]}-{row.number}")
        session = Session(actor=actor, stores=stores, loaders=loaders, page_size_max=page_size_max)
        interrupted = row.number in claimed
        if not interrupted and not await claims.load(row.number):
            return  # claimed meanwhile by a run that is still alive: it records the row
        await records.load(await intake_row(session, job, row, interrupted=interrupted))

    async def beat() -> None:
        """Keep the lease; once a later run has taken the job over, stop taking rows."""
        while True:
            await asyncio.sleep(min(HEARTBEAT.total_seconds(), stale_after.total_seconds() / 3))
            with contextlib.suppress(Exception):  # a failed beat is retried; a stale lease is taken over
                latest = await stores.intake.last_run(job_id)
                if latest is not None and latest[0] != number:
                    lease_lost.set()
                    return
                await stores.intake.heartbeat(job_id, number, datetime.now(UTC))

    heart = asyncio.create_task(beat())
    ended: type[Exception] | None = None
    try:
        # Rows of one child (same name and birth date) go in file order, one after another:
        # the second then meets the first as a duplicate, as two forms sent in turn would.
        groups: dict[tuple[str, str], list[Row]] = {}
        for r in pending:
            groups.setdefault(child_key(r), []).append(r)
        # One row failing stops them all (TaskGroup cancels the rest); its claimed rows are
        # taken up by the next run.
        async with asyncio.TaskGroup() as tasks:
            for rows in groups.values():
                tasks.create_task(group(rows))
    except* _LeaseLost:
        ended = _LeaseLost  # the later run goes on
    except* _AccountDisabled:
        ended = _AccountDisabled
    finally:
        heart.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heart
    if ended is _AccountDisabled:
        await _stop(stores, job, account, number)
    if ended is not None:
        return True
    results = await stores.intake.results(job_id)
    counts = {o.value: sum(1 for r in results if r.outcome is o) for o in IntakeOutcome}
    session = Session(Actor(account, f"intake-{job.file_sha256[:16]}"), stores, loaders, page_size_max)
    await session.audit(
        "intake:finished", "intake_job", job.id, school_code=job.school_code,
        details={"counts": counts, "enrolled": [r.number for r in results if r.outcome is IntakeOutcome.ENROLLED], "run": number},
    )
    await stores.intake.finish(job_id, IntakeState.DONE, datetime.now(UTC))
    return True


class _LeaseLost(Exception):
    """A later run holds the job: this one stops taking rows."""


class _AccountDisabled(Exception):
    """The uploading account was disabled: the rows left are not processed."""


async def _stop(stores: Stores, job: IntakeJob, account: Account | None, run: int) -> None:
    results = await stores.intake.results(job.id)
    if account is not None:
        session = Session.open(Actor(account, f"intake-{job.file_sha256[:16]}"), stores)
        await session.audit(
            "intake:stopped", "intake_job", job.id, "ACCOUNT_DISABLED", school_code=job.school_code,
            details={"processed": len(results), "total": job.total, "run": run},
        )
    await stores.intake.finish(job.id, IntakeState.STOPPED, datetime.now(UTC))


def with_result(rows: list[Row], results: list[IntakeResult]) -> list[tuple[Row, IntakeResult | None]]:
    by_row = {r.row: r for r in results}
    return [(row, by_row.get(row.number)) for row in rows]


def report_row(row: Row, result: IntakeResult | None) -> Row:
    """The row as the report shows it: its number filled in once enrolled, so the same
    sheet, uploaded again after fixing the refused rows, enrols nothing twice."""
    if result is not None and result.number:
        return replace(row, values={**row.values, "number": result.number})
    return row
