"""The archive handover after a transfer (Art. 18, 19): the sending school's registrar
hands the archive over and records the paper copies it keeps; the receiving school's
registrar acknowledges receipt."""

from __future__ import annotations

from typing import Annotated

import strawberry

from application import archive_handovers as usecases
from domain.archive_handovers import ArchiveHandover as DomainHandover
from domain.archive_handovers import ArchivePart
from schema.archive_handovers.types import ArchiveHandover, ArchivePartType
from schema.context import Info
from schema.docs import describe_error
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited


@strawberry.enum(description="Stable codes of handOverArchive errors: exactly the ones it can return.")
class HandOverArchiveErrorCode(ErrorCode, codes=(*usecases.HAND_OVER_ARCHIVE_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of acknowledgeArchiveHandover errors: exactly the ones it can return.")
class AcknowledgeArchiveHandoverErrorCode(ErrorCode, codes=(*usecases.ACKNOWLEDGE_ARCHIVE_HANDOVER_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of recordPaperCopies errors: exactly the ones it can return.")
class RecordPaperCopiesErrorCode(ErrorCode, codes=(*usecases.RECORD_PAPER_COPIES_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="What the sending school sent, when it hands the archive over (Art. 18).")
class HandOverArchiveInput:
    id: strawberry.ID = strawberry.field(description="The handover's id (`ArchiveHandover.id`).")
    parts: list[ArchivePartType] = strawberry.field(  # type: ignore[valid-type]
        description="The parts sent: ELECTRONIC_DOSSIER and PAPER_FILE at least, and EVIDENCE_ORIGINALS when sent."
    )
    note: str | None = strawberry.field(
        default=None, description="How it was sent (by hand, post and tracking number…), at most 2,000 characters."
    )


@strawberry.input(description="The receiving school's acknowledgement that the archive arrived (Art. 18).")
class AcknowledgeArchiveHandoverInput:
    id: strawberry.ID = strawberry.field(description="The handover's id (`ArchiveHandover.id`).")
    note: str | None = strawberry.field(default=None, description="A remark on what arrived, at most 2,000 characters.")


@strawberry.input(description="A paper copy the sending school keeps, and where it is kept (Art. 19).")
class PaperCopyInput:
    item: str = strawberry.field(description="What the copy is, e.g. 学籍卡复印件 (one line, at most 200 characters).")
    location: str = strawberry.field(description="Where it is kept, e.g. 档案室 3 号柜 (one line, at most 200 characters).")


@strawberry.input(description="The paper copies the sending school keeps after a transfer (Art. 19).")
class RecordPaperCopiesInput:
    id: strawberry.ID = strawberry.field(description="The handover's id (`ArchiveHandover.id`).")
    copies: list[PaperCopyInput] = strawberry.field(
        description="Every copy kept (1 to 50); the list replaces the one recorded before."
    )


@strawberry.type(description="The archive is recorded as handed over; the receiving school acknowledges it next.")
class HandOverArchiveSuccess:
    handover: ArchiveHandover = strawberry.field(description="The handover, HANDED_OVER.")


@strawberry.type
class HandOverArchiveError:
    field: str | None
    message: str
    code: HandOverArchiveErrorCode


@strawberry.type(description="Receipt is acknowledged: the handover is RECEIVED.")
class AcknowledgeArchiveHandoverSuccess:
    handover: ArchiveHandover = strawberry.field(description="The handover, RECEIVED.")


@strawberry.type
class AcknowledgeArchiveHandoverError:
    field: str | None
    message: str
    code: AcknowledgeArchiveHandoverErrorCode


@strawberry.type(description="The paper copies are recorded; the previous list is in the audit trail.")
class RecordPaperCopiesSuccess:
    handover: ArchiveHandover = strawberry.field(description="The handover with its copies.")


@strawberry.type
class RecordPaperCopiesError:
    field: str | None
    message: str
    code: RecordPaperCopiesErrorCode


HandOverArchiveResult = Annotated[
    HandOverArchiveSuccess | HandOverArchiveError,
    strawberry.union("HandOverArchiveResult", description="What `handOverArchive` returns: the handover, or the typed error."),
]
AcknowledgeArchiveHandoverResult = Annotated[
    AcknowledgeArchiveHandoverSuccess | AcknowledgeArchiveHandoverError,
    strawberry.union(
        "AcknowledgeArchiveHandoverResult", description="What `acknowledgeArchiveHandover` returns: the handover, or the typed error."
    ),
]
RecordPaperCopiesResult = Annotated[
    RecordPaperCopiesSuccess | RecordPaperCopiesError,
    strawberry.union("RecordPaperCopiesResult", description="What `recordPaperCopies` returns: the handover, or the typed error."),
]
describe_error(HandOverArchiveError, "handOverArchive")
describe_error(AcknowledgeArchiveHandoverError, "acknowledgeArchiveHandover")
describe_error(RecordPaperCopiesError, "recordPaperCopies")


def _copies(h: DomainHandover) -> list[dict[str, str]]:
    return [{"item": c.item, "location": c.location} for c in h.paper_copies]


@strawberry.type
class ArchiveHandoverMutations:
    @strawberry.mutation(
        description="The sending school's registrar records that it handed the student's archive over to the receiving "
        "school (Art. 18: within one month of the transfer)."
    )
    async def hand_over_archive(
        self, info: Info, input: Annotated[HandOverArchiveInput, strawberry.argument(description="What was sent.")]
    ) -> HandOverArchiveResult:
        ctx = info.context

        async def body() -> Outcome[HandOverArchiveSuccess]:
            parts = tuple(ArchivePart(p) for p in input.parts)
            h = await usecases.hand_over_archive(ctx, str(input.id), parts, input.note)
            details = {"sent": [p.value for p in h.sent], "due": h.due.isoformat(), "number": h.number}
            return Outcome(HandOverArchiveSuccess(handover=ArchiveHandover(handover=h)), school_code=h.sending_school_code, details=details)

        return await audited(
            ctx, action="mutation:handOverArchive", target=("archive_handover", str(input.id)),
            errors=(HandOverArchiveError, HandOverArchiveErrorCode), body=body,
        )

    @strawberry.mutation(
        description="The receiving school's registrar acknowledges that the archive arrived (Art. 18); the handover is done."
    )
    async def acknowledge_archive_handover(
        self, info: Info, input: Annotated[AcknowledgeArchiveHandoverInput, strawberry.argument(description="The handover that arrived.")]
    ) -> AcknowledgeArchiveHandoverResult:
        ctx = info.context

        async def body() -> Outcome[AcknowledgeArchiveHandoverSuccess]:
            h = await usecases.acknowledge_archive_handover(ctx, str(input.id), input.note)
            return Outcome(
                AcknowledgeArchiveHandoverSuccess(handover=ArchiveHandover(handover=h)),
                school_code=h.receiving_school_code, details={"number": h.number},
            )

        return await audited(
            ctx, action="mutation:acknowledgeArchiveHandover", target=("archive_handover", str(input.id)),
            errors=(AcknowledgeArchiveHandoverError, AcknowledgeArchiveHandoverErrorCode), body=body,
        )

    @strawberry.mutation(
        description="The sending school's registrar records the paper copies it keeps after the transfer, and where "
        "(Art. 19: 保留必要的纸质档案复印件); the list replaces the one recorded before."
    )
    async def record_paper_copies(
        self, info: Info, input: Annotated[RecordPaperCopiesInput, strawberry.argument(description="The copies kept.")]
    ) -> RecordPaperCopiesResult:
        ctx = info.context

        async def body() -> Outcome[RecordPaperCopiesSuccess]:
            copies = tuple((c.item, c.location) for c in input.copies)
            before, h = await usecases.record_paper_copies(ctx, str(input.id), copies)
            return Outcome(
                RecordPaperCopiesSuccess(handover=ArchiveHandover(handover=h)),
                school_code=h.sending_school_code, details={"before": _copies(before), "after": _copies(h)},
            )

        return await audited(
            ctx, action="mutation:recordPaperCopies", target=("archive_handover", str(input.id)),
            errors=(RecordPaperCopiesError, RecordPaperCopiesErrorCode), body=body,
        )
