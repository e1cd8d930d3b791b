"""Reading archive handovers after transfers (Art. 18, 19): a school's or your scope's list,
by state, and one handover."""

from __future__ import annotations

from typing import Annotated

import strawberry

from application import archive_handovers as usecases
from domain.archive_handovers import HandoverState
from domain.errors import DomainError
from schema.archive_handovers.types import ArchiveHandover, HandoverStateType
from schema.context import Info
from schema.docs import SCHOOL_CODE
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor


@strawberry.type
class ArchiveHandoverQueries:
    @strawberry.field(
        description="Archive handovers after transfers that you see (Art. 18): with `schoolCode`, those of that school "
        "as sender or receiver (nothing for a school outside your scope); without it, those of every school you see. "
        "Registrars see their school's, departments those of the schools they see, archivists and auditors those of "
        "their area. By id. " + FORWARD_ONLY
    )
    async def archive_handovers(
        self,
        info: Info,
        school_code: Annotated[
            str | None, strawberry.argument(description=SCHOOL_CODE + " Only the handovers this school sends or receives.")
        ] = None,
        state: Annotated[
            HandoverStateType | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only handovers in this state; null for all."),
        ] = None,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[ArchiveHandover]:
        ctx = info.context
        page = await usecases.handovers_page(
            ctx,
            school_code,
            HandoverState(state) if state is not None else None,
            after=decode_cursor("archive-handover", after),
            first=check_first(first, ctx.page_size_max),
        )
        return connection("archive-handover", page.map(lambda h: ArchiveHandover(handover=h)), after=after)

    @strawberry.field(description="An archive handover by id (the transfer case's id); null when there is none or you do not see it.")
    async def archive_handover(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The handover's id.")]
    ) -> ArchiveHandover | None:
        try:
            return ArchiveHandover(handover=await usecases.handover_in_scope(info.context, str(id)))
        except DomainError:
            return None
