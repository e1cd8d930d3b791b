"""The application layer's unit of work: who acts (an explicit `Actor`, not a request),
the persistence ports, and per-unit DataLoaders. Use cases in this package take a
`Session`; the GraphQL context, the upload route, jobs and commands each build one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from domain.access import AreaScope, SchoolScope, area_scope, school_scope, scope_token, student_scope
from domain.accounts import Account, Role
from domain.evidence import Document
from domain.jurisdiction import Area, School
from domain.school_handover import SchoolHandoverStore
from domain.workflows.engine import Case
from domain.ports import (
    AccountStore,
    AreaStore,
    AuditEvent,
    AuditLog,
    Stamp,
    CalendarStore,
    CaseStore,
    ChangeFeedStore,
    CorrectionStore,
    DocumentStore,
    EvidenceObjects,
    FixityLog,
    IntakeStore,
    PersistedOperationStore,
    ReverificationStore,
    PromotionStore,
    ArchiveHandoverStore,
    ExportRequestStore,
    SchoolStore,
    SectionStore,
    StudentStore,
)


T = TypeVar("T")


@dataclass(frozen=True)
class Stores:
    """The persistence ports, wired by the API at start-up."""

    areas: AreaStore
    schools: SchoolStore
    accounts: AccountStore
    audit: AuditLog
    students: StudentStore
    changes: ChangeFeedStore
    corrections: CorrectionStore
    sections: SectionStore
    documents: DocumentStore
    archive: EvidenceObjects
    fixity: FixityLog
    cases: CaseStore
    calendar: CalendarStore
    persisted_operations: PersistedOperationStore
    intake: IntakeStore
    reverification: ReverificationStore
    promotion: PromotionStore
    archive_handovers: ArchiveHandoverStore
    exports: ExportRequestStore
    school_handovers: SchoolHandoverStore


def _each(fetch: Callable[[str], Awaitable[T]]) -> Callable[[list[str]], Awaitable[list[T]]]:
    """A load function that asks for each key with its own equality query, all at once:
    FerretDB evaluates equality in SQL but not `$in`, so N indexed lookups in parallel beat
    one `$in` that reads the whole collection."""

    async def load(keys: list[str]) -> list[T]:
        return list(await asyncio.gather(*(fetch(k) for k in keys)))

    return load


@dataclass
class Loaders:
    """Per-request DataLoaders (`XByYLoader` in spirit): keys asked for in one tick are
    fetched together, and each key once per request. They resolve objects related to a
    node the caller was already allowed to see."""

    area: DataLoader[str, Area | None]
    school: DataLoader[str, School | None]
    cases_by_dossier: DataLoader[str, list[Case]]
    documents_by_dossier: DataLoader[str, list[Document]]

    @classmethod
    def create(cls, stores: Stores) -> Loaders:
        return cls(
            area=DataLoader(load_fn=stores.areas.get_many),
            school=DataLoader(load_fn=stores.schools.get_many),
            cases_by_dossier=DataLoader(load_fn=_each(stores.cases.for_dossier)),
            documents_by_dossier=DataLoader(load_fn=_each(stores.documents.for_dossier)),
        )


@dataclass(frozen=True)
class Actor:
    """Who acts, under which request, from where: a signed-in person through the API, or
    the account a command or job runs as (with its own request id and no address)."""

    account: Account
    request_id: str
    ip: str | None = None
    user_agent: str | None = None


@dataclass
class Session:
    """What every use case gets: the actor, the stores and per-unit-of-work DataLoaders.
    Resolvers, jobs and commands build one; nothing here knows about HTTP."""

    actor: Actor
    stores: Stores
    loaders: Loaders
    page_size_max: int

    @classmethod
    def open(cls, actor: Actor, stores: Stores, *, page_size_max: int = 100) -> Session:
        return cls(actor=actor, stores=stores, loaders=Loaders.create(stores), page_size_max=page_size_max)

    @property
    def account(self) -> Account:
        return self.actor.account

    @property
    def request_id(self) -> str:
        return self.actor.request_id

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
        await self.stores.audit.append(
            AuditEvent(
                actor=self.account.login,
                role=self.account.role.value,
                action=action,
                target_type=target_type,
                target_id=target_id,
                outcome=outcome,
                request_id=self.request_id,
                ip=self.actor.ip,
                user_agent=self.actor.user_agent,
                school_code=school_code,
                details=details or {},
            )
        )
