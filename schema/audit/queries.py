"""The audit trail, for auditors (R-A4, R-A6)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from graphql import GraphQLError

from domain.access import audit_school_filter, scope_token
from schema.audit.types import AuditEvent
from schema.context import Info
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor


@strawberry.input(description="Narrow the audit trail; all filters combine with AND, and null ones do not filter.")
class AuditEventFilter:
    actor: str | None = strawberry.field(default=None, description="Only events of this login.")
    target_type: str | None = strawberry.field(default=None, description="Only events about this kind of target (`student`…).")
    target_id: str | None = strawberry.field(default=None, description="Only events about this target id, exactly.")


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description="Audit events about the schools located in your area, newest first (a province auditor sees every "
        "event, those about no school too). Auditors only: anyone else gets a FORBIDDEN error. " + FORWARD_ONLY
    )
    async def audit_events(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter: Annotated[
            AuditEventFilter | None, strawberry.argument(description="Narrow the trail; null for every event you see.")
        ] = None,
    ) -> Connection[AuditEvent]:
        ctx = info.context
        allowed = audit_school_filter(ctx.account)
        if allowed is None:
            raise GraphQLError("the audit trail is for auditors", extensions={"code": "FORBIDDEN"})
        f = filter or AuditEventFilter()
        cursor = decode_cursor("audit", after)
        if cursor is not None and not _is_object_id(cursor):
            raise GraphQLError("invalid cursor", extensions={"code": "BAD_USER_INPUT", "field": "after"})
        page = await ctx.stores.audit.page(
            scope_key=scope_token(allowed),
            actor=f.actor,
            target_type=f.target_type,
            target_id=f.target_id,
            after=cursor,
            first=check_first(first, ctx.page_size_max),
        )
        return connection("audit", page.map(AuditEvent.of), after=after)


def _is_object_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)
