"""Input text never carries the NUL character (U+0000): no field of the archive accepts
it, PostgreSQL cannot store it, and FerretDB answers an internal error when it reaches a
filter. Every string in the variables and in the query's literals is checked before
execution, and a request with one gets the BAD_USER_INPUT any other malformed value gets.
(graphql-core forbids redefining the built-in String scalar, so this is an extension, not a scalar.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from graphql.language import DocumentNode, StringValueNode, visit
from graphql.language.visitor import Visitor
from strawberry.extensions import SchemaExtension

NUL = "\x00"


def has_nul(value: Any) -> bool:
    """Whether a decoded JSON value holds NUL in any string, key or nested item."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if NUL in node.value:
            self.found = True


def literal_has_nul(document: DocumentNode | None) -> bool:
    if document is None:
        return False
    literals = _Literals()
    visit(document, literals)
    return literals.found


class RefuseNul(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if has_nul(context.variables) or literal_has_nul(context.graphql_document):
            error = GraphQLError("text cannot contain the NUL character (U+0000)", extensions={"code": "BAD_USER_INPUT"})
            context.result = ExecutionResult(data=None, errors=[error])
        yield
