"""Every attempt at a change is audited (R-A6), whoever makes it: a resolver, a command or a
job runs its use case through `audited`, with the session's actor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from application.session import Session
from domain.error_codes import declared
from domain.errors import DomainError
from domain.ports import ConcurrentWrite

# Every use case that writes can meet a concurrent write to the same record: `audited`
# turns it into CONFLICT.
RACE_CODES = declared("CONFLICT")

S = TypeVar("S")


@dataclass
class Outcome(Generic[S]):
    """What a successful use case returns: its result and what to audit about it."""

    result: S
    school_code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


async def audited(
    session: Session, *, action: str, target: tuple[str, str], body: Callable[[], Awaitable[Outcome[S]]]
) -> Outcome[S]:
    """Run `body` as the session's actor and write the attempt to the audit trail (who,
    what, when, from where, outcome). A refusal is audited with its code, then raised; a
    concurrent write that won is refused as CONFLICT."""
    target_type, target_id = target
    try:
        try:
            outcome = await body()
        except ConcurrentWrite as race:
            raise DomainError(None, "the record was changed by someone else meanwhile; reload it and try again", "CONFLICT") from race
    except DomainError as e:
        await session.audit(action, target_type, target_id, e.code, details={"field": e.field})
        raise
    await session.audit(action, target_type, target_id, school_code=outcome.school_code, details=outcome.details)
    return outcome
