"""What every resolver gets: the application `Session` of the request (its actor, stores
and DataLoaders) and the Starlette request and response."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from application.session import Actor, Loaders, Session, Stores


@dataclass
class Context(Session):
    request: Request
    response: Response

    @classmethod
    def of(cls, request: Request, response: Response, actor: Actor, stores: Stores, *, page_size_max: int) -> Context:
        return cls(
            actor=actor, stores=stores, loaders=Loaders.create(stores), page_size_max=page_size_max, request=request, response=response
        )


def actor_of(request: Request) -> Actor:
    """The signed-in account of a request (set by the auth middleware or route), with its
    request id and client address for the audit trail."""
    return Actor(
        request.state.account,
        request.state.request_id,
        request.client.host if request.client else None,
        request.headers.get("user-agent"),
    )


Info = StrawberryInfo[Context, None]
