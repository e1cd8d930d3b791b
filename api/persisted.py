"""Persisted operations over HTTP: a request may name a registered document instead of
sending its text.

    POST /graphql  {"documentId": "sha256:<hex>", "variables": {...}, "operationName": "..."}

`documentId` is what graphql-codegen's client preset sends with `persistedDocuments`; the
Apollo style `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}}`
is read the same way (without Apollo's automatic registration: only the admin registers,
through `registerPersistedOperations`). PERSISTED_OPERATIONS decides what is accepted:

- `off`: text only; a document id is refused (PERSISTED_QUERY_NOT_SUPPORTED);
- `allow` (default): both;
- `only`: document ids only; a request with `query` text is refused
  (PERSISTED_QUERY_REQUIRED), which is the OWASP recommendation for public clients.

An unknown id is PERSISTED_QUERY_NOT_FOUND. Refusals are HTTP 400 with the GraphQL error
shape `{"errors": [{"message", "extensions": {"code"}}]}`. The document is resolved here,
before Strawberry parses anything; schema/persisted.py then skips parsing and validation
of documents it has already checked."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from cross_web import AsyncHTTPRequestAdapter
from starlette.responses import JSONResponse
from strawberry.http import GraphQLRequestData

from api.settings import PersistedOperationsMode
from domain.persisted import parse_document_id
from domain.ports import PersistedOperationStore
from schema.persisted import EXTENSION_KEY, PersistedDocument

CACHE_SIZE = 2048


class PersistedOperationRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def response(self) -> JSONResponse:
        return JSONResponse({"errors": [{"message": self.message, "extensions": {"code": self.code}}]}, status_code=400)


def _requested_id(body: Any, extensions: dict[str, Any] | None) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("documentId"), str):
        value: str = body["documentId"]
        return value
    persisted = (extensions or {}).get("persistedQuery")
    if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
        apq: str = persisted["sha256Hash"]
        return apq
    return None


class PersistedOperations:
    """Resolves document ids to registered documents, with a process-wide cache of the
    documents already seen (each holding its parsed, validated form once it has one)."""

    def __init__(self, mode: PersistedOperationsMode, store: Callable[[], PersistedOperationStore]) -> None:
        self.mode = mode
        self.store = store
        self.cache: OrderedDict[str, PersistedDocument] = OrderedDict()

    async def lookup(self, hash_hex: str) -> PersistedDocument | None:
        entry = self.cache.get(hash_hex)
        if entry is not None:
            self.cache.move_to_end(hash_hex)
            return entry
        stored = await self.store().get(hash_hex)
        if stored is None:
            return None  # not cached: it may be registered a moment later
        entry = self.cache.setdefault(hash_hex, PersistedDocument(stored.hash, stored.document))
        while len(self.cache) > CACHE_SIZE:
            self.cache.popitem(last=False)
        return entry

    async def resolve(
        self, request: AsyncHTTPRequestAdapter, data: GraphQLRequestData | list[GraphQLRequestData]
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if isinstance(data, list):  # batching is off; Strawberry has refused a batch already
            return data
        if data.query is not None:
            if self.mode is PersistedOperationsMode.ONLY:
                raise PersistedOperationRefused(
                    "PERSISTED_QUERY_REQUIRED",
                    "this server accepts registered documents only: send documentId instead of query",
                )
            return data  # text wins over a hash sent along with it
        body = json.loads(await request.get_body()) if request.method == "POST" else None
        requested = _requested_id(body, data.extensions)
        if requested is None:
            return data  # Strawberry answers "no query"
        if self.mode is PersistedOperationsMode.OFF:
            raise PersistedOperationRefused("PERSISTED_QUERY_NOT_SUPPORTED", "persisted operations are switched off on this server")
        hash_hex = parse_document_id(requested)
        entry = await self.lookup(hash_hex) if hash_hex else None
        if entry is None:
            raise PersistedOperationRefused("PERSISTED_QUERY_NOT_FOUND", f"no registered document with id {requested[:80]!r}")
        return GraphQLRequestData(
            query=entry.text,
            variables=data.variables,
            operation_name=data.operation_name,
            extensions={**(data.extensions or {}), EXTENSION_KEY: entry},
            protocol=data.protocol,
        )
