from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from domain.ports import AuditEvent as DomainAuditEvent


@strawberry.type(description="One line of the append-only audit trail.")
class AuditEvent:
    id: strawberry.ID
    at: datetime
    actor: str = strawberry.field(description="Login of the account that acted.")
    role: str
    action: str = strawberry.field(description="e.g. mutation:updateSchoolContact, read:studentFull, download:document")
    target_type: str
    target_id: str
    outcome: str = strawberry.field(description="'ok', or the stable error code the attempt was refused with.")
    school_code: str | None
    request_id: str | None
    ip: str | None
    user_agent: str | None
    details: JSON

    @classmethod
    def of(cls, e: DomainAuditEvent) -> AuditEvent:
        return cls(
            id=strawberry.ID(e.id or ""),
            at=e.at,
            actor=e.actor,
            role=e.role,
            action=e.action,
            target_type=e.target_type,
            target_id=e.target_id,
            outcome=e.outcome,
            school_code=e.school_code,
            request_id=e.request_id,
            ip=e.ip,
            user_agent=e.user_agent,
            details=cast(JSON, e.details),
        )
