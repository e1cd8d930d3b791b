"""Persisted operations inside Strawberry: a request the HTTP layer resolved from a
document id carries a `PersistedDocument` in its operation extensions, and once that
document has passed this schema's parsing and validation (with every limit and rule the
schema applies), later requests by the same hash reuse the parsed document and skip both.

The HTTP side (reading `documentId`, the OFF / ALLOW / ONLY setting) is `api/persisted.py`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext

# The key in the operation extensions; the value is an object only the server can create,
# so a client's JSON `extensions` can never pass for it.
EXTENSION_KEY = "persistedDocument"


@dataclass(eq=False)
class PersistedDocument:
    """A registered document as the server knows it. `parsed` is set once the document
    passed parsing and validation by this schema; it is shared by every later request."""

    hash: str
    text: str
    parsed: DocumentNode | None = None


def persisted_document(execution_context: ExecutionContext) -> PersistedDocument | None:
    value = (execution_context.operation_extensions or {}).get(EXTENSION_KEY)
    return value if isinstance(value, PersistedDocument) else None


class PersistedDocumentCache(SchemaExtension):
    """After the parser and validation caches in the extension list, so that for a known
    document it has the last word before Strawberry parses and validates: the document is
    handed over already parsed, and already judged valid."""

    def on_parse(self) -> Iterator[None]:
        entry = persisted_document(self.execution_context)
        known = entry is not None and entry.parsed is not None
        if known:
            assert entry is not None
            self.execution_context.graphql_document = entry.parsed  # Strawberry skips parsing
        yield
        if known:
            assert entry is not None
            self.execution_context.graphql_document = entry.parsed

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = persisted_document(context)
        known = entry is not None and entry.parsed is not None and context.graphql_document is entry.parsed
        if known:
            context.pre_execution_errors = []  # Strawberry skips validation
        yield
        if entry is not None and entry.parsed is None and context.pre_execution_errors == [] and context.graphql_document is not None:
            entry.parsed = context.graphql_document
