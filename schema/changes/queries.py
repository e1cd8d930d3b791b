"""Reading the change feed (Art. 20, R-D5): a department's changes page by page, resumable."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry
from graphql import GraphQLError

from domain.access import NO_TOKEN
from schema.changes.types import DossierChange, DossierChangeConnection
from schema.context import Info
from schema.pagination import DEFAULT_PAGE_SIZE, Edge, First, PageInfo, check_first, decode_cursor, encode_cursor
from schema.students.types import shown_changes

CURSOR = "change"

ChangesAfter = Annotated[
    str | None,
    strawberry.argument(
        description="Return the changes after this cursor: the `resumeCursor` of the last page (or any edge's `cursor`, "
        "or `latestChangeCursor`). Null to read the feed from its start; a cursor of another list is BAD_USER_INPUT."
    ),
]


def _position(cursor: str | None) -> int:
    key = decode_cursor(CURSOR, cursor)
    if key is None:
        return 0
    if not key.isascii() or not key.isdigit():
        raise GraphQLError("invalid cursor", extensions={"code": "BAD_USER_INPUT", "field": "after"})
    return int(key)


@strawberry.type
class ChangeQueries:
    @strawberry.field(
        description="Every change of record to the dossiers in your scope, oldest first, in one order that never "
        "changes (the change feed, Art. 20: the department sees every change promptly; modelled on Ed-Fi's change "
        "queries). A change is in the feed of the schools that held or hosted the student just before or just after "
        "it, and of their departments: the sending side sees a transfer out, the receiving side the transfer in and "
        "what follows; a school that only keeps a copy (Art. 19) does not follow later changes. Paging with "
        "`resumeCursor` never skips or repeats a change, whatever is written meanwhile. A page may hold fewer than "
        "`first` changes only when it reaches the end of the feed."
    )
    async def changes(self, info: Info, first: First = DEFAULT_PAGE_SIZE, after: ChangesAfter = None) -> DossierChangeConnection:
        ctx = info.context
        # No role's dossier scope is unbounded (the admin sees no dossiers): fail closed.
        page = await ctx.stores.changes.page(
            ctx.student_scope_key or NO_TOKEN, after=_position(after), first=check_first(first, ctx.page_size_max)
        )
        # Masked (and audited when not) once per dossier and school on the page.
        groups: dict[tuple[str, str], list[int]] = {}
        for i, c in enumerate(page.items):
            groups.setdefault((c.school_code, c.number), []).append(i)
        masked = await asyncio.gather(
            *(shown_changes(info, school, number, [page.items[i].entry for i in at], "changes") for (school, number), at in groups.items())
        )  # all at once: the schools they need are read in one batch
        records = {i: record for at, group in zip(groups.values(), masked, strict=True) for i, record in zip(at, group, strict=True)}
        shown = [DossierChange(change=c, shown=records[i]) for i, c in enumerate(page.items)]
        edges = [Edge(cursor=encode_cursor(CURSOR, str(c.change.seq)), node=c) for c in shown]
        return DossierChangeConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            resume_cursor=encode_cursor(CURSOR, str(page.position)),
        )

    @strawberry.field(
        description="A cursor at the newest change there is now, for every scope: pass it as `after` to read only the "
        "changes made from now on (take it before reading a full list of students to start a copy)."
    )
    async def latest_change_cursor(self, info: Info) -> str:
        return encode_cursor(CURSOR, str(await info.context.stores.changes.head()))
