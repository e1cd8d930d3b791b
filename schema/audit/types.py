from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from domain.ports import AuditEvent as DomainAuditEvent


@strawberry.type(
    description="One line of the append-only audit trail (R-A6): every mutation, accepted or refused, every read of "
    "personal data and every download link. Auditors only."
)
class AuditEvent:
    id: strawberry.ID = strawberry.field(description="The event's id; ids sort in the order of recording.")
    at: datetime = strawberry.field(description="When it happened (ISO 8601 date and time, UTC).")
    actor: str = strawberry.field(description="Login of the account that acted.")
    role: str = strawberry.field(description="The actor's Role at the time.")
    action: str = strawberry.field(description="What was done, as `kind:name`: `mutation:<mutation name>` (accepted or refused), `read:studentFull` (a full dossier read), `download:document`, `upload:document`.")
    target_type: str = strawberry.field(
        description="What was acted on: student, school, case, correction, document, account, section, calendar."
    )
    target_id: str = strawberry.field(
        description="Its id: a student number, school identifier, case, correction or document id, login, …"
    )
    outcome: str = strawberry.field(description="'ok', or the stable error code the attempt was refused with.")
    school_code: str | None = strawberry.field(description="The school (学校标识码) the event is about; null for none.")
    request_id: str | None = strawberry.field(description="The request's X-Request-ID, to find it in the logs.")
    ip: str | None = strawberry.field(description="The client's IP address, as the API saw it.")
    user_agent: str | None = strawberry.field(description="The client's User-Agent header.")
    details: JSON = strawberry.field(
        description="A JSON object with what else matters: the refused `field`, before and after values, the fields read…"
    )

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
