"""Areas and schools as the frontend sees them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import jurisdiction as j
from domain.access import may_see_registrars
from schema.context import Info

if TYPE_CHECKING:
    from schema.accounts.types import Registrar

AreaLevel = strawberry.enum(j.AreaLevel, description="Level of an administrative area.")
SchoolKind = strawberry.enum(j.SchoolKind, description="Kinds of school these rules apply to (Art. 2).")
Ownership = strawberry.enum(j.Ownership, description="Public (公办) or private (民办).")


@strawberry.type(description="An administrative area, keyed by its 6-digit GB/T 2260 division code.")
class Area:
    code: str
    name: str
    level: AreaLevel  # type: ignore[valid-type]
    parent_code: str | None

    @classmethod
    def of(cls, area: j.Area) -> Area:
        return cls(code=area.code, name=area.name, level=area.level, parent_code=area.parent_code)

    @strawberry.field(description="The area above this one, when you may see it.")
    async def parent(self, info: Info) -> Area | None:
        if self.parent_code is None or not (await info.context.area_scope()).contains(self.parent_code):
            return None
        found = await info.context.loaders.area.load(self.parent_code)
        return Area.of(found) if found else None


@strawberry.type(description="A school, keyed by its 10-digit school identifier (学校标识码).")
class School:
    code: str
    name: str
    kind: SchoolKind  # type: ignore[valid-type]
    ownership: Ownership  # type: ignore[valid-type]
    area_code: str = strawberry.field(description="The county-level area the school stands in.")
    supervisor_code: str = strawberry.field(
        description="Area code of the supervising department (学籍主管部门): the county, or a city / the province for 直管学校."
    )
    directly_managed: bool = strawberry.field(description="直管学校: supervised by a city or the province (Art. 3).")
    address: str | None
    phone: str | None
    paper_archive_location: str | None = strawberry.field(
        description="Where the school keeps its paper archive files (Art. 9)."
    )

    @classmethod
    def of(cls, school: j.School) -> School:
        return cls(
            code=school.code,
            name=school.name,
            kind=school.kind,
            ownership=school.ownership,
            area_code=school.area_code,
            supervisor_code=school.supervisor_code,
            directly_managed=school.directly_managed,
            address=school.address,
            phone=school.phone,
            paper_archive_location=school.paper_archive_location,
        )

    @strawberry.field(description="The county-level area the school stands in.")
    async def area(self, info: Info) -> Area:
        found = await info.context.loaders.area.load(self.area_code)
        assert found is not None, f"school {self.code} refers to unknown area {self.area_code}"
        return Area.of(found)

    @strawberry.field(description="The area whose education department supervises this school's 学籍.")
    async def supervising_department(self, info: Info) -> Area:
        found = await info.context.loaders.area.load(self.supervisor_code)
        assert found is not None, f"school {self.code} refers to unknown area {self.supervisor_code}"
        return Area.of(found)

    @strawberry.field(
        description="The school's registrars and their training, filed with the supervising level (备案, Art. 22). "
        "Null unless you are this school's registrar, a department over it, or the admin."
    )
    async def registrars(
        self, info: Info
    ) -> list[Annotated["Registrar", strawberry.lazy("schema.accounts.types")]] | None:
        from schema.accounts.types import Registrar

        if not may_see_registrars(info.context.account, self.code):
            return None
        return [Registrar.of(a) for a in await info.context.stores.accounts.registrars_of([self.code])]
