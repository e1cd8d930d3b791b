"""What the rules need from persistence, as protocols. `storage/` implements them; the
GraphQL layer depends only on these, so dependencies point api → schema → domain ← storage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from domain.access import SchoolScope
from domain.accounts import Account
from domain.corrections import Correction, CorrectionState, DecisionRecord
from domain.dossier import Dossier, StudentState
from domain.evidence import (
    ArchiveList,
    Document,
    DocumentChange,
    DocumentVersion,
    FixityRun,
    ObjectCheck,
    ReconcileRun,
    StoredFile,
)
from domain.calendar import YearSchedule
from domain.sections import Section
from domain.workflows.engine import Case, CaseKind, CaseState
from domain.jurisdiction import Area, School, SchoolKind
from domain.persisted import PersistedOperation
from domain.intake import IntakeJob, IntakeResult, IntakeState
from domain.tables import Row
from domain.reference_lists import ListedVersion
from domain.reverification.records import Campaign, RosterEntry, SchoolResult
from domain.promotion import Move, YearEndPlan
from domain.archive_handovers import ArchiveHandover, HandoverState
from domain.exports import ExportLink, ExportRequest

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
class Stamp:
    """Who makes a change, under which request, when: carried into the transition log of
    every aggregate the change touches (Art. 20: every change recorded)."""

    actor: str
    request_id: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def system(cls, job: str) -> Stamp:
        return cls(f"system:{job}")


class ConcurrentWrite(Exception):
    """Another writer claimed this version of the aggregate first; nothing was changed."""

    def __init__(self, aggregate: str, aggregate_id: str, version: int) -> None:
        super().__init__(f"{aggregate} {aggregate_id} version {version} was claimed by another writer")
        self.aggregate = aggregate
        self.aggregate_id = aggregate_id
        self.version = version


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


@dataclass(frozen=True)
class HistoryEntry:
    """One change to a dossier (Art. 6 (1)): field → (old, new), who, when, why."""

    dossier_id: str
    at: datetime
    actor: str
    action: str  # ENROLLED, UPDATED, CORRECTED, VERIFIED, RETURNED, …
    changes: dict[str, tuple[Any, Any]]
    reason: str | None = None
    evidence: tuple[str, ...] = ()
    business_id: str | None = None


@dataclass(frozen=True)
class Change:
    """A change of record to a dossier (Art. 6 (1), Art. 20): what changed (old → new),
    why, on what evidence, under which business. Stored with the version it produced."""

    action: str  # ENROLLED, UPDATED, CORRECTED, VERIFIED, RETURNED, STATUS:<kind>, …
    changes: dict[str, tuple[Any, Any]]
    reason: str | None = None
    evidence: tuple[str, ...] = ()
    business_id: str | None = None


@dataclass(frozen=True)
class StudentFilter:
    area_field: str | None = None  # the school field that places it in `area_code`
    area_code: str | None = None
    school_code: str | None = None
    grade: int | None = None
    class_name: str | None = None
    state: StudentState | None = None
    entry_year: int | None = None
    name_prefix: str | None = None
    verified: bool | None = None
    incomplete: bool | None = None
    completeness_overdue_on: date | None = None  # incomplete and past the Art. 6 month on this day


@dataclass(frozen=True)
class StudentRow:
    """A dossier with what storage derives from it: the fields still missing (Art. 6)."""

    dossier: Dossier
    missing: tuple[str, ...]


class EnrolledElsewhere(Exception):
    """The identity already has a dossier (Art. 8: one person, one status)."""

    def __init__(self, existing: Dossier) -> None:
        super().__init__(existing.number)
        self.existing = existing


@dataclass(frozen=True)
class SectionSchema:
    section: Section
    version: int
    schema: dict[str, Any]
    published_by: str
    published_at: datetime


@dataclass(frozen=True)
class SectionEntry:
    id: str
    dossier_id: str
    section: Section
    schema_version: int
    data: dict[str, Any]
    recorded_by: str
    recorded_at: datetime


class AreaStore(Protocol):
    async def get_many(self, codes: Sequence[str]) -> list[Area | None]: ...
    async def list(self, *, parent_code: str | None = None) -> list[Area]: ...
    async def create_many(self, areas: Sequence[Area], stamp: Stamp, *, effective_on: date, source: str | None) -> None: ...
    async def rename(self, area: Area, stamp: Stamp, *, effective_on: date, source: str | None) -> Area | None: ...


class SchoolStore(Protocol):
    async def get(self, code: str, scope: SchoolScope) -> School | None: ...
    async def get_many(self, codes: Sequence[str]) -> list[School | None]: ...
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
        self, code: str, stamp: Stamp, *, address: str | None, phone: str | None, paper_archive_location: str | None
    ) -> School | None: ...
    async def in_area(self, area_code: str) -> list[School]: ...
    async def create_many(self, schools: Sequence[School], stamp: Stamp, *, effective_on: date, source: str | None) -> None: ...
    async def relist(
        self, school: School, stamp: Stamp, *, action: str, effective_on: date, source: str | None
    ) -> School | None: ...
    async def has_records(self, code: str) -> bool: ...
    async def history(self, code: str) -> list[ListedVersion]: ...
    async def mark_closed(self, code: str, closed: str, record: dict[str, Any], stamp: Stamp) -> School | None: ...


class AccountStore(Protocol):
    async def get(self, login: str) -> Account | None: ...
    async def page(self, scope_code: str | None, *, after: str | None, first: int) -> Page[Account]: ...
    async def registrars_of(self, school_codes: list[str]) -> list[Account]: ...
    async def record_training(self, login: str, on: date, stamp: Stamp) -> Account | None: ...
    async def create(self, account: Account, stamp: Stamp) -> Account | None: ...
    async def set_disabled(self, login: str, disabled: bool, stamp: Stamp, *, reason: str | None) -> Account | None: ...
    async def record_filing(self, login: str, on: date, reference: str, stamp: Stamp) -> Account | None: ...


class AuditLog(Protocol):
    async def append(self, event: AuditEvent) -> None: ...
    async def page(
        self,
        *,
        scope_key: str | None,
        actor: str | None,
        target_type: str | None,
        target_id: str | None,
        after: str | None,
        first: int,
    ) -> Page[AuditEvent]: ...


class StudentStore(Protocol):
    """Dossiers. Reads take a scope token (`domain.access.scope_token`; None: every
    dossier). Every write claims the dossier's next version (`ConcurrentWrite` or False
    when another writer claimed it first) and carries who made it (`Stamp`)."""

    async def next_sequence(self, prefix: str, stamp: Stamp) -> int: ...
    async def insert_new(self, dossier: Dossier, stamp: Stamp, change: Change) -> Dossier: ...
    async def claim_identity(self, key: str, dossier_id: str) -> Dossier | None: ...
    async def identity_holder(self, key: str) -> Dossier | None: ...
    async def release_identity(self, key: str, dossier_id: str) -> None: ...
    async def by_number(self, number: str, scope_key: str | None) -> StudentRow | None: ...
    async def by_id(self, dossier_id: str) -> Dossier | None: ...
    async def suspensions_ended(self, today: date) -> list[Dossier]: ...
    async def page(
        self, scope_key: str | None, f: StudentFilter, *, after: str | None, first: int, count: bool = True
    ) -> Page[StudentRow]: ...
    async def with_keys(self, keys: Sequence[str], limit: int = 50) -> list[tuple[Dossier, list[str]]]: ...
    async def replace(self, before: Dossier, after: Dossier, stamp: Stamp, change: Change | None = None) -> bool: ...
    async def lock_business(self, dossier_id: str, business_id: str, stamp: Stamp) -> bool: ...
    async def release_business(self, dossier_id: str, business_id: str, stamp: Stamp) -> None: ...
    async def history(self, dossier_id: str) -> list[HistoryEntry]: ...
    async def created_under(self, request_id: str, actor: str) -> Dossier | None: ...
    async def versions(self, dossier_id: str) -> list[tuple[Dossier, datetime]]:
        """Every logged version of the dossier, oldest first, with when it was recorded."""
        ...
    async def as_of(self, dossier_id: str, before: datetime) -> Dossier | None:
        """The dossier's last version recorded before `before`; None when it did not exist yet."""
        ...
    async def page_as_of(
        self, school_code: str, f: StudentFilter, before: datetime, *, after: str | None, first: int
    ) -> Page[AsOfRow]:
        """The dossiers the school held just before `before`, as they were then, matching
        `f` then; in dossier id order (keyset `after`)."""
        ...


@dataclass(frozen=True)
class AsOfRow:
    """A dossier as it was at some moment (`then`), with the dossier as it is now."""

    then: StudentRow
    now: Dossier


@dataclass(frozen=True)
class DossierChange:
    """One entry of the change feed (Art. 20): the change of record that produced
    `version` of a dossier, at its place in the feed's total order (`seq`)."""

    seq: int
    dossier_id: str
    version: int
    number: str  # the student number after the change
    school_code: str  # the school holding the status after the change
    entry: HistoryEntry


@dataclass(frozen=True)
class ChangePage:
    """Changes after a position of the feed, oldest first. `position` is where the next
    page starts: every change in scope up to it is in this page or an earlier one."""

    items: list[DossierChange]
    position: int
    has_next: bool


class ChangeFeedStore(Protocol):
    async def head(self) -> int: ...
    async def page(self, scope_key: str, *, after: int, first: int) -> ChangePage: ...


class CorrectionStore(Protocol):
    async def insert(self, correction: Correction, stamp: Stamp) -> None: ...
    async def get(self, correction_id: str) -> Correction | None: ...
    async def exists(self, correction_id: str) -> bool: ...
    async def record_decision(
        self, correction: Correction, record: DecisionRecord, state: CorrectionState, stamp: Stamp
    ) -> Correction | None: ...
    async def for_dossier(self, dossier_id: str) -> list[Correction]: ...


class SectionStore(Protocol):
    async def latest(self, section: Section) -> SectionSchema | None: ...
    async def publish(self, schema: SectionSchema) -> bool: ...
    async def add_entry(self, entry: SectionEntry) -> None: ...
    async def entries(self, dossier_id: str, section: Section | None, *, after: str | None, first: int) -> Page[SectionEntry]: ...


class DocumentStore(Protocol):
    async def insert_pending(self, document: Document, stamp: Stamp) -> bool: ...
    async def add_pending_version(self, document: Document, version: DocumentVersion, stamp: Stamp) -> bool: ...
    async def mark_stored(
        self, document_id: str, version: int, original: StoredFile, rendition: StoredFile | None, stamp: Stamp
    ) -> None: ...
    async def drop_pending(self, document_id: str, version: int, stamp: Stamp) -> None: ...
    async def get(self, document_id: str) -> Document | None: ...
    async def for_dossier(self, dossier_id: str) -> list[Document]:
        """The dossier's stored documents, oldest first; withdrawn ones are not in it."""
        ...
    async def set_legal_hold(self, document_id: str, hold: bool, stamp: Stamp) -> None: ...
    async def withdraw(self, before: Document, after: Document, stamp: Stamp) -> bool:
        """Claim the version after `before` for `after` (withdrawn); False when the document
        changed since it was read (nothing is changed then)."""
        ...
    async def set_paper_location(
        self, document_id: str, location: str, reason: str | None, stamp: Stamp
    ) -> tuple[str | None, Document] | None:
        """A new version with the location (the last one set wins; each is logged with its
        old and new value); the location it replaced and the document, or None when the
        document is gone."""
        ...
    async def history(self, document: Document) -> list[DocumentChange]: ...
    async def follow_dossier(self, dossier_id: str, stamp: Stamp) -> int:
        """Bring the scope of the dossier's documents up to the dossier's (after it moved
        to another school); how many documents changed."""
        ...
    async def page(self, scope_key: str, which: ArchiveList, *, after: str | None, first: int) -> Page[Document]: ...
    async def count_stuck(self, scope_key: str, pending_before: datetime) -> int:
        """Documents seen through the scope token with a version PENDING since before then."""
        ...


class EvidenceObjects(Protocol):
    """The object store under lock (S3)."""

    async def put_locked(
        self, key: str, path: Path, size: int, content_type: str, mode: str, until: datetime
    ) -> StoredObjectRef: ...
    async def set_legal_hold(self, key: str, version_id: str, hold: bool) -> None: ...
    def presigned_download(self, key: str, version_id: str, filename: str, content_type: str) -> tuple[str, datetime]: ...


class StoredObjectRef(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def version_id(self) -> str: ...


class FixityLog(Protocol):
    """What the archive sweeps recorded: fixity runs, each object's last check, reconcile runs."""

    async def recent(self, limit: int) -> list[FixityRun]: ...
    async def checks(self, document: Document) -> list[ObjectCheck]: ...
    async def last_reconcile(self) -> ReconcileRun | None: ...


@dataclass(frozen=True)
class CaseFilter:
    kind: CaseKind | None = None
    state: CaseState | None = None
    school_code: str | None = None
    number: str | None = None
    overdue_on: date | None = None
    awaiting_codes: tuple[str, ...] | None = None  # the caller's inbox: steps waiting for these codes


@dataclass(frozen=True)
class Reminder:
    id: str
    kind: str  # SUSPENSION_EXPIRED, …
    school_code: str
    dossier_id: str
    number: str
    due: date
    message: str


class CaseStore(Protocol):
    async def insert(self, case: Case, stamp: Stamp) -> None: ...
    async def get(self, case_id: str) -> Case | None: ...
    async def exists(self, case_id: str) -> bool: ...
    async def replace(self, before: Case, after: Case, stamp: Stamp) -> bool: ...
    async def for_dossier(self, dossier_id: str) -> list[Case]: ...
    async def overdue(self, today: date) -> list[Case]: ...
    async def page(
        self, scope_key: str | None, f: CaseFilter, *, after: str | None, first: int
    ) -> Page[Case]: ...
    async def remind(self, reminder: Reminder) -> bool: ...
    async def reminders(self, scope_key: str | None) -> list[Reminder]: ...


class CalendarStore(Protocol):
    async def overrides(self) -> list[YearSchedule]: ...
    async def save(self, schedule: YearSchedule, stamp: Stamp) -> None: ...


class PersistedOperationStore(Protocol):
    """Registered GraphQL documents by hash; insert-unique, never overwritten."""

    async def get(self, hash: str) -> PersistedOperation | None: ...

    async def insert(self, operation: PersistedOperation) -> bool:
        """False when the hash is already registered (the stored one is kept)."""
        ...


class IntakeStore(Protocol):
    """Bulk-intake jobs (domain/intake.py). Every write that must happen once is an insert
    with a unique `_id`: the job (school + file hash), its run leases, each row's claim and
    each row's result."""

    async def create(self, job: IntakeJob, rows: Sequence[Row]) -> tuple[IntakeJob, bool]: ...
    async def get(self, job_id: str) -> IntakeJob | None: ...
    async def rows(self, job_id: str) -> list[Row]: ...
    async def results(self, job_id: str) -> list[IntakeResult]: ...
    async def claimed_rows(self, job_id: str) -> set[int]: ...
    async def last_run(self, job_id: str) -> tuple[int, datetime] | None: ...
    async def claim_run(self, job_id: str, run: int, at: datetime) -> bool: ...
    async def heartbeat(self, job_id: str, run: int, at: datetime) -> None: ...
    async def claim_rows(self, job_id: str, rows: Sequence[int], run: int) -> list[bool]: ...
    async def record_many(self, results: Sequence[IntakeResult]) -> list[bool]: ...
    async def finish(self, job_id: str, state: IntakeState, at: datetime) -> None: ...
    async def unfinished(self) -> list[IntakeJob]: ...
    async def for_school(self, school_code: str, *, after: str | None, first: int) -> Page[IntakeJob]: ...


class ReverificationStore(Protocol):
    """Term re-verification (domain/reverification/): campaigns and their schools' results,
    each an aggregate of the transition log. Opening claims the campaign's version 1 (one
    per term and department); every later change claims the next version of the campaign
    or of one result, raising `ConcurrentWrite`, having changed nothing, when another
    writer claimed it first."""

    async def open(self, campaign: Campaign, stamp: Stamp) -> bool:
        """False when the campaign exists already (the stored one is kept)."""
        ...

    async def add_results(self, results: Sequence[SchoolResult], stamp: Stamp) -> int:
        """Version 1 of each result not stored yet; the count added."""
        ...

    async def campaign(self, campaign_id: str) -> Campaign | None: ...
    async def campaigns(
        self, *, within: str | None, school_code: str | None, term_code: str | None, after: str | None, first: int
    ) -> Page[Campaign]:
        """Campaigns of departments in the area `within` (itself included), or including
        the school `school_code`; exactly one of the two is given."""
        ...

    async def open_campaigns(self) -> list[Campaign]: ...
    async def replace_campaign(self, before: Campaign, after: Campaign, stamp: Stamp, *, action: str) -> None: ...
    async def result(self, result_id: str) -> SchoolResult | None: ...
    async def results(self, campaign_id: str) -> list[SchoolResult]: ...
    async def replace_result(
        self, before: SchoolResult, after: SchoolResult, stamp: Stamp, *, action: str, roster: Sequence[RosterEntry] = ()
    ) -> None:
        """`roster`: the roster a confirmation confirms, kept with that version in the log."""
        ...

    async def overdue_results(self, today: date) -> list[SchoolResult]: ...
    async def escalated_to(self, code: str, *, after: str | None, first: int) -> Page[SchoolResult]: ...
    async def roster(self, school_code: str) -> list[RosterEntry]:
        """The dossiers the school holds a status for, in a state on the roster."""
        ...

    async def roster_page(
        self, school_code: str, *, grade: int | None, class_name: str | None, after: str | None, first: int
    ) -> Page[StudentRow]:
        """One page of the roster, of one grade or class when given."""
        ...


class PromotionStore(Protocol):
    """Year-end plans and their runs (domain/promotion.py, Art. 17). `apply` moves each
    student of a plan exactly once, by claiming the dossier version after the planned one
    in the transition log; a dossier changed since the plan is recorded stale, not moved."""

    async def school_dossiers(self, school_code: str) -> list[Dossier]: ...
    async def save(self, plan: YearEndPlan) -> None:
        """The moves first, then the plan: a plan that exists has all its moves."""
        ...

    async def plan(self, plan_id: str, *, with_moves: bool = False) -> YearEndPlan | None: ...
    async def confirm(self, plan_id: str, stamp: Stamp) -> bool:
        """False when the plan was confirmed before (the first confirmation is kept)."""
        ...

    async def finish(self, plan_id: str, stamp: Stamp) -> bool: ...
    async def events(self, plan_id: str) -> dict[str, tuple[str, datetime]]: ...
    async def unfinished(self) -> dict[str, str]:
        """Plan id → who confirmed it, of every confirmed plan whose job has not finished."""
        ...

    async def outcomes(self, plan_id: str) -> dict[str, tuple[str, str]]:
        """Dossier id → (number, MOVED or STALE) of every student the run dealt with."""
        ...

    async def apply(self, plan: YearEndPlan, moves: Sequence[Move], stamp: Stamp, *, batch: int = 500) -> None:
        """Carry out moves of one school (each at most once, whoever else runs the plan)."""
        ...

    async def unplaced(self, area_code: str, today: date, *, after: str | None, first: int) -> Page[StudentRow]:
        """Primary graduates of the area's schools whose placement fell due before today."""
        ...


class ArchiveHandoverStore(Protocol):
    """Archive handovers after a transfer (Art. 18, 19), each an aggregate of the transition
    log keyed by the transfer case's id: `open` claims version 1 (one per transfer), every
    later change the next version (`ConcurrentWrite`, having changed nothing, when another
    writer claimed it first)."""

    async def open(self, h: ArchiveHandover, stamp: Stamp) -> bool:
        """False when the handover exists already (the stored one is kept)."""
        ...

    async def get(self, handover_id: str) -> ArchiveHandover | None: ...
    async def replace(self, before: ArchiveHandover, after: ArchiveHandover, stamp: Stamp, *, action: str) -> None: ...
    async def page(
        self, scope_key: str | None, state: HandoverState | None, *, after: str | None, first: int
    ) -> Page[ArchiveHandover]:
        """Handovers seen through one scope token (None: all), in id order."""
        ...

    async def overdue(self, today: date) -> list[ArchiveHandover]: ...
    async def due_between(self, scope_key: str, start: date, end: date) -> list[ArchiveHandover]: ...
    async def transfer_version(self, dossier_id: str, case_id: str) -> tuple[int, datetime] | None:
        """The dossier's version written by the case's status change, and when."""
        ...

    async def dossier_at(self, dossier_id: str, version: int) -> Dossier | None: ...


class ExportRequestStore(Protocol):
    """Export requests (Art. 24) and their download links (storage/exports.py)."""

    async def create(self, request: ExportRequest, stamp: Stamp) -> None: ...
    async def get(self, request_id: str) -> ExportRequest | None: ...
    async def replace(self, before: ExportRequest, after: ExportRequest, stamp: Stamp, *, action: str) -> None:
        """Claim the version after `before`; ConcurrentWrite when another change won it."""
        ...

    async def add_document(self, request_id: str, document_id: str, stamp: Stamp) -> ExportRequest | None: ...
    async def page(self, *, requester: str | None, area_key: str | None, after: str | None, first: int) -> Page[ExportRequest]: ...
    async def add_link(self, token: str, link: ExportLink, at: datetime) -> None: ...
    async def link(self, token: str) -> ExportLink | None: ...
