"""Relay connections with opaque keyset cursors, paged forward (`first`/`after`); see
`PageInfo` for why there is no `last`/`before`."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Generic, TypeVar

import strawberry
from graphql import GraphQLError

from domain.ports import Page

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 20


FORWARD_ONLY = (
    "Pages forward only, with `first` and `after`: there is no `last`/`before`; to go back, ask again with the "
    "`after` of an earlier page (see `PageInfo`)."
)
First = Annotated[
    int,
    strawberry.argument(description="How many items to return: 1 to 100 (the server's page-size limit); default 20."),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Return the items after this cursor: an `endCursor` (or an edge's `cursor`) of this same list. "
        "Null for the first page; a cursor of another list is BAD_USER_INPUT."
    ),
]


@strawberry.type(
    description="Where a page stands in its list (Relay PageInfo). Lists are keyset pages over the records' ids "
    "with equality filters, and page forward only: a backward page (`last`/`before`) would need the reverse sort "
    "in every list's store, and on the embedded FerretDB every sort is done in its Go code over all matching "
    "records, so it would cost as much as a forward page while offering nothing a client cannot do by keeping the "
    "`after` cursors of the pages it has shown."
)
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="True when more items follow this page: pass `endCursor` as `after` to get them."
    )
    has_previous_page: bool = strawberry.field(
        description="True when this page was asked for with `after` (the list is past its start; the items before the "
        "cursor may since have left the list), false for the first page. Not computed by looking backwards, as the "
        "Relay specification allows for forward paging."
    )
    start_cursor: str | None = strawberry.field(description="The cursor of this page's first edge; null when the page is empty.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of this page's last edge, to pass as `after` for the next page; null when the page is empty."
    )


@strawberry.type(description="One item of a list and the cursor that points just after it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="An opaque cursor (base64): pass it as `after` to continue the list after this item. Valid for this "
        "list only; it stays valid while the item exists."
    )
    node: T = strawberry.field(description="The item itself.")


@strawberry.type(
    description="A page of a list (Relay connection): pass `pageInfo.endCursor` as `after` for the next one. "
    "Forward only: see `PageInfo`."
)
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page, in the list's order, with their cursors.")
    page_info: PageInfo = strawberry.field(description="Whether there are pages after (and before) this one, and their cursors.")
    total_count: int = strawberry.field(
        description="How many items match the filter in all pages together (counted when the page is read)."
    )


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


def connection(kind: str, page: Page[T], *, after: str | None) -> Connection[T]:
    """The page as a connection. `after` is the cursor the page was asked for with: a page
    after a cursor has a previous page (Relay: `hasPreviousPage` when paging forward)."""
    edges = [Edge(cursor=encode_cursor(kind, key), node=item) for item, key in zip(page.items, page.keys, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=page.total,
    )
