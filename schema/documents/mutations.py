"""Changes to a document's record: legal holds (R-E3: set and released by archivists,
enforced by the object store), the paper file's location (Art. 9: the school's registrar)
and withdrawal from a dossier it was filed in by mistake (Art. 6 (2), 20, 24)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.text import MULTI_LINE, TEXT_CODES, clean_text
from schema.context import Info
from application import documents as usecases
from application import withdrawals
from schema.docs import describe_error
from schema.documents.types import Document
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited


@strawberry.enum(description="Stable codes of setLegalHold errors: exactly the ones it can return.")
class SetLegalHoldErrorCode(ErrorCode, codes=(*usecases.SET_LEGAL_HOLD_CODES, *TEXT_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="A legal hold to set on, or release from, every version of a document.")
class SetLegalHoldInput:
    document_id: strawberry.ID = strawberry.field(description="The document's id.")
    hold: bool = strawberry.field(description="True to set the hold, false to release it.")
    reason: str = strawberry.field(description="Why the hold is set or released (at most 2000 characters).")


@strawberry.type(description="The hold was set or released in the evidence store and recorded.")
class SetLegalHoldSuccess:
    document: Document = strawberry.field(description="The document, with its new `legalHold`.")


@strawberry.type
class SetLegalHoldError:
    field: str | None
    message: str
    code: SetLegalHoldErrorCode


SetLegalHoldResult = Annotated[SetLegalHoldSuccess | SetLegalHoldError, strawberry.union("SetLegalHoldResult", description="What `setLegalHold` returns: the document, or the typed error.")]
describe_error(SetLegalHoldError, "setLegalHold")


@strawberry.enum(description="Stable codes of updatePaperLocation errors: exactly the ones it can return.")
class UpdatePaperLocationErrorCode(ErrorCode, codes=(*usecases.UPDATE_PAPER_LOCATION_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="Where the paper file a scanned document mirrors is kept now (Art. 9).")
class UpdatePaperLocationInput:
    document_id: strawberry.ID = strawberry.field(description="The document's id (`Document.id`).")
    paper_location: str = strawberry.field(
        description="Where the paper file is now, e.g. `档案室 2 号柜 3 层 2026 级`: one line, at most 200 characters, "
        "not empty, and not the location recorded already."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why it moved (optional, at most 2000 characters); kept in the document's history."
    )


@strawberry.type(description="The new location is recorded as a new version of the document.")
class UpdatePaperLocationSuccess:
    document: Document = strawberry.field(description="The document, with its new `paperLocation` and `history`.")
    previous_location: str | None = strawberry.field(description="The location it replaced; null when none was recorded.")


@strawberry.type
class UpdatePaperLocationError:
    field: str | None
    message: str
    code: UpdatePaperLocationErrorCode


UpdatePaperLocationResult = Annotated[
    UpdatePaperLocationSuccess | UpdatePaperLocationError,
    strawberry.union("UpdatePaperLocationResult", description="What `updatePaperLocation` returns: the document, or the typed error."),
]
describe_error(UpdatePaperLocationError, "updatePaperLocation")


@strawberry.enum(description="Stable codes of withdrawDocument errors: exactly the ones it can return.")
class WithdrawDocumentErrorCode(ErrorCode, codes=(*withdrawals.WITHDRAW_DOCUMENT_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="A document to take out of the dossier it was filed in by mistake.")
class WithdrawDocumentInput:
    document_id: strawberry.ID = strawberry.field(description="The document's id (`Document.id`).")
    reason: str = strawberry.field(
        description="Why it is withdrawn, e.g. whose scan it really is (required, at most 2000 characters)."
    )


@strawberry.type(
    description="The document is out of the dossier: no longer in `Student.documents`, evidence of nothing; its "
    "scan and metadata stay under retention, for archivists and auditors."
)
class WithdrawDocumentSuccess:
    document: Document = strawberry.field(description="The document, with its `withdrawal`.")


@strawberry.type
class WithdrawDocumentError:
    field: str | None
    message: str
    code: WithdrawDocumentErrorCode


WithdrawDocumentResult = Annotated[
    WithdrawDocumentSuccess | WithdrawDocumentError,
    strawberry.union("WithdrawDocumentResult", description="What `withdrawDocument` returns: the document, or the typed error."),
]
describe_error(WithdrawDocumentError, "withdrawDocument")


@strawberry.type
class DocumentMutations:
    @strawberry.mutation(description="Set or release a legal hold on every version of a document (archivists).")
    async def set_legal_hold(
        self, info: Info, input: Annotated[SetLegalHoldInput, strawberry.argument(description="The hold and its reason.")]
    ) -> SetLegalHoldResult:
        ctx = info.context

        async def body() -> Outcome[SetLegalHoldSuccess]:
            reason = clean_text("reason", input.reason, max_length=MULTI_LINE, multi_line=True)
            document = await usecases.set_legal_hold(ctx, str(input.document_id), input.hold, reason)
            return Outcome(
                SetLegalHoldSuccess(document=Document(document=document)),
                school_code=document.school_code,
                details={"hold": input.hold, "reason": reason},
            )

        return await audited(
            ctx,
            action="mutation:setLegalHold",
            target=("document", str(input.document_id)),
            errors=(SetLegalHoldError, SetLegalHoldErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="Record where the paper file a scan mirrors is kept now (Art. 9: the paper archive is in the "
        "charge of the school's registrar): the registrar of the school that holds the student's dossier. Recorded "
        "as a new version of the document, old and new location in its history and in the audit trail."
    )
    async def update_paper_location(
        self,
        info: Info,
        input: Annotated[UpdatePaperLocationInput, strawberry.argument(description="The document and its new location.")],
    ) -> UpdatePaperLocationResult:
        ctx = info.context

        async def body() -> Outcome[UpdatePaperLocationSuccess]:
            moved = await usecases.update_paper_location(ctx, str(input.document_id), input.paper_location, input.reason)
            return Outcome(
                UpdatePaperLocationSuccess(document=Document(document=moved.document), previous_location=moved.before),
                school_code=moved.school_code,
                details={
                    "paperLocation": {"old": moved.before, "new": moved.document.paper_location},
                    "reason": moved.reason,
                    "number": moved.document.number,
                },
            )

        return await audited(
            ctx,
            action="mutation:updatePaperLocation",
            target=("document", str(input.document_id)),
            errors=(UpdatePaperLocationError, UpdatePaperLocationErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="Take a scan filed under the wrong student out of that dossier (Art. 6 (2), 20, 24): the "
        "registrar of the school that holds the dossier, with a reason. Nothing is deleted: the scan stays under "
        "retention with its metadata, seen by archivists and auditors with the withdrawal. Refused while a case or "
        "correction that is open, completed or applied cites it (CITED_AS_EVIDENCE)."
    )
    async def withdraw_document(
        self,
        info: Info,
        input: Annotated[WithdrawDocumentInput, strawberry.argument(description="The document and why it is withdrawn.")],
    ) -> WithdrawDocumentResult:
        ctx = info.context

        async def body() -> Outcome[WithdrawDocumentSuccess]:
            document, school_code = await withdrawals.withdraw_document(ctx, str(input.document_id), input.reason)
            assert document.withdrawal is not None
            return Outcome(
                WithdrawDocumentSuccess(document=Document(document=document)),
                school_code=school_code,
                details={"reason": document.withdrawal.reason, "number": document.number, "kind": document.kind.value},
            )

        return await audited(
            ctx,
            action="mutation:withdrawDocument",
            target=("document", str(input.document_id)),
            errors=(WithdrawDocumentError, WithdrawDocumentErrorCode),
            body=body,
        )
