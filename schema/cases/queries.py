"""Cases: one by id with its timeline, lists and inboxes, reminders, the working calendar."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from domain.calendar import check_year
from domain.errors import DomainError
from domain.ports import CaseFilter
from domain.student_number import normalise_number
from domain.text import identifier
from domain.workflows.engine import CaseKind, CaseState
from application import cases as usecases
from schema.cases.types import Case, CaseKindType, CaseStateType, CalendarYear, Reminder
from schema.context import Info
from schema.inputs import bad_input
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor


def _number(number: str) -> str:
    try:
        return normalise_number(number)
    except DomainError as e:
        raise bad_input(e) from e


@strawberry.input(description="Filters for `cases`; all combine with AND, and null ones do not filter.")
class CaseFilterInput:
    kind: CaseKindType | None = strawberry.field(default=None, description="Only cases of this kind.")  # type: ignore[valid-type]
    state: CaseStateType | None = strawberry.field(default=None, description="Only cases in this state.")  # type: ignore[valid-type]
    school_code: str | None = strawberry.field(
        default=None, description="Only cases with this school as a party (学校标识码), sending or receiving."
    )
    number: str | None = strawberry.field(default=None, description="Only cases of this student number.")
    overdue: bool | None = strawberry.field(default=None, description="Open cases whose current step is past its due date.")
    awaiting_my_decision: bool | None = strawberry.field(default=None, description="Your inbox: steps waiting for your school or department, and steps escalated to you.")


@strawberry.type
class CaseQueries:
    @strawberry.field(description="A case with its steps and timeline; null outside your scope.")
    async def case(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The case's id (`Case.id`).")]
    ) -> Case | None:
        try:
            return Case(case=await usecases.case_in_scope(info.context, str(id)))
        except DomainError:
            return None

    @strawberry.field(
        description="Cases of a school you see (the student's school or the other school of the case); with "
        "`filter.awaitingMyDecision`, your inbox instead. Ordered by case id (stable, not by date). " + FORWARD_ONLY
    )
    async def cases(
        self, info: Info, first: First = DEFAULT_PAGE_SIZE, after: After = None, filter: Annotated[
            CaseFilterInput | None, strawberry.argument(description="Narrow the list, or ask for your inbox.")
        ] = None,
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
        return connection("case", page.map(lambda c: Case(case=c)), after=after)

    @strawberry.field(
        description="Reminders to the schools in your scope (e.g. suspensions that ran out), by due date, earliest first."
    )
    async def reminders(self, info: Info) -> list[Reminder]:
        found = await info.context.stores.cases.reminders(info.context.student_scope_key)
        return [Reminder(id=strawberry.ID(r.id), kind=r.kind, school_code=r.school_code, number=r.number, due=r.due, message=r.message) for r in found]

    @strawberry.field(
        description="A year of the working calendar used for deadlines: holidays and 调休 working weekends. Any role."
    )
    async def working_calendar(
        self,
        info: Info,
        year: Annotated[int, strawberry.argument(description="The calendar year, 2000 to 2100 (else BAD_USER_INPUT).")],
    ) -> CalendarYear:
        try:
            check_year(year)
        except DomainError as e:
            raise bad_input(e) from e
        calendar = await usecases.working_calendar(info.context.stores)
        s = calendar.schedule(year)
        return CalendarYear(year=year, published=s.published, source=s.source, days_off=sorted(s.days_off), workdays=sorted(s.workdays))
