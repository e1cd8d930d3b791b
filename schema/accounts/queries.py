from __future__ import annotations

import strawberry

from schema.accounts.types import Viewer
from schema.context import Info


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in account: your role, scope and whether you may write.")
    def viewer(self, info: Info) -> Viewer:
        return Viewer.of(info.context.account)
