"""/graphql: bearer authentication and a body limit in front of Strawberry, then a
per-request context. Every answer is JSON in the GraphQL shape, `{"errors": [{"message",
"extensions": {"code"}}]}`, including the HTTP-level refusals (api/errors.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse

from api.auth import Authenticator, InvalidToken
from api.explorer.page import Explorer
from api.errors import UNAUTHENTICATED_HEADERS, graphql_error
from strawberry.http import GraphQLRequestData
from strawberry.types.unset import UNSET
from cross_web import AsyncHTTPRequestAdapter

from api.persisted import PersistedOperationRefused, PersistedOperations
from api.settings import Settings
from application.session import Stores
from schema.context import Context, actor_of
from schema.outcomes import DATABASE_UNAVAILABLE

# Deeper JSON than this is refused before any GraphQL processing (a real request's
# variables are a few levels deep).
MAX_JSON_DEPTH = 32


class BodyTooLarge(Exception):
    pass


async def read_body(receive: Receive, limit: int) -> bytes:
    """The request body, refused as soon as it grows past `limit` (chunked or not)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the body already read to the app, then waits as before."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


def too_deep(value: object, limit: int) -> bool:
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class AuthenticatedGraphQL:
    """Every GraphQL request carries a valid bearer token naming an enabled account, or it
    is answered 401 before any resolver runs; its body is at most GRAPHQL_MAX_BODY_BYTES
    (413). In development, a browser GET of the page itself receives the GraphiQL explorer
    (api/explorer/page.py); elsewhere there is no explorer and that GET is answered 401."""

    def __init__(
        self,
        graphql: GraphQL[Context, None],
        settings: Settings,
        stores: Callable[[], Stores],
        explorer: Explorer | None = None,
    ) -> None:
        self.graphql = graphql
        self.settings = settings
        self.explorer = explorer if settings.is_development else None
        self.stores = stores
        self.authenticate = Authenticator(settings)
        self.max_body = settings.graphql_max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await Response(status_code=404)(scope, receive, send)
            return
        request = Request(scope, receive)
        if self.explorer is not None and request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            await (await self.explorer.page(request))(scope, receive, send)
            return
        too_large = graphql_error(413, "PAYLOAD_TOO_LARGE", f"the request body is larger than {self.max_body} bytes")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            await too_large(scope, receive, send)
            return
        try:
            account = await self.authenticate(request.headers.get("authorization"), self.stores().accounts)
        except InvalidToken as e:
            await graphql_error(401, "UNAUTHENTICATED", f"invalid token: {e}", UNAUTHENTICATED_HEADERS)(scope, receive, send)
            return
        try:
            body = await read_body(receive, self.max_body)
        except BodyTooLarge:
            await too_large(scope, receive, send)
            return
        scope.setdefault("state", {})["account"] = account
        await self.graphql(scope, replay(body, receive), send)


class XuejiGraphQL(GraphQL[Context, None]):
    def __init__(
        self, *args: Any, stores: Callable[[], Stores], page_size_max: int, persisted: PersistedOperations, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.stores = stores
        self.page_size_max = page_size_max
        self.persisted = persisted

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        return await self.persisted.resolve(request, await super().parse_http_body(request))

    async def run(self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        except PersistedOperationRefused as refused:  # api/persisted.py
            return refused.response()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as e:  # refused before execution: body, method, content type
            response = graphql_error(e.status_code, "BAD_REQUEST", e.reason)
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            value = json.loads(data)
        except (ValueError, RecursionError) as e:
            raise HTTPException(400, "the request body is not valid JSON") from e
        if not isinstance(value, dict):
            raise HTTPException(400, 'the request body must be a JSON object {"query", "variables", "operationName"}')
        if too_deep(value, MAX_JSON_DEPTH):
            raise HTTPException(400, f"the request body is nested deeper than {MAX_JSON_DEPTH} levels")
        return value

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        results = response_data if isinstance(response_data, list) else [response_data]
        errors: list[Any] = [error for result in results for error in result.get("errors") or ()]
        if any((error.get("extensions") or {}).get("code") == DATABASE_UNAVAILABLE for error in errors):
            sub_response.status_code = 503
        return super().create_response(response_data, sub_response)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        assert isinstance(request, Request) and isinstance(response, Response)
        stores = self.stores()
        return Context.of(request, response, actor_of(request), stores, page_size_max=self.page_size_max)
