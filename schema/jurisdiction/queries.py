"""Queries over areas and schools; every result is filtered by the caller's scope."""

from __future__ import annotations

import strawberry

from schema.context import Info
from domain.text import identifier
from schema.inputs import check_area_code
from schema.jurisdiction.types import Area, School, SchoolKind
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor


@strawberry.input(description="Narrow the schools list. All filters combine with AND.")
class SchoolFilter:
    area_code: str | None = strawberry.field(default=None, description="Province, city or county code.")
    kind: SchoolKind | None = None  # type: ignore[valid-type]
    supervisor_code: str | None = strawberry.field(default=None, description="Supervising department's area code.")


@strawberry.type
class JurisdictionQueries:
    @strawberry.field(description="Areas you may see: your own area, those below it and the path above it.")
    async def areas(self, info: Info, parent_code: str | None = None) -> list[Area]:
        scope = await info.context.area_scope()
        parent = identifier(parent_code) if parent_code is not None else None
        return [Area.of(a) for a in await info.context.stores.areas.list(parent_code=parent) if scope.contains(a.code)]

    @strawberry.field(description="One area by its 6-digit code; null when missing or outside your scope.")
    async def area(self, info: Info, code: str) -> Area | None:
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
        filter: SchoolFilter | None = None,
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
    async def school(self, info: Info, code: str) -> School | None:
        found = await info.context.stores.schools.get(identifier(code), info.context.school_scope)
        return School.of(found) if found else None
