"""Reading bulk-intake jobs: the school's registrar and the departments above it."""

from __future__ import annotations

from typing import Annotated

import strawberry

from application import intake
from domain.errors import DomainError
from domain.ports import Page
from domain.text import identifier
from schema.context import Info
from schema.intake.types import IntakeJob
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor


@strawberry.type
class IntakeQueries:
    @strawberry.field(
        description="A bulk intake by id (the `job.id` POST /intake answered with): its progress and its rows. Null "
        "when no job in your scope has this id."
    )
    async def intake_job(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The job's id.")]
    ) -> IntakeJob | None:
        try:
            return IntakeJob.of(await intake.job_in_scope(info.context, str(id)))
        except DomainError:
            return None

    @strawberry.field(description="A school's bulk intakes, oldest first. Empty outside your scope. " + FORWARD_ONLY)
    async def intake_jobs(
        self,
        info: Info,
        school_code: Annotated[str, strawberry.argument(description="The school's 10-digit identifier (学校标识码).")],
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[IntakeJob]:
        ctx = info.context
        size = check_first(first, ctx.page_size_max)
        school = await ctx.stores.schools.get(identifier(school_code), ctx.school_scope)
        if school is None:
            return connection("intake", Page[IntakeJob]([], [], False, 0), after=after)
        page = await ctx.stores.intake.for_school(school.code, after=decode_cursor("intake", after), first=size)
        return connection("intake", page.map(IntakeJob.of), after=after)
