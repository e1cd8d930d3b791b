"""Relay-style connections with opaque keyset cursors."""

from __future__ import annotations

import base64
import binascii
from typing import Generic, TypeVar

import strawberry
from graphql import GraphQLError

from domain.ports import Page

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 20


@strawberry.type(description="Where a page stands in a list (Relay PageInfo).")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="One item of a list and the cursor just after it.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list: pass `pageInfo.endCursor` as `after` for the next one.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many items match the filter in all pages.")


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        prefix, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        prefix, key = "", ""
    if prefix != kind or not key:
        raise GraphQLError("invalid cursor", extensions={"code": "BAD_USER_INPUT", "field": "after"})
    return key


def check_first(first: int, maximum: int) -> int:
    if not 1 <= first <= maximum:
        raise GraphQLError(
            f"first must be between 1 and {maximum}", extensions={"code": "BAD_USER_INPUT", "field": "first"}
        )
    return first


def connection(kind: str, page: Page[T]) -> Connection[T]:
    edges = [Edge(cursor=encode_cursor(kind, key), node=item) for item, key in zip(page.items, page.keys, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
        total_count=page.total,
    )
