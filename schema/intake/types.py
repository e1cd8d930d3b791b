"""GraphQL types of bulk-intake jobs."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import strawberry

from domain.intake import COLUMN_HEADER, IntakeJob as Job, IntakeOutcome as Outcome, IntakeResult, IntakeState as State
from domain.ports import Page
from schema.context import Info
from schema.docs import describe_values
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor

IntakeOutcome = describe_values(
    strawberry.enum(Outcome, name="IntakeOutcome", description="What became of one row of an intake file."),
    {
        "ENROLLED": "A new dossier was established; `number` is its student number.",
        "ALREADY_ENROLLED": "The row names a student this school already has (by number or identity); nothing changed.",
        "REFUSED": "A value or a rule refused the row (see `problems`); nothing changed. Fix it and upload again.",
        "NEEDS_REVIEW": "Possible duplicates (see `candidates`); check them, then confirm in the file or enrol by hand.",
    },
)
IntakeState = describe_values(
    strawberry.enum(State, name="IntakeState", description="Where an intake job stands."),
    {
        "RUNNING": "Rows are being enrolled (resumed automatically if the server restarts).",
        "DONE": "Every row has its result.",
        "STOPPED": "The uploading account was disabled; the rows left were not processed.",
    },
)


@strawberry.type(description="Why a row was refused or needs review: the column, the stable code and the message.")
class IntakeProblem:
    column: str | None = strawberry.field(description="The column's key in the template (null: the row as a whole).")
    header: str | None = strawberry.field(description="The column's Chinese header in the template.")
    code: str = strawberry.field(description="A stable error code, as `enrollStudent` returns (see its error enum).")
    message: str = strawberry.field(description="What is wrong, in words a registrar can act on.")


@strawberry.type(description="One row of an intake file and what became of it.")
class IntakeRow:
    row: int = strawberry.field(description="The row number the spreadsheet shows (the header row counts).")
    outcome: IntakeOutcome = strawberry.field(description="Enrolled, already enrolled, refused or needs review.")  # type: ignore[valid-type]
    number: str | None = strawberry.field(description="The student number, for enrolled and already enrolled rows.")
    problems: list[IntakeProblem] = strawberry.field(description="Why the row was refused or needs review; empty otherwise.")
    candidates: list[str] = strawberry.field(
        description="Possible duplicates: number and name where you may see them, a masked name otherwise."
    )

    @classmethod
    def of(cls, r: IntakeResult) -> IntakeRow:
        return cls(
            row=r.row,
            outcome=r.outcome,
            number=r.number,
            problems=[IntakeProblem(column=p.column, header=COLUMN_HEADER.get(p.column or ""), code=p.code, message=p.message) for p in r.problems],
            candidates=list(r.candidates),
        )


@strawberry.type(description="How many rows ended each way so far.")
class IntakeCounts:
    enrolled: int = strawberry.field(description="Rows that became new dossiers.")
    already_enrolled: int = strawberry.field(description="Rows naming students the school already had.")
    refused: int = strawberry.field(description="Rows refused by a value or a rule.")
    needs_review: int = strawberry.field(description="Rows held back as possible duplicates.")


@strawberry.type(description="A bulk intake: one uploaded spreadsheet of new entrants for one school (Art. 5, 6).")
class IntakeJob:
    id: strawberry.ID = strawberry.field(description="The job's id: the school and the file's SHA-256.")
    school_code: str = strawberry.field(description="The school the rows are enrolled at.")
    file_name: str = strawberry.field(description="The uploaded file's name.")
    created_by: str = strawberry.field(description="The registrar who uploaded it; rows are enrolled as them.")
    created_at: datetime = strawberry.field(description="When the file was uploaded.")
    total: int = strawberry.field(description="How many data rows the file has.")
    state: IntakeState = strawberry.field(description="Running, done or stopped.")  # type: ignore[valid-type]
    finished_at: datetime | None = strawberry.field(description="When the last row got its result; null while running.")
    report_path: str = strawberry.field(
        description="GET this path (with your bearer token) for the report as XLSX: every row, refused ones highlighted."
    )
    _results: strawberry.Private[asyncio.Future[list[IntakeResult]] | None] = None

    async def results(self, info: Info) -> list[IntakeResult]:
        """The job's results, read once per request however many fields ask for them."""
        if self._results is None:
            self._results = asyncio.ensure_future(info.context.stores.intake.results(str(self.id)))
        return await self._results

    @classmethod
    def of(cls, job: Job) -> IntakeJob:
        return cls(
            id=strawberry.ID(job.id),
            school_code=job.school_code,
            file_name=job.file_name,
            created_by=job.created_by,
            created_at=job.created_at,
            total=job.total,
            state=job.state,
            finished_at=job.finished_at,
            report_path=f"/intake/report.xlsx?job={job.id}",
        )

    @strawberry.field(description="How many rows have a result so far (progress: `processed` of `total`).")
    async def processed(self, info: Info) -> int:
        return len(await self.results(info))

    @strawberry.field(description="How many rows ended each way so far.")
    async def counts(self, info: Info) -> IntakeCounts:
        results = await self.results(info)

        def n(o: Outcome) -> int:
            return sum(1 for r in results if r.outcome is o)

        return IntakeCounts(
            enrolled=n(Outcome.ENROLLED), already_enrolled=n(Outcome.ALREADY_ENROLLED), refused=n(Outcome.REFUSED), needs_review=n(Outcome.NEEDS_REVIEW)
        )

    @strawberry.field(description="The rows with a result, in file order; `outcome` narrows them. " + FORWARD_ONLY)
    async def rows(
        self,
        info: Info,
        outcome: Annotated[IntakeOutcome | None, strawberry.argument(description="Only rows that ended this way.")] = None,  # type: ignore[valid-type]
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[IntakeRow]:
        size = check_first(first, info.context.page_size_max)
        cursor = decode_cursor("intake-row", after)
        start = int(cursor) if cursor and cursor.isdigit() else 0
        results = [r for r in await self.results(info) if outcome is None or r.outcome is outcome]
        later = [r for r in results if r.row > start]
        page = Page([IntakeRow.of(r) for r in later[:size]], [str(r.row) for r in later[:size]], len(later) > size, len(results))
        return connection("intake-row", page, after=after)
