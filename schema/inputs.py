"""Checks on query arguments: bad input is a GraphQL error with code BAD_USER_INPUT."""

from __future__ import annotations

from graphql import GraphQLError

from domain.errors import DomainError
from domain.jurisdiction import validate_area_code


def bad_input(error: DomainError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": "BAD_USER_INPUT", "field": error.field, "reason": error.code})


def check_area_code(code: str) -> str:
    try:
        return validate_area_code(code)
    except DomainError as e:
        raise bad_input(e) from e
