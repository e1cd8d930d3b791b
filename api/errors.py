"""HTTP-level errors, in the shape of the endpoint that answers them.

`/graphql` answers every error as GraphQL does, `{"errors": [{"message", "extensions":
{"code"}}]}`; every other endpoint (`/uploads`, `/metrics`) as `{"error": {"code", "field",
"message"}}`. The codes are the same on both: BAD_REQUEST (400), UNAUTHENTICATED (401),
PAYLOAD_TOO_LARGE (413), INTERNAL_SERVER_ERROR (500), DATABASE_UNAVAILABLE (503)."""

from __future__ import annotations

from collections.abc import Mapping

from pymongo.errors import ConnectionFailure, PyMongoError
from starlette.responses import JSONResponse

GRAPHQL_PATH = "/graphql"
UNAUTHENTICATED_HEADERS = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class DatabaseUnavailable(Exception):
    """The database did not answer within the configured timeout."""


def is_database_unavailable(error: BaseException) -> bool:
    if isinstance(error, (DatabaseUnavailable, ConnectionFailure)):
        return True
    return isinstance(error, PyMongoError) and error.timeout


def graphql_error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status, headers=headers)


def http_error(
    status: int, code: str, message: str, *, field: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "field": field, "message": message}}, status_code=status, headers=headers)


def error_for(path: str, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The error in the shape of the endpoint at `path`."""
    if path == GRAPHQL_PATH:
        return graphql_error(status, code, message, headers)
    return http_error(status, code, message, headers=headers)
