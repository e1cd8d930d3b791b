"""Reading export requests (Art. 24): the ones you see, and one by id."""

from __future__ import annotations

from typing import Annotated

import strawberry

from application import exports as usecases
from domain.errors import DomainError
from domain.ports import Page
from schema.context import Info
from schema.exports.types import ExportRequest
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor


@strawberry.type
class ExportQueries:
    @strawberry.field(
        description="The export requests you see (Art. 24): a department or an auditor those decided by the departments "
        "in its area, anyone else those they made. By id. " + FORWARD_ONLY
    )
    async def export_requests(self, info: Info, first: First = DEFAULT_PAGE_SIZE, after: After = None) -> Connection[ExportRequest]:
        ctx = info.context
        page = await usecases.requests_page(ctx, after=decode_cursor("export", after), first=check_first(first, ctx.page_size_max))
        items = [ExportRequest(request=r) for r in page.items]
        return connection("export", Page(items, page.keys, page.has_next, page.total), after=after)

    @strawberry.field(description="An export request by id; null when there is none or you do not see it.")
    async def export_request(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The request's id.")]
    ) -> ExportRequest | None:
        try:
            found = await usecases.export_in_scope(info.context, str(id))
        except DomainError:
            return None
        return ExportRequest(request=found)
