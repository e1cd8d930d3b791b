from __future__ import annotations

from typing import Annotated

import strawberry

from application import accounts
from domain.text import identifier
from schema.accounts.types import ManagedAccount, Viewer
from schema.context import Info
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in account: your role, scope and whether you may write.")
    def viewer(self, info: Info) -> Viewer:
        return Viewer.of(info.context.account)

    @strawberry.field(
        description="The accounts of one school or area, by login, for whoever administers them (R-A4): the admin "
        "everywhere, a department inside its area. Empty for anyone else and for a scope you do not see. "
        + FORWARD_ONLY
    )
    async def accounts(
        self,
        info: Info,
        scope_code: Annotated[
            str | None,
            strawberry.argument(description="A school identifier (its registrars) or an area code (its departments, "
            "archivists, auditors); null for the admins (admin only)."),
        ] = None,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[ManagedAccount]:
        ctx = info.context
        code = identifier(scope_code) if scope_code is not None else None
        page = await accounts.accounts_at(
            ctx, code, after=decode_cursor("account", after), first=check_first(first, ctx.page_size_max)
        )
        return connection("account", page.map(ManagedAccount.of), after=after)
