"""Recording a school merger or closure, and the receiver's verification and
acknowledgement of the manifest (Art. 19, R-D4)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from application import school_handover as usecases
from application.school_handover import ACKNOWLEDGE_HANDOVER_CODES, RECORD_HANDOVER_CODES, VERIFY_HANDOVER_CODES
from domain.school_handover import SchoolHandoverKind
from schema.context import Info
from schema.docs import describe_error
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited
from schema.school_handover.types import SchoolHandover


@strawberry.enum(description="Stable codes of recordSchoolMerger errors: exactly the ones it can return.")
class RecordSchoolMergerErrorCode(ErrorCode, codes=(*RECORD_HANDOVER_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of recordSchoolClosure errors: exactly the ones it can return.")
class RecordSchoolClosureErrorCode(ErrorCode, codes=(*RECORD_HANDOVER_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of verifySchoolHandover errors: exactly the ones it can return.")
class VerifySchoolHandoverErrorCode(ErrorCode, codes=(*VERIFY_HANDOVER_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of acknowledgeSchoolHandover errors: exactly the ones it can return.")
class AcknowledgeSchoolHandoverErrorCode(ErrorCode, codes=(*ACKNOWLEDGE_HANDOVER_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="A merger: one school merges into another, which receives its whole archive (Art. 19).")
class RecordSchoolMergerInput:
    school_code: str = strawberry.field(description="The merging school's 10-digit code; its department records it.")
    into_school_code: str = strawberry.field(description="The school it merges into (10-digit code), which receives the archive.")
    legal_basis: str = strawberry.field(description="The decision's reference (文号), one line of at most 100 characters.")
    effective_on: date = strawberry.field(description="The day the merger took effect (not in the future).")


@strawberry.input(description="The archive unit (档案馆) the county designates to receive a closed school's archive.")
class ArchiveUnitInput:
    code: str = strawberry.field(description="The unit's code, 6-20 letters and digits (e.g. its unified social credit code).")
    name: str = strawberry.field(description="The unit's name, one line of at most 100 characters.")


@strawberry.input(
    description="A closure: the school closes and its archive goes to the unit the county designates, another school or "
    "an archive unit (Art. 19); give exactly one of receiverCode and archiveUnit."
)
class RecordSchoolClosureInput:
    school_code: str = strawberry.field(description="The closing school's 10-digit code; its department records it.")
    receiver_code: str | None = strawberry.field(
        default=None, description="The designated school that receives the archive (10-digit code); null for an archive unit."
    )
    archive_unit: ArchiveUnitInput | None = strawberry.field(
        default=None,
        description="The designated archive unit; its current students then have no school until placed "
        "(unplacedAfterClosure).",
    )
    legal_basis: str = strawberry.field(description="The decision's reference (文号), one line of at most 100 characters.")
    effective_on: date = strawberry.field(description="The day the closure took effect (not in the future).")


@strawberry.input(description="The handover whose archived manifest the receiver verifies.")
class VerifySchoolHandoverInput:
    id: strawberry.ID = strawberry.field(description="The handover id (the sending school's code).")


@strawberry.input(description="The receiver acknowledges the manifest it verified.")
class AcknowledgeSchoolHandoverInput:
    id: strawberry.ID = strawberry.field(description="The handover id (the sending school's code).")
    manifest_sha256: str = strawberry.field(description="SHA-256 of the verified manifest (SchoolHandover.bag.manifestSha256).")


@strawberry.type(description="The merger is recorded: the school is MERGED and the handover job has started.")
class RecordSchoolMergerSuccess:
    handover: SchoolHandover = strawberry.field(description="The handover, in state MOVING; poll schoolHandover for its progress.")


@strawberry.type(description="The closure is recorded: the school is CLOSED and the handover job has started.")
class RecordSchoolClosureSuccess:
    handover: SchoolHandover = strawberry.field(description="The handover, in state MOVING; poll schoolHandover for its progress.")


@strawberry.type(description="The archived manifest was checked; see handover.verification for the result.")
class VerifySchoolHandoverSuccess:
    handover: SchoolHandover = strawberry.field(description="The handover with its new verification (valid or not).")


@strawberry.type(description="The manifest is acknowledged and the receipt archived: the handover is complete.")
class AcknowledgeSchoolHandoverSuccess:
    handover: SchoolHandover = strawberry.field(description="The handover, now ACKNOWLEDGED.")


@strawberry.type
class RecordSchoolMergerError:
    field: str | None
    message: str
    code: RecordSchoolMergerErrorCode


@strawberry.type
class RecordSchoolClosureError:
    field: str | None
    message: str
    code: RecordSchoolClosureErrorCode


@strawberry.type
class VerifySchoolHandoverError:
    field: str | None
    message: str
    code: VerifySchoolHandoverErrorCode


@strawberry.type
class AcknowledgeSchoolHandoverError:
    field: str | None
    message: str
    code: AcknowledgeSchoolHandoverErrorCode


RecordSchoolMergerResult = Annotated[RecordSchoolMergerSuccess | RecordSchoolMergerError, strawberry.union("RecordSchoolMergerResult", description="What `recordSchoolMerger` returns: the handover, or the typed error.")]
RecordSchoolClosureResult = Annotated[RecordSchoolClosureSuccess | RecordSchoolClosureError, strawberry.union("RecordSchoolClosureResult", description="What `recordSchoolClosure` returns: the handover, or the typed error.")]
VerifySchoolHandoverResult = Annotated[VerifySchoolHandoverSuccess | VerifySchoolHandoverError, strawberry.union("VerifySchoolHandoverResult", description="What `verifySchoolHandover` returns: the handover with its verification, or the typed error.")]
AcknowledgeSchoolHandoverResult = Annotated[AcknowledgeSchoolHandoverSuccess | AcknowledgeSchoolHandoverError, strawberry.union("AcknowledgeSchoolHandoverResult", description="What `acknowledgeSchoolHandover` returns: the completed handover, or the typed error.")]
describe_error(RecordSchoolMergerError, "recordSchoolMerger")
describe_error(RecordSchoolClosureError, "recordSchoolClosure")
describe_error(VerifySchoolHandoverError, "verifySchoolHandover")
describe_error(AcknowledgeSchoolHandoverError, "acknowledgeSchoolHandover")


@strawberry.type
class SchoolHandoverMutations:
    @strawberry.mutation(
        description="The merging school's supervising department records a merger (Art. 19): the school becomes MERGED "
        "(no new enrolment, transfer or intake) and a job moves its whole archive to the school it merges into."
    )
    async def record_school_merger(
        self, info: Info, input: Annotated[RecordSchoolMergerInput, strawberry.argument(description="The merger to record.")]
    ) -> RecordSchoolMergerResult:
        ctx = info.context

        async def body() -> Outcome[RecordSchoolMergerSuccess]:
            handover = await usecases.record(
                ctx, SchoolHandoverKind.MERGER, input.school_code, input.into_school_code, input.legal_basis, input.effective_on
            )
            usecases.start(ctx.stores, handover.id)
            return Outcome(
                RecordSchoolMergerSuccess(handover=SchoolHandover(handover=handover)), school_code=handover.sender_code,
                details={"receiver": handover.receiver_code, "legal_basis": handover.legal_basis},
            )

        return await audited(
            ctx, action="mutation:recordSchoolMerger", target=("school", input.school_code),
            errors=(RecordSchoolMergerError, RecordSchoolMergerErrorCode), body=body,
        )

    @strawberry.mutation(
        description="The closing school's supervising department records a closure (Art. 19): the school becomes CLOSED "
        "(no new enrolment, transfer or intake) and a job moves its whole archive to the designated school."
    )
    async def record_school_closure(
        self, info: Info, input: Annotated[RecordSchoolClosureInput, strawberry.argument(description="The closure to record.")]
    ) -> RecordSchoolClosureResult:
        ctx = info.context

        async def body() -> Outcome[RecordSchoolClosureSuccess]:
            unit = (input.archive_unit.code, input.archive_unit.name) if input.archive_unit is not None else None
            handover = await usecases.record(
                ctx, SchoolHandoverKind.CLOSURE, input.school_code, input.receiver_code, input.legal_basis, input.effective_on, unit
            )
            usecases.start(ctx.stores, handover.id)
            return Outcome(
                RecordSchoolClosureSuccess(handover=SchoolHandover(handover=handover)), school_code=handover.sender_code,
                details={"receiver": handover.receiver_code, "legal_basis": handover.legal_basis},
            )

        return await audited(
            ctx, action="mutation:recordSchoolClosure", target=("school", input.school_code),
            errors=(RecordSchoolClosureError, RecordSchoolClosureErrorCode), body=body,
        )

    @strawberry.mutation(
        description="The receiver (its registrar, or an archivist of its area) validates the archived manifest with "
        "bagit (every checksum, the payload) and its counts against the database. The result is recorded either way."
    )
    async def verify_school_handover(
        self, info: Info, input: Annotated[VerifySchoolHandoverInput, strawberry.argument(description="The handover to verify.")]
    ) -> VerifySchoolHandoverResult:
        ctx = info.context
        id = input.id

        async def body() -> Outcome[VerifySchoolHandoverSuccess]:
            handover = await usecases.verify(ctx, str(id))
            assert handover.verification is not None
            return Outcome(
                VerifySchoolHandoverSuccess(handover=SchoolHandover(handover=handover)), school_code=handover.receiver_code,
                details={"valid": handover.verification.valid, "problems": list(handover.verification.problems)[:20]},
            )

        return await audited(
            ctx, action="mutation:verifySchoolHandover", target=("school_handover", str(id)),
            errors=(VerifySchoolHandoverError, VerifySchoolHandoverErrorCode), body=body,
        )

    @strawberry.mutation(
        description="The receiver acknowledges the verified manifest by its SHA-256; the receipt is archived under "
        "retention and the handover is complete."
    )
    async def acknowledge_school_handover(
        self, info: Info, input: Annotated[AcknowledgeSchoolHandoverInput, strawberry.argument(description="The manifest being acknowledged.")]
    ) -> AcknowledgeSchoolHandoverResult:
        ctx = info.context

        async def body() -> Outcome[AcknowledgeSchoolHandoverSuccess]:
            handover = await usecases.acknowledge(ctx, str(input.id), input.manifest_sha256)
            return Outcome(
                AcknowledgeSchoolHandoverSuccess(handover=SchoolHandover(handover=handover)), school_code=handover.receiver_code,
                details={"manifest_sha256": input.manifest_sha256},
            )

        return await audited(
            ctx, action="mutation:acknowledgeSchoolHandover", target=("school_handover", str(input.id)),
            errors=(AcknowledgeSchoolHandoverError, AcknowledgeSchoolHandoverErrorCode), body=body,
        )
