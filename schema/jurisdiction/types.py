"""Areas and schools as the frontend sees them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import jurisdiction as j
from domain.access import may_see_registrars
from schema.context import Info
from schema.docs import describe_values

if TYPE_CHECKING:
    from schema.accounts.types import Registrar
    from schema.jurisdiction.list_types import SchoolVersion

AreaLevel = describe_values(
    strawberry.enum(j.AreaLevel, description="Level of an administrative area, read off its GB/T 2260 code."),
    {
        "PROVINCE": "Province (省), code `xx0000`; Henan is 410000.",
        "CITY": "Prefecture-level city (省辖市), code `xxxx00`.",
        "COUNTY": "County-level area (县 / 县级市 / 市辖区): any other code. Schools stand in one.",
    },
)
SchoolKind = describe_values(
    strawberry.enum(j.SchoolKind, description="Kinds of school these rules apply to (Art. 2), and the grades each offers."),
    {
        "PRIMARY": "小学: primary school, grades 1-6.",
        "JUNIOR_SECONDARY": "初级中学: junior secondary school, grades 7-9.",
        "NINE_YEAR": "九年一贯制学校: nine-year school, grades 1-9.",
        "TWELVE_YEAR": "十二年一贯制学校: twelve-year school; its compulsory grades 1-9 are managed here.",
        "SPECIAL_EDUCATION": "特殊教育学校: special-education school, grades 1-9; may admit a student with status "
        "elsewhere without a transfer (Art. 8).",
        "WORK_STUDY": "工读学校: work-study school, grades 7-9; may admit a student with status elsewhere without a "
        "transfer (Art. 8).",
    },
)
Ownership = describe_values(
    strawberry.enum(j.Ownership, description="Who runs the school: public (公办) or private (民办)."),
    {"PUBLIC": "公办: run by the state.", "PRIVATE": "民办: privately run, under the same rules."},
)


@strawberry.type(
    description="An administrative area, keyed by its 6-digit GB/T 2260 division code. You see your own area, the "
    "areas below it and those above it."
)
class Area:
    code: str = strawberry.field(description="The 6-digit GB/T 2260 division code, e.g. 410105.")
    name: str = strawberry.field(description="The area's name in Chinese, e.g. 金水区.")
    level: AreaLevel = strawberry.field(description="Province, city or county.")  # type: ignore[valid-type]
    parent_code: str | None = strawberry.field(description="The code of the area above it; null for the province.")

    @classmethod
    def of(cls, area: j.Area) -> Area:
        return cls(code=area.code, name=area.name, level=area.level, parent_code=area.parent_code)

    @strawberry.field(description="The area above this one, when you may see it.")
    async def parent(self, info: Info) -> Area | None:
        if self.parent_code is None or not (await info.context.area_scope()).contains(self.parent_code):
            return None
        found = await info.context.loaders.area.load(self.parent_code)
        return Area.of(found) if found else None


@strawberry.type(
    description="A school, keyed by its 10-digit school identifier (学校标识码). Who sees which schools: see the "
    "README access table (a registrar its own school, a county the schools it supervises, …)."
)
class School:
    code: str = strawberry.field(description="The 10-digit school identifier (学校标识码).")
    name: str = strawberry.field(description="The school's name in Chinese.")
    kind: SchoolKind = strawberry.field(description="The kind of school; it decides the grades offered.")  # type: ignore[valid-type]
    ownership: Ownership = strawberry.field(description="Public (公办) or private (民办).")  # type: ignore[valid-type]
    area_code: str = strawberry.field(description="The county-level area the school stands in.")
    supervisor_code: str = strawberry.field(
        description="Area code of the supervising department (学籍主管部门): the county, or a city / the province for 直管学校."
    )
    directly_managed: bool = strawberry.field(description="直管学校: supervised by a city or the province (Art. 3).")
    address: str | None = strawberry.field(description="The school's postal address; null until recorded.")
    phone: str | None = strawberry.field(description="The school's contact phone; null until recorded.")
    paper_archive_location: str | None = strawberry.field(
        description="Where the school keeps its paper archive files (Art. 9)."
    )
    closed: str | None = strawberry.field(
        default=None,
        description="MERGED or CLOSED once its merger or closure is recorded (Art. 19; schoolHandover has the "
        "handover, by this school's code); null while the school is open.",
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
            closed=school.closed,
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

    @strawberry.field(
        description="The school's logged versions, oldest first: created or changed by a list import (with the "
        "list's effective date) or by a contact update. Schools loaded before the log start at their first change."
    )
    async def history(self, info: Info) -> list[Annotated["SchoolVersion", strawberry.lazy("schema.jurisdiction.list_types")]]:
        from schema.jurisdiction.list_types import SchoolVersion

        return [SchoolVersion.of(v) for v in await info.context.stores.schools.history(self.code)]
