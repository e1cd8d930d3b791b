"""Registering persisted operations (trusted documents): the admin uploads the documents a
frontend build emitted (graphql-codegen's `persisted-documents.json`, hash → text); each
hash must be the SHA-256 of its text and each document valid against this schema. A hash
is stored once and never overwritten."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError, OperationDefinitionNode, parse, specified_rules
from strawberry.schema.schema import validate_document

from application import persisted
from application.persisted import MAX_DOCUMENT_CHARS, MAX_DOCUMENTS
from domain.error_codes import declared
from domain.errors import DomainError
from domain.persisted import document_id
from schema.context import Info
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited

REGISTER_CODES = declared(*persisted.REGISTER_CODES, "INVALID_DOCUMENT", *RACE_CODES)


@strawberry.enum(description="Stable codes of registerPersistedOperations errors: exactly the ones it can return.")
class RegisterPersistedOperationsErrorCode(ErrorCode, codes=REGISTER_CODES):
    ...


@strawberry.input(description="One document of a frontend build's manifest.")
class PersistedOperationInput:
    hash: str = strawberry.field(
        description="The document id: `sha256:` and the lowercase hex SHA-256 of `document` "
        "(UTF-8, exactly as given), as graphql-codegen's client preset emits it; the bare hex is accepted."
    )
    document: str = strawberry.field(
        description=f"The GraphQL document text (at most {MAX_DOCUMENT_CHARS} characters), one or more operations and their fragments."
    )


@strawberry.input(description="The documents to register, e.g. every entry of a persisted-documents.json.")
class RegisterPersistedOperationsInput:
    documents: list[PersistedOperationInput] = strawberry.field(
        description=f"At most {MAX_DOCUMENTS} per call; all are checked before any is stored."
    )


@strawberry.type(description="A registered document, callable by its id (POST /graphql with `documentId`).")
class PersistedOperation:
    document_id: str = strawberry.field(description="What a request sends as `documentId`: `sha256:<hex>`.")
    operation_names: list[str] = strawberry.field(description="The names of the document's operations.")
    registered_by: str = strawberry.field(description="Login of the admin who registered it first.")
    registered_at: datetime = strawberry.field(description="When it was registered first (UTC).")
    new: bool = strawberry.field(description="True when this call stored it; false when it was registered already.")


@strawberry.type(description="Every document is registered (or already was).")
class RegisterPersistedOperationsSuccess:
    operations: list[PersistedOperation] = strawberry.field(description="The documents, in the order given.")
    registered: int = strawberry.field(description="How many this call stored.")
    already_registered: int = strawberry.field(description="How many were registered before, with the same text.")


@strawberry.type(description="Nothing was stored: the first document that failed, and why.")
class RegisterPersistedOperationsError:
    field: str | None = strawberry.field(description="The input field at fault, e.g. `documents[3].hash`.")
    message: str = strawberry.field(description="What is wrong, for the admin.")
    code: RegisterPersistedOperationsErrorCode = strawberry.field(
        description="HASH_MISMATCH: the hash is not the SHA-256 of the text; INVALID_DOCUMENT: "
        "not valid GraphQL for this schema; INVALID_VALUE: malformed id, too many or too large documents."
    )


RegisterPersistedOperationsResult = Annotated[
    RegisterPersistedOperationsSuccess | RegisterPersistedOperationsError,
    strawberry.union("RegisterPersistedOperationsResult", description="The registered documents, or why none was."),
]


def _operation_names(info: Info, field: str, text: str) -> tuple[str, ...]:
    """Parse and validate one document against the schema; its operations' names."""
    try:
        document = parse(text)
    except GraphQLError as e:
        raise DomainError(field, f"not a GraphQL document: {e.message}", "INVALID_DOCUMENT") from None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        raise DomainError(field, "the document has no operation", "INVALID_DOCUMENT")
    errors = validate_document(info.schema._schema, document, tuple(specified_rules))
    if errors:
        raise DomainError(field, "not valid against the schema: " + "; ".join(e.message for e in errors[:3]), "INVALID_DOCUMENT")
    return tuple(op.name.value for op in operations if op.name is not None)


@strawberry.type
class PersistedOperationMutations:
    @strawberry.mutation(
        description="The admin registers a frontend build's documents (trusted documents), after which "
        "requests may name them by `documentId`; with PERSISTED_OPERATIONS=only, nothing else is accepted. Audited."
    )
    async def register_persisted_operations(
        self,
        info: Info,
        input: Annotated[RegisterPersistedOperationsInput, strawberry.argument(description="The documents of one frontend build.")],
    ) -> RegisterPersistedOperationsResult:
        ctx = info.context

        async def body() -> Outcome[RegisterPersistedOperationsSuccess]:
            stored = await persisted.register(
                ctx, [(d.hash, d.document) for d in input.documents], lambda field, text: _operation_names(info, field, text)
            )
            operations = [
                PersistedOperation(
                    document_id=document_id(operation.hash),
                    operation_names=list(operation.operation_names),
                    registered_by=operation.registered_by,
                    registered_at=operation.registered_at,
                    new=new,
                )
                for operation, new in stored
            ]
            registered = [o.document_id for o in operations if o.new]
            return Outcome(
                RegisterPersistedOperationsSuccess(
                    operations=operations, registered=len(registered), already_registered=len(operations) - len(registered)
                ),
                details={"registered": registered, "alreadyRegistered": len(operations) - len(registered)},
            )

        return await audited(
            ctx,
            action="mutation:registerPersistedOperations",
            target=("persisted_operations", f"{len(input.documents)} documents"),
            errors=(RegisterPersistedOperationsError, RegisterPersistedOperationsErrorCode),
            body=body,
        )
