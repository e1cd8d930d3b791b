"""Reading a school handover."""

from __future__ import annotations

from typing import Annotated

import strawberry

from application import school_handover as usecases
from schema.context import Info
from schema.school_handover.types import SchoolHandover


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
