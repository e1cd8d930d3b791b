"""Relay connections: PageInfo as the Relay specification has it, for forward paging."""

from __future__ import annotations

import re

from domain.ports import Page
from schema import build_schema
from schema.pagination import connection, decode_cursor


def test_a_first_page_has_no_previous_page_and_both_cursors() -> None:
    page = connection("school", Page(["a", "b"], ["4101050001", "4101050002"], has_next=True, total=5), after=None)
    info = page.page_info
    assert info.has_next_page and not info.has_previous_page
    assert decode_cursor("school", info.start_cursor) == "4101050001"
    assert decode_cursor("school", info.end_cursor) == "4101050002"
    assert info.start_cursor == page.edges[0].cursor and info.end_cursor == page.edges[-1].cursor


def test_a_page_after_a_cursor_has_a_previous_page() -> None:
    first = connection("school", Page(["a"], ["4101050001"], has_next=True, total=2), after=None)
    second = connection("school", Page(["b"], ["4101050002"], has_next=False, total=2), after=first.page_info.end_cursor)
    assert second.page_info.has_previous_page and not second.page_info.has_next_page


def test_an_empty_page_has_no_cursors() -> None:
    empty: Page[str] = Page([], [], has_next=False, total=0)
    page = connection("school", empty, after=None)
    assert page.page_info.start_cursor is None and page.page_info.end_cursor is None


def test_page_info_has_every_relay_field_and_lists_page_forward_only() -> None:
    text = build_schema().as_str()
    block = text[text.index("type PageInfo {") :]
    block = block[: block.index("}")]
    for name in ("hasNextPage: Boolean!", "hasPreviousPage: Boolean!", "startCursor: String", "endCursor: String"):
        assert name in block
    assert not re.search(r"\blast: Int|\bbefore: String", text)
