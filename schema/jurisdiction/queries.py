"""Queries over areas and schools; every result is filtered by the caller's scope."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.context import Info
from schema.docs import AREA_CODE, SCHOOL_CODE
from domain.text import identifier
from schema.inputs import check_area_code
from schema.jurisdiction.types import Area, School, SchoolKind
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor


@strawberry.input(description="Narrow the schools list. All filters combine with AND, and null ones do not filter.")
class SchoolFilter:
    area_code: str | None = strawberry.field(
        default=None, description="Only schools standing in this province, city or county (6-digit GB/T 2260 code)."
    )
    kind: SchoolKind | None = strawberry.field(default=None, description="Only schools of this kind.")  # type: ignore[valid-type]
    supervisor_code: str | None = strawberry.field(
        default=None, description="Only schools supervised by the department of this area code (e.g. a city's 直管学校)."
    )


@strawberry.type
class JurisdictionQueries:
    @strawberry.field(description="Areas you may see: your own area, those below it and the path above it.")
    async def areas(
        self,
        info: Info,
        parent_code: Annotated[
            str | None, strawberry.argument(description="Only the areas directly below this area code; null for all.")
        ] = None,
    ) -> list[Area]:
        scope = await info.context.area_scope()
        parent = identifier(parent_code) if parent_code is not None else None
        return [Area.of(a) for a in await info.context.stores.areas.list(parent_code=parent) if scope.contains(a.code)]

    @strawberry.field(description="One area by its 6-digit code; null when missing or outside your scope.")
    async def area(self, info: Info, code: Annotated[str, strawberry.argument(description=AREA_CODE)]) -> Area | None:
        code = identifier(code)
        if not (await info.context.area_scope()).contains(code):
            return None
        found = await info.context.loaders.area.load(code)
        return Area.of(found) if found else None

    @strawberry.field(description="Schools in your scope (see the README access table), ordered by school identifier. " + FORWARD_ONLY)
    async def schools(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter: Annotated[
            SchoolFilter | None, strawberry.argument(description="Narrow the list; null for every school you see.")
        ] = None,
    ) -> Connection[School]:
        f = filter or SchoolFilter()
        area_code = check_area_code(f.area_code) if f.area_code is not None else None
        page = await info.context.stores.schools.page(
            info.context.school_scope,
            area_code=area_code,
            kind=f.kind,
            supervisor_code=identifier(f.supervisor_code) if f.supervisor_code is not None else None,
            after=decode_cursor("school", after),
            first=check_first(first, info.context.page_size_max),
        )
        return connection("school", page.map(School.of), after=after)

    @strawberry.field(description="One school by its 10-digit identifier; null when missing or outside your scope.")
    async def school(
        self, info: Info, code: Annotated[str, strawberry.argument(description=SCHOOL_CODE)]
    ) -> School | None:
        found = await info.context.stores.schools.get(identifier(code), info.context.school_scope)
        return School.of(found) if found else None
