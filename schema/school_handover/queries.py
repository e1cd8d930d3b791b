"""Reading a school handover."""

from __future__ import annotations

from typing import Annotated

import strawberry
from graphql import GraphQLError

from application import school_handover as usecases
from schema.context import Info
from schema.inputs import check_area_code
from schema.school_handover.types import SchoolHandover
from schema.students.types import Student


@strawberry.type
class SchoolHandoverQueries:
    @strawberry.field(
        description="A school merger's or closure's handover, for the sender's supervising department, the receiver's "
        "registrar, and departments, archivists and auditors who see either school; null otherwise."
    )
    async def school_handover(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The handover id (the sending school's code).")]
    ) -> SchoolHandover | None:
        found = await usecases.get(info.context, str(id))
        return None if found is None else SchoolHandover(handover=found)

    @strawberry.field(
        description="Students still studying (enrolled, suspended, abroad, dropped out) at a school of the area that "
        "closed with its archive going to an archive unit: they have no school until a transfer places them (Art. 19). "
        "For the departments over the area; anyone else gets a FORBIDDEN error."
    )
    async def unplaced_after_closure(
        self, info: Info, area_code: Annotated[str, strawberry.argument(description="A county, city or province area code (6 digits).")]
    ) -> list[Student]:
        rows = await usecases.unplaced_after_closure(info.context, check_area_code(area_code))
        if rows is None:
            raise GraphQLError("only the departments over this area see its unplaced students", extensions={"code": "FORBIDDEN"})
        return [Student.of(row) for row in rows]
