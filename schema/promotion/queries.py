"""Reading year-end plans and the primary graduates still to be placed (Art. 17)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from application import promotion as usecases
from domain.errors import DomainError
from schema.context import Info
from schema.docs import AREA_CODE
from schema.inputs import check_area_code
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor
from schema.promotion.types import YearEndPlan
from schema.students.types import Student


@strawberry.type
class PromotionQueries:
    @strawberry.field(
        description="A year-end plan with its job's progress (poll it while RUNNING); null when there is none or you "
        "do not see every school it covers (its registrar or supervising department, and auditors of the area)."
    )
    async def year_end_plan(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The plan's id (`YearEndPlan.id`).")]
    ) -> YearEndPlan | None:
        try:
            plan = await usecases.plan_in_scope(info.context, str(id), "id")
        except DomainError:
            return None
        return YearEndPlan.of(await usecases.status(info.context.stores, plan))

    @strawberry.field(
        description="Primary graduates of schools in the area not placed at a junior school by the end of the term "
        "they graduated in: compulsory-education children out of school (Art. 17). For the departments and auditors "
        "over the area; empty for anyone else. By student id. " + FORWARD_ONLY
    )
    async def unplaced_graduates(
        self,
        info: Info,
        area_code: Annotated[str, strawberry.argument(description=AREA_CODE + " Else BAD_USER_INPUT.")],
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Student]:
        ctx = info.context
        code = check_area_code(area_code)
        page = await usecases.unplaced_graduates(
            ctx, code, after=decode_cursor("student", after), first=check_first(first, ctx.page_size_max)
        )
        return connection("student", page.map(Student.of), after=after)
