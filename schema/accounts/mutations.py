"""Recording a registrar's training (Art. 22: 先培训后上岗)."""

from __future__ import annotations

from datetime import date

from typing import Annotated

import strawberry

from application import accounts
from application.accounts import RECORD_TRAINING_CODES
from schema.accounts.types import Registrar
from schema.docs import describe_error
from schema.context import Info
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited



@strawberry.enum(description="Stable codes of recordRegistrarTraining errors: exactly the ones it can return.")
class RecordRegistrarTrainingErrorCode(ErrorCode, codes=(*RECORD_TRAINING_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="A registrar's completed training (先培训后上岗, Art. 22).")
class RecordRegistrarTrainingInput:
    login: str = strawberry.field(description="The registrar's login.")
    completed_on: date = strawberry.field(description="The day the training was completed (ISO 8601 date, not in the future).")


@strawberry.type(description="The training was recorded; the registrar may now write.")
class RecordRegistrarTrainingSuccess:
    registrar: Registrar = strawberry.field(description="The registrar, with `trainedOn` set.")


@strawberry.type
class RecordRegistrarTrainingError:
    field: str | None
    message: str
    code: RecordRegistrarTrainingErrorCode


RecordRegistrarTrainingResult = Annotated[RecordRegistrarTrainingSuccess | RecordRegistrarTrainingError, strawberry.union("RecordRegistrarTrainingResult", description="What `recordRegistrarTraining` returns: the trained registrar, or the typed error.")]
describe_error(RecordRegistrarTrainingError, "recordRegistrarTraining")


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="The supervising department records that a registrar completed training; "
        "until then the registrar can read but not write (Art. 22)."
    )
    async def record_registrar_training(
        self,
        info: Info,
        input: Annotated[RecordRegistrarTrainingInput, strawberry.argument(description="Who was trained, and when.")],
    ) -> RecordRegistrarTrainingResult:
        ctx = info.context

        async def body() -> Outcome[RecordRegistrarTrainingSuccess]:
            updated, school = await accounts.record_training(ctx, input.login, input.completed_on)
            return Outcome(
                RecordRegistrarTrainingSuccess(registrar=Registrar.of(updated)),
                school_code=school.code,
                details={"completedOn": input.completed_on.isoformat()},
            )

        return await audited(
            ctx,
            action="mutation:recordRegistrarTraining",
            target=("account", input.login),
            errors=(RecordRegistrarTrainingError, RecordRegistrarTrainingErrorCode),
            body=body,
        )
