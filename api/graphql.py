"""/graphql: bearer authentication in front of Strawberry, then a per-request context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types.unset import UNSET
from cross_web import AsyncHTTPRequestAdapter

from api.auth import InvalidToken, authenticate, unauthenticated
from api.persisted import PersistedOperationRefused, PersistedOperations
from api.settings import Settings
from schema.context import Context, Loaders, Stores


class AuthenticatedGraphQL:
    """Every GraphQL request carries a valid bearer token naming an enabled account, or it
    is answered 401 before any resolver runs. In development, a browser GET of the page
    itself receives the GraphiQL explorer (which then sends the token you paste)."""

    def __init__(self, graphql: GraphQL[Context, None], settings: Settings, stores: Callable[[], Stores]) -> None:
        self.graphql = graphql
        self.settings = settings
        self.stores = stores

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await Response(status_code=404)(scope, receive, send)
            return
        request = Request(scope, receive)
        if (
            self.settings.is_development
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
        ):
            await (await self.graphql.render_graphql_ide(request))(scope, receive, send)
            return
        try:
            account = await authenticate(self.settings, request.headers.get("authorization"), self.stores().accounts)
        except InvalidToken as e:
            await unauthenticated(f"invalid token: {e}")(scope, receive, send)
            return
        scope.setdefault("state", {})["account"] = account
        await self.graphql(scope, receive, send)


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

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        assert isinstance(request, Request) and isinstance(response, Response)
        stores = self.stores()
        return Context(
            request=request,
            response=response,
            account=request.state.account,
            stores=stores,
            loaders=Loaders.create(stores),
            request_id=request.state.request_id,
            page_size_max=self.page_size_max,
        )
