"""Correction requests for key basic data (Art. 10)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from domain.corrections import CorrectionChanges, Decision
from domain.identity import ID_DOCUMENT_CODES, Sex
from domain.text import MULTI_LINE, TEXT_CODES, clean_text, optional_text
from schema.context import Info
from application import corrections as usecases
from schema.docs import describe_error
from schema.corrections.types import Correction, DecisionType
from schema.errors import OPEN_BUSINESS_ID, OPEN_BUSINESS_KIND, RACE_CODES, ErrorCode, Outcome, audited, open_business_fields
from schema.students.inputs import IdDocumentInput
from schema.students.mutations import DuplicateCandidate
from schema.students.types import SexType, Student


@strawberry.enum(description="Stable codes of requestCorrection errors: exactly the ones it can return.")
class RequestCorrectionErrorCode(ErrorCode, codes=(
    *usecases.REQUEST_CORRECTION_CODES, *ID_DOCUMENT_CODES, *TEXT_CODES, *RACE_CODES
)):
    ...


@strawberry.enum(description="Stable codes of decideCorrection errors: exactly the ones it can return.")
class DecideCorrectionErrorCode(ErrorCode, codes=(*usecases.DECIDE_CORRECTION_CODES, *TEXT_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of withdrawCorrection errors: exactly the ones it can return.")
class WithdrawCorrectionErrorCode(ErrorCode, codes=(*usecases.WITHDRAW_CORRECTION_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="The corrected values; give only those that change.")
class CorrectionChangesInput:
    name: str | None = strawberry.field(default=None, description="The corrected full name (姓名).")
    former_name: str | None = strawberry.field(default=None, description="The corrected former name (曾用名).")
    sex: SexType | None = strawberry.field(default=None, description="The corrected sex (GB/T 2261.1).")  # type: ignore[valid-type]
    birth_date: date | None = strawberry.field(default=None, description="The corrected date of birth (ISO 8601 date).")
    id_document: IdDocumentInput | None = strawberry.field(
        default=None,
        description="The corrected identity document; a resident ID gives the `G` number, the old number stays an alias.",
    )

    def to_domain(self) -> CorrectionChanges:
        return CorrectionChanges(
            name=optional_text("changes.name", self.name),
            former_name=optional_text("changes.formerName", self.former_name),
            sex=Sex(self.sex) if self.sex else None,
            birth_date=self.birth_date,
            id_document=self.id_document.to_domain() if self.id_document else None,
        )


@strawberry.input(description="A guardian's request to correct basic data, entered by the school (Art. 10).")
class RequestCorrectionInput:
    number: str = strawberry.field(description="The student number (or an alias).")
    changes: CorrectionChangesInput = strawberry.field(description="The corrected values; at least one.")
    reason: str = strawberry.field(description="Why the data is wrong, at most 2000 characters, line breaks allowed.")
    evidence: list[str] = strawberry.field(
        description="Ids of the uploaded scans (POST /uploads): the household register (居民户口簿) or other proof."
    )


@strawberry.type(description="The request was entered and waits for the school's decision (PENDING_SCHOOL).")
class RequestCorrectionSuccess:
    correction: Correction = strawberry.field(description="The new correction request.")


@strawberry.type
class RequestCorrectionError:
    field: str | None
    message: str
    code: RequestCorrectionErrorCode
    open_business_id: strawberry.ID | None = strawberry.field(default=None, description=OPEN_BUSINESS_ID)
    open_business_kind: str | None = strawberry.field(default=None, description=OPEN_BUSINESS_KIND)


RequestCorrectionResult = Annotated[
    RequestCorrectionSuccess | RequestCorrectionError, strawberry.union(
        "RequestCorrectionResult", description="What `requestCorrection` returns: the new request, or the typed error."
    )
]
describe_error(RequestCorrectionError, "requestCorrection")


@strawberry.input(description="A decision on the current step of a correction.")
class DecideCorrectionInput:
    id: strawberry.ID = strawberry.field(description="The correction's id.")
    decision: DecisionType = strawberry.field(description="Approve or reject.")  # type: ignore[valid-type]
    comment: str | None = strawberry.field(default=None, description="Required when rejecting.")


@strawberry.type(description="The decision was recorded; on the department's approval the change is applied.")
class DecideCorrectionSuccess:
    correction: Correction = strawberry.field(description="The correction after the decision.")
    student: Student | None = strawberry.field(description="The corrected dossier, once applied.")
    duplicate_candidates: list[DuplicateCandidate] = strawberry.field(
        description="After name, identity, sex or birth date changed: likely duplicates for review."
    )


@strawberry.type
class DecideCorrectionError:
    field: str | None
    message: str
    code: DecideCorrectionErrorCode


DecideCorrectionResult = Annotated[DecideCorrectionSuccess | DecideCorrectionError, strawberry.union("DecideCorrectionResult", description="What `decideCorrection` returns: the correction after the decision, or the typed error.")]
describe_error(DecideCorrectionError, "decideCorrection")


@strawberry.input(description="The open correction request to withdraw.")
class WithdrawCorrectionInput:
    id: strawberry.ID = strawberry.field(description="The correction's id.")


@strawberry.type(description="The request was withdrawn; the student's business is free again.")
class WithdrawCorrectionSuccess:
    correction: Correction = strawberry.field(description="The correction, now WITHDRAWN.")


@strawberry.type
class WithdrawCorrectionError:
    field: str | None
    message: str
    code: WithdrawCorrectionErrorCode


WithdrawCorrectionResult = Annotated[
    WithdrawCorrectionSuccess | WithdrawCorrectionError, strawberry.union("WithdrawCorrectionResult", description="What `withdrawCorrection` returns: the withdrawn request, or the typed error.")
]
describe_error(WithdrawCorrectionError, "withdrawCorrection")


@strawberry.type
class CorrectionMutations:
    @strawberry.mutation(
        description="Enter a guardian's request to correct key basic data (Art. 10), by the registrar of the student's "
        "school, with the household register scan; one open business per student."
    )
    async def request_correction(
        self, info: Info, input: Annotated[RequestCorrectionInput, strawberry.argument(description="The request to enter.")]
    ) -> RequestCorrectionResult:
        ctx = info.context

        async def body() -> Outcome[RequestCorrectionSuccess]:
            reason = clean_text("reason", input.reason, max_length=MULTI_LINE, multi_line=True)
            correction = await usecases.request(ctx, input.number, input.changes.to_domain(), reason, tuple(input.evidence))
            return Outcome(
                RequestCorrectionSuccess(correction=Correction.of(correction)),
                school_code=correction.school_code,
                details={"correction": correction.id, "fields": sorted(correction.changes.given())},
            )

        return await audited(
            ctx,
            action="mutation:requestCorrection",
            target=("student", input.number),
            errors=(RequestCorrectionError, RequestCorrectionErrorCode),
            body=body,
            extra=open_business_fields,
        )

    @strawberry.mutation(
        description="Decide the current step: the school first, then its supervising department; "
        "the change is applied when the department approves."
    )
    async def decide_correction(
        self, info: Info, input: Annotated[DecideCorrectionInput, strawberry.argument(description="The decision to record.")]
    ) -> DecideCorrectionResult:
        ctx = info.context

        async def body() -> Outcome[DecideCorrectionSuccess]:
            comment = optional_text("comment", input.comment, max_length=MULTI_LINE, multi_line=True)
            correction, row, candidates = await usecases.decide_step(ctx, str(input.id), Decision(input.decision), comment)
            return Outcome(
                DecideCorrectionSuccess(
                    correction=Correction.of(correction),
                    student=Student.of(row) if row else None,
                    duplicate_candidates=[DuplicateCandidate.of(c) for c in candidates],
                ),
                school_code=correction.school_code,
                details={"decision": Decision(input.decision).value, "state": correction.state.value},
            )

        return await audited(
            ctx,
            action="mutation:decideCorrection",
            target=("correction", str(input.id)),
            errors=(DecideCorrectionError, DecideCorrectionErrorCode),
            body=body,
        )

    @strawberry.mutation(description="The registrar of the student's school withdraws an open correction request.")
    async def withdraw_correction(
        self, info: Info, input: Annotated[WithdrawCorrectionInput, strawberry.argument(description="The request to withdraw.")]
    ) -> WithdrawCorrectionResult:
        ctx = info.context

        async def body() -> Outcome[WithdrawCorrectionSuccess]:
            correction = await usecases.withdraw(ctx, str(input.id))
            return Outcome(WithdrawCorrectionSuccess(correction=Correction.of(correction)), school_code=correction.school_code)

        return await audited(
            ctx,
            action="mutation:withdrawCorrection",
            target=("correction", str(input.id)),
            errors=(WithdrawCorrectionError, WithdrawCorrectionErrorCode),
            body=body,
        )
