"""Correction requests for key basic data (Art. 10)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from domain.corrections import CorrectionChanges, Decision
from domain.identity import ID_DOCUMENT_CODES, Sex
from domain.text import MULTI_LINE, TEXT_CODES, clean_text, optional_text
from schema.context import Info
from schema.corrections import usecases
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
    name: str | None = None
    former_name: str | None = None
    sex: SexType | None = None  # type: ignore[valid-type]
    birth_date: date | None = None
    id_document: IdDocumentInput | None = None

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
    number: str
    changes: CorrectionChangesInput
    reason: str
    evidence: list[str] = strawberry.field(
        description="Ids of the uploaded scans (POST /uploads): the household register (居民户口簿) or other proof."
    )


@strawberry.type
class RequestCorrectionSuccess:
    correction: Correction


@strawberry.type
class RequestCorrectionError:
    field: str | None
    message: str
    code: RequestCorrectionErrorCode
    open_business_id: strawberry.ID | None = strawberry.field(default=None, description=OPEN_BUSINESS_ID)
    open_business_kind: str | None = strawberry.field(default=None, description=OPEN_BUSINESS_KIND)


RequestCorrectionResult = Annotated[
    RequestCorrectionSuccess | RequestCorrectionError, strawberry.union("RequestCorrectionResult")
]


@strawberry.input
class DecideCorrectionInput:
    id: strawberry.ID
    decision: DecisionType  # type: ignore[valid-type]
    comment: str | None = strawberry.field(default=None, description="Required when rejecting.")


@strawberry.type
class DecideCorrectionSuccess:
    correction: Correction
    student: Student | None = strawberry.field(description="The corrected dossier, once applied.")
    duplicate_candidates: list[DuplicateCandidate] = strawberry.field(
        description="After name, identity, sex or birth date changed: likely duplicates for review."
    )


@strawberry.type
class DecideCorrectionError:
    field: str | None
    message: str
    code: DecideCorrectionErrorCode


DecideCorrectionResult = Annotated[DecideCorrectionSuccess | DecideCorrectionError, strawberry.union("DecideCorrectionResult")]


@strawberry.input
class WithdrawCorrectionInput:
    id: strawberry.ID


@strawberry.type
class WithdrawCorrectionSuccess:
    correction: Correction


@strawberry.type
class WithdrawCorrectionError:
    field: str | None
    message: str
    code: WithdrawCorrectionErrorCode


WithdrawCorrectionResult = Annotated[
    WithdrawCorrectionSuccess | WithdrawCorrectionError, strawberry.union("WithdrawCorrectionResult")
]


@strawberry.type
class CorrectionMutations:
    @strawberry.mutation(description="Open a correction of key basic data; one open business per student.")
    async def request_correction(self, info: Info, input: RequestCorrectionInput) -> RequestCorrectionResult:
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
    async def decide_correction(self, info: Info, input: DecideCorrectionInput) -> DecideCorrectionResult:
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

    @strawberry.mutation(description="The school withdraws an open correction request.")
    async def withdraw_correction(self, info: Info, input: WithdrawCorrectionInput) -> WithdrawCorrectionResult:
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
