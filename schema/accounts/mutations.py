"""Recording a registrar's training (Art. 22: 先培训后上岗)."""

from __future__ import annotations

from datetime import date

from typing import Annotated

import strawberry

from domain.access import ROLE_CODES, require_training_recorder
from domain.accounts import Role
from domain.error_codes import declared
from domain.errors import DomainError, NotFound
from schema.accounts.types import Registrar
from schema.docs import describe_error
from schema.context import Info
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited

# The registrar is looked up in your scope; only its supervising department records training (Art. 22).
RECORD_TRAINING_CODES = declared("NOT_FOUND", *ROLE_CODES, "TRAINING_DATE_IN_FUTURE")


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
            registrar = await ctx.stores.accounts.get(input.login)
            if registrar is None or registrar.role is not Role.SCHOOL_REGISTRAR or registrar.scope_code is None:
                raise NotFound("login", "registrar")
            school = await ctx.stores.schools.get(registrar.scope_code, ctx.school_scope)
            if school is None:
                raise NotFound("login", "registrar")
            require_training_recorder(ctx.account, school)
            if input.completed_on > date.today():
                raise DomainError("completedOn", "training cannot be completed in the future", "TRAINING_DATE_IN_FUTURE")
            updated = await ctx.stores.accounts.record_training(input.login, input.completed_on, ctx.stamp())
            assert updated is not None
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
