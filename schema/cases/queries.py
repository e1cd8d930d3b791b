"""Cases: one by id with its timeline, lists and inboxes, reminders, the working calendar."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.calendar import check_year
from domain.errors import DomainError
from domain.ports import CaseFilter
from domain.student_number import normalise_number
from domain.text import identifier
from domain.workflows.engine import CaseKind, CaseState
from schema.cases import usecases
from schema.cases.types import Case, CaseKindType, CaseStateType, CalendarYear, Reminder
from schema.context import Info
from schema.inputs import bad_input
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, check_first, connection, decode_cursor


def _number(number: str) -> str:
    try:
        return normalise_number(number)
    except DomainError as e:
        raise bad_input(e) from e


@strawberry.input(description="Filters for `cases`; all combine with AND.")
class CaseFilterInput:
    kind: CaseKindType | None = None  # type: ignore[valid-type]
    state: CaseStateType | None = None  # type: ignore[valid-type]
    school_code: str | None = None
    number: str | None = None
    overdue: bool | None = strawberry.field(default=None, description="Open cases whose current step is past its due date.")
    awaiting_my_decision: bool | None = strawberry.field(default=None, description="Your inbox: steps waiting for your school or department, and steps escalated to you.")


@strawberry.type
class CaseQueries:
    @strawberry.field(description="A case with its steps and timeline; null outside your scope.")
    async def case(self, info: Info, id: strawberry.ID) -> Case | None:
        try:
            return Case(case=await usecases.case_in_scope(info.context, str(id)))
        except DomainError:
            return None

    @strawberry.field(description="Cases of the schools in your scope (and those waiting for you), by id.")
    async def cases(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, filter: CaseFilterInput | None = None
    ) -> Connection[Case]:
        ctx = info.context
        f = filter or CaseFilterInput()
        inbox = bool(f.awaiting_my_decision)
        scope_code = ctx.account.scope_code
        page = await ctx.stores.cases.page(
            None if inbox else ctx.student_scope_key,
            CaseFilter(
                kind=CaseKind(f.kind) if f.kind else None,
                state=CaseState(f.state) if f.state else None,
                school_code=identifier(f.school_code) if f.school_code is not None else None,
                number=_number(f.number) if f.number else None,
                overdue_on=date.today() if f.overdue else None,
                awaiting_codes=((scope_code,) if scope_code else ()) if inbox else None,
            ),
            after=decode_cursor("case", after),
            first=check_first(first, ctx.page_size_max),
        )
        return connection("case", page.map(lambda c: Case(case=c)))

    @strawberry.field(description="Reminders to the schools in your scope (e.g. suspensions that ran out).")
    async def reminders(self, info: Info) -> list[Reminder]:
        found = await info.context.stores.cases.reminders(info.context.student_scope_key)
        return [Reminder(id=strawberry.ID(r.id), kind=r.kind, school_code=r.school_code, number=r.number, due=r.due, message=r.message) for r in found]

    @strawberry.field(description="A year of the working calendar used for deadlines (2000-2100).")
    async def working_calendar(self, info: Info, year: int) -> CalendarYear:
        try:
            check_year(year)
        except DomainError as e:
            raise bad_input(e) from e
        calendar = await usecases.working_calendar(info.context.stores)
        s = calendar.schedule(year)
        return CalendarYear(year=year, published=s.published, source=s.source, days_off=sorted(s.days_off), workdays=sorted(s.workdays))
