"""Legal holds (R-E3): set and released by archivists, enforced by the object store."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.text import MULTI_LINE, TEXT_CODES, clean_text
from schema.context import Info
from application import documents as usecases
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
