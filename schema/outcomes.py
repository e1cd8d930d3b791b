"""What the client and the log see of a GraphQL error.

Every error in a response carries `extensions.code`:

- `GRAPHQL_PARSE_FAILED`: the document does not parse (or has too many tokens);
- `GRAPHQL_VALIDATION_FAILED`: it does not validate against the schema or breaks a limit
  (depth, aliases, introspection in production);
- `BAD_USER_INPUT`: a variable or argument value is refused; the message names the variable
  (or `extensions.field`) and the reason;
- `FORBIDDEN`, `UNAUTHENTICATED`: raised by resolvers;
- `DATABASE_UNAVAILABLE`: the database did not answer in time (the HTTP status is 503);
- `INTERNAL_SERVER_ERROR`: anything else, with a fixed message; quote the request id.

Expected refusals are logged at info with their code and where they happened, never with
the query text, the variables or the message (which may quote personal data); internal
errors are logged at error with their traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import structlog
from graphql import GraphQLError, GraphQLSyntaxError
from graphql.language import VariableDefinitionNode
from strawberry.extensions import MaskErrors
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

log = structlog.get_logger("graphql")

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
INTERNAL = "INTERNAL_SERVER_ERROR"
EXPOSED_CODES = frozenset({PARSE_FAILED, VALIDATION_FAILED, BAD_USER_INPUT, "FORBIDDEN", "UNAUTHENTICATED"})
MASKED_MESSAGES = {
    INTERNAL: "internal error; quote the request id",
    DATABASE_UNAVAILABLE: "the database is unavailable; try again shortly",
}

# graphql-core appends " Did you mean 'a', 'b', or 'c'?" (sometimes mid-sentence) to the
# messages of unknown fields, arguments, types, enum values and input fields.
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def never(_: BaseException) -> bool:
    return False


def without_suggestions(message: str) -> str:
    return _SUGGESTION.sub("", message)


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        nxt = current.original_error if isinstance(current, GraphQLError) else None
        current = nxt or current.__cause__


def classify(error: GraphQLError, unavailable: Callable[[BaseException], bool] = never) -> str:
    """The stable code of an error; INTERNAL_SERVER_ERROR for what must not be shown."""
    code = (error.extensions or {}).get("code")
    if code in EXPOSED_CODES:
        return str(code)
    if code is None and error.path is None:
        if isinstance(error, GraphQLSyntaxError) or isinstance(error.original_error, GraphQLSyntaxError):
            return PARSE_FAILED
        if error.original_error is None:
            return VALIDATION_FAILED  # raised by a validation rule, about the document itself
    if any(unavailable(cause) for cause in _causes(error)):
        return DATABASE_UNAVAILABLE
    return INTERNAL


def _variable_name(error: GraphQLError) -> str | None:
    for node in error.nodes or ():
        if isinstance(node, VariableDefinitionNode):
            return node.variable.name.value
    return None


def with_code(error: GraphQLError, code: str, **extra: Any) -> GraphQLError:
    return GraphQLError(
        error.message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        {**(error.extensions or {}), "code": code, **extra},
    )


def executor_class(*, hide_suggestions: bool) -> type[StrawberryGraphQLCoreExecutionContext]:
    """graphql-core's executor, whose request errors (variables that do not coerce to their
    types, an unknown operation name) are BAD_USER_INPUT naming the variable."""

    class Executor(StrawberryGraphQLCoreExecutionContext):
        suggestions_hidden: ClassVar[bool] = hide_suggestions

        @classmethod
        def build(cls, *args: Any, **kwargs: Any) -> Any:
            if cls.suggestions_hidden:
                kwargs["hide_suggestions"] = True
            built = super().build(*args, **kwargs)
            if isinstance(built, list):
                return [
                    with_code(e, BAD_USER_INPUT, **({"variable": name} if (name := _variable_name(e)) else {}))
                    for e in built
                ]
            return built

    return Executor


def present(errors: list[GraphQLError], *, hide_suggestions: bool, unavailable: Callable[[BaseException], bool]) -> None:
    """Give every error its code (and strip suggestions), in place, and log it once.

    Runs on every error of every result before MaskErrors, including results that no
    extension sees (a document that does not parse under the parser cache). Cached
    validation errors are shared between requests: what is written is the same each time."""
    for error in errors:
        code = classify(error, unavailable)
        if hide_suggestions:
            error.message = without_suggestions(error.message)
        if code in EXPOSED_CODES:
            if (error.extensions or {}).get("code") != code:
                error.extensions = {**(error.extensions or {}), "code": code}
            extensions = error.extensions or {}
            where = {"path": error.path, **{k: extensions.get(k) for k in ("field", "variable", "reason")}}
            log.info("graphql request refused", code=code, **{k: v for k, v in where.items() if v is not None})
        elif code == DATABASE_UNAVAILABLE:
            log.error("graphql database unavailable", path=error.path, error=repr(error.original_error))
        else:
            log.error("graphql internal error", path=error.path, exc_info=error.original_error or error)


class MaskInternalErrors(MaskErrors):
    """MaskErrors whose masked errors keep a stable code (INTERNAL_SERVER_ERROR, or
    DATABASE_UNAVAILABLE) and a fixed message."""

    def __init__(self, unavailable: Callable[[BaseException], bool] = never) -> None:
        self.unavailable = unavailable
        super().__init__(should_mask_error=self._should_mask, error_message=MASKED_MESSAGES[INTERNAL])

    def _should_mask(self, error: GraphQLError) -> bool:
        return classify(error, self.unavailable) not in EXPOSED_CODES

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        code = classify(error, self.unavailable)
        code = code if code in MASKED_MESSAGES else INTERNAL
        return GraphQLError(
            MASKED_MESSAGES[code],
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": code},
        )
