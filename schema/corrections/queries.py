from __future__ import annotations

from typing import Annotated

import strawberry

from domain.errors import DomainError
from schema.context import Info
from schema.docs import STUDENT_NUMBER_ARG
from application import corrections as usecases
from schema.corrections.types import Correction
from application import students as student_usecases


@strawberry.type
class CorrectionQueries:
    @strawberry.field(description="A correction request (Art. 10); null when there is none or it is outside your scope.")
    async def correction(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The correction's id.")]
    ) -> Correction | None:
        try:
            return Correction.of(await usecases.correction_in_scope(info.context, str(id)))
        except DomainError:
            return None

    @strawberry.field(description="Every correction request of a student, oldest first; null outside your scope.")
    async def corrections(
        self, info: Info, number: Annotated[str, strawberry.argument(description=STUDENT_NUMBER_ARG)]
    ) -> list[Correction] | None:
        try:
            row, _ = await student_usecases.student_in_scope(info.context, number)
        except DomainError:
            return None
        return [Correction.of(c) for c in await info.context.stores.corrections.for_dossier(row.dossier.id)]
