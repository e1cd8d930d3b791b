"""What every resolver gets: the caller, per-request DataLoaders and the stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from domain.access import AreaScope, SchoolScope, area_scope, school_scope, scope_token, student_scope
from domain.accounts import Account, Role
from domain.jurisdiction import Area, School
from domain.ports import (
    AccountStore,
    AreaStore,
    AuditEvent,
    AuditLog,
    Stamp,
    CalendarStore,
    CaseStore,
    CorrectionStore,
    DocumentStore,
    EvidenceObjects,
    FixityLog,
    SchoolStore,
    SectionStore,
    StudentStore,
)


@dataclass(frozen=True)
class Stores:
    """The persistence ports, wired by the API at start-up."""

    areas: AreaStore
    schools: SchoolStore
    accounts: AccountStore
    audit: AuditLog
    students: StudentStore
    corrections: CorrectionStore
    sections: SectionStore
    documents: DocumentStore
    archive: EvidenceObjects
    fixity: FixityLog
    cases: CaseStore
    calendar: CalendarStore


@dataclass
class Loaders:
    """Per-request DataLoaders: each batches the keys asked for in one tick into one query.
    They resolve objects related to a node the caller was already allowed to see."""

    area: DataLoader[str, Area | None]
    school: DataLoader[str, School | None]

    @classmethod
    def create(cls, stores: Stores) -> Loaders:
        return cls(
            area=DataLoader(load_fn=stores.areas.get_many),
            school=DataLoader(load_fn=stores.schools.get_many),
        )


@dataclass
class Context:
    request: Request
    response: Response
    account: Account
    stores: Stores
    loaders: Loaders
    request_id: str
    page_size_max: int

    @property
    def school_scope(self) -> SchoolScope:
        return school_scope(self.account)

    @property
    def student_scope_key(self) -> str | None:
        """The scope token of the dossiers the caller sees (None: every dossier)."""
        return scope_token(student_scope(self.account))

    def stamp(self) -> Stamp:
        """Who is changing things, under which request: for the transition log."""
        return Stamp(self.account.login, self.request_id)

    async def area_scope(self) -> AreaScope:
        school = None
        if self.account.role is Role.SCHOOL_REGISTRAR and self.account.scope_code:
            school = await self.loaders.school.load(self.account.scope_code)
        return area_scope(self.account, school)

    async def audit(
        self,
        action: str,
        target_type: str,
        target_id: str,
        outcome: str = "ok",
        *,
        school_code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        client = self.request.client
        await self.stores.audit.append(
            AuditEvent(
                actor=self.account.login,
                role=self.account.role.value,
                action=action,
                target_type=target_type,
                target_id=target_id,
                outcome=outcome,
                request_id=self.request_id,
                ip=client.host if client else None,
                user_agent=self.request.headers.get("user-agent"),
                school_code=school_code,
                details=details or {},
            )
        )


Info = StrawberryInfo[Context, None]
