"""Legal holds (R-E3): set and released by archivists, enforced by the object store."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.context import Info
from schema.documents import usecases
from schema.documents.types import Document
from schema.errors import Outcome, audited, error_codes

SetLegalHoldErrorCode = error_codes("SetLegalHoldErrorCode", "REASON_REQUIRED")


@strawberry.input
class SetLegalHoldInput:
    document_id: strawberry.ID
    hold: bool
    reason: str


@strawberry.type
class SetLegalHoldSuccess:
    document: Document


@strawberry.type
class SetLegalHoldError:
    field: str | None
    message: str
    code: SetLegalHoldErrorCode  # type: ignore[valid-type]


SetLegalHoldResult = Annotated[SetLegalHoldSuccess | SetLegalHoldError, strawberry.union("SetLegalHoldResult")]


@strawberry.type
class DocumentMutations:
    @strawberry.mutation(description="Set or release a legal hold on every version of a document (archivists).")
    async def set_legal_hold(self, info: Info, input: SetLegalHoldInput) -> SetLegalHoldResult:
        ctx = info.context

        async def body() -> Outcome[SetLegalHoldSuccess]:
            document = await usecases.set_legal_hold(ctx, str(input.document_id), input.hold, input.reason)
            return Outcome(
                SetLegalHoldSuccess(document=Document(document=document)),
                school_code=document.school_code,
                details={"hold": input.hold, "reason": input.reason},
            )

        return await audited(
            ctx,
            action="mutation:setLegalHold",
            target=("document", str(input.document_id)),
            errors=(SetLegalHoldError, SetLegalHoldErrorCode),
            body=body,
        )
