"""Registering persisted operations (trusted documents): the admin registers the documents a
frontend build emitted; each id must be the SHA-256 of its text and each document valid
against the schema (checked by the caller's `names_of`, which knows the schema). A hash is
stored once and never overwritten."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from application.session import Session
from domain.access import ROLE_CODES, require_admin
from domain.error_codes import declared
from domain.errors import DomainError
from domain.persisted import PersistedOperation, document_hash, document_id, parse_document_id

MAX_DOCUMENTS = 1000
MAX_DOCUMENT_CHARS = 100_000
REGISTER_CODES = declared(*ROLE_CODES, "INVALID_VALUE", "HASH_MISMATCH")


async def register(
    session: Session, documents: Sequence[tuple[str, str]], names_of: Callable[[str, str], tuple[str, ...]]
) -> list[tuple[PersistedOperation, bool]]:
    """Every (id, text) checked before any is stored; each stored operation, and whether it is new.
    `names_of(field, text)` validates one document and names its operations."""
    require_admin(session.account)
    if not documents or len(documents) > MAX_DOCUMENTS:
        raise DomainError("documents", f"give 1 to {MAX_DOCUMENTS} documents", "INVALID_VALUE")
    now = datetime.now(UTC)
    checked: list[PersistedOperation] = []
    for i, (given_hash, text) in enumerate(documents):
        hash_hex = parse_document_id(given_hash)
        if hash_hex is None:
            raise DomainError(f"documents[{i}].hash", "not a document id: sha256:<64 lowercase hex>", "INVALID_VALUE")
        if len(text) > MAX_DOCUMENT_CHARS:
            raise DomainError(f"documents[{i}].document", f"longer than {MAX_DOCUMENT_CHARS} characters", "INVALID_VALUE")
        # The document first: a text that is not GraphQL is named as such, whatever its hash.
        names = names_of(f"documents[{i}].document", text)
        actual = document_hash(text)
        if actual != hash_hex:
            raise DomainError(
                f"documents[{i}].hash", f"not the SHA-256 of the document text (that is {document_id(actual)})", "HASH_MISMATCH"
            )
        checked.append(PersistedOperation(hash_hex, text, names, session.account.login, now, session.request_id))
    stored_all: list[tuple[PersistedOperation, bool]] = []
    for operation in checked:
        new = await session.stores.persisted_operations.insert(operation)
        stored = operation if new else await session.stores.persisted_operations.get(operation.hash)
        assert stored is not None and stored.document == operation.document  # same SHA-256, same text
        stored_all.append((stored, new))
    return stored_all
