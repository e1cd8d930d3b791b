"""What the rules need from persistence, as protocols. `storage/` implements them; the
GraphQL layer depends only on these, so dependencies point api → schema → domain ← storage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, Protocol, TypeVar

from domain.access import SchoolScope
from domain.accounts import Account
from domain.jurisdiction import Area, School, SchoolKind

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a keyset-paginated list: items, their cursor keys, more after?"""

    items: list[T]
    keys: list[str]
    has_next: bool
    total: int

    def map(self, fn: Callable[[T], U]) -> Page[U]:
        return Page([fn(item) for item in self.items], self.keys, self.has_next, self.total)


@dataclass(frozen=True)
class AuditEvent:
    """One line of the append-only audit trail: who did or read what, when, from where."""

    actor: str
    role: str
    action: str  # "mutation:updateSchoolContact", "read:studentFull", "download:document", …
    target_type: str
    target_id: str
    outcome: str  # "ok" or the stable error code
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    school_code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: str | None = None


class AreaStore(Protocol):
    async def get_many(self, codes: Sequence[str]) -> list[Area | None]: ...
    async def list(self, *, parent_code: str | None = None) -> list[Area]: ...


class SchoolStore(Protocol):
    async def get(self, code: str, scope: SchoolScope) -> School | None: ...
    async def get_many(self, codes: Sequence[str]) -> list[School | None]: ...
    async def codes(self, scope: SchoolScope) -> list[str]: ...
    async def page(
        self,
        scope: SchoolScope,
        *,
        area_code: str | None,
        kind: SchoolKind | None,
        supervisor_code: str | None,
        after: str | None,
        first: int,
    ) -> Page[School]: ...
    async def update_contact(
        self, code: str, *, address: str | None, phone: str | None, paper_archive_location: str | None
    ) -> School | None: ...


class AccountStore(Protocol):
    async def get(self, login: str) -> Account | None: ...
    async def registrars_of(self, school_codes: list[str]) -> list[Account]: ...
    async def record_training(self, login: str, on: date) -> Account | None: ...


class AuditLog(Protocol):
    async def append(self, event: AuditEvent) -> None: ...
    async def page(
        self,
        *,
        school_codes: list[str] | None,
        actor: str | None,
        target_type: str | None,
        target_id: str | None,
        after: str | None,
        first: int,
    ) -> Page[AuditEvent]: ...
