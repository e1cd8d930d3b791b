"""Scanned evidence (R-E1..E4, R-B7; Art. 6 (2), 9, 19, 24): what kinds exist, how long
each is kept and how, and which file types may enter the archive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from datetime import datetime, timedelta
from enum import StrEnum

from domain.accounts import Account, Role
from domain.error_codes import declared
from domain.errors import PermissionDenied


class EvidenceKind(StrEnum):
    HOUSEHOLD_REGISTER = "HOUSEHOLD_REGISTER"  # 居民户口簿 (Art. 10)
    MEDICAL_CERTIFICATE = "MEDICAL_CERTIFICATE"  # 县级以上医院诊断证明 (Art. 13)
    RECOVERY_CERTIFICATE = "RECOVERY_CERTIFICATE"  # 治愈 / 可正常学习证明 (Art. 13)
    SKIP_GRADE_FORM = "SKIP_GRADE_FORM"  # 学校签章后的跳级申请 (Art. 15)
    TRANSFER_CERTIFICATE = "TRANSFER_CERTIFICATE"  # 学籍证明 / 转学证明 (Art. 11)
    STATUS_APPLICATION = "STATUS_APPLICATION"  # guardians' written applications (Art. 6 (2))
    DEATH_CERTIFICATE = "DEATH_CERTIFICATE"  # 死亡证明 (Art. 16)
    APPROVAL_LETTER = "APPROVAL_LETTER"  # 批准文件 (Art. 4 age exceptions, Art. 24 exports)
    SANCTION_DECISION = "SANCTION_DECISION"  # 处分决定 / 解除处分决定 (Art. 11(4))
    WORKING_COPY = "WORKING_COPY"  # a scan kept while a case is worked on, not dossier evidence


class RetentionMode(StrEnum):
    COMPLIANCE = "COMPLIANCE"  # nobody, not even the store's root, can shorten or remove it
    GOVERNANCE = "GOVERNANCE"  # removable only with a special bypass permission we never grant


@dataclass(frozen=True)
class RetentionClass:
    name: str
    mode: RetentionMode
    period: timedelta
    extend_when_left: timedelta | None  # the retention job keeps extending it (permanent archive)


YEAR = timedelta(days=365)

# Art. 19: the last school keeps the archive permanently. S3 has no "forever", so the
# permanent class is a COMPLIANCE lock with a long horizon that the retention job pushes
# forward whenever less than ten years remain.
PERMANENT = RetentionClass("PERMANENT", RetentionMode.COMPLIANCE, 30 * YEAR, 10 * YEAR)
WORKING = RetentionClass("WORKING", RetentionMode.GOVERNANCE, 3 * YEAR, None)

RETENTION_BY_KIND: dict[EvidenceKind, RetentionClass] = {
    EvidenceKind.HOUSEHOLD_REGISTER: PERMANENT,
    EvidenceKind.MEDICAL_CERTIFICATE: PERMANENT,
    EvidenceKind.RECOVERY_CERTIFICATE: PERMANENT,
    EvidenceKind.SKIP_GRADE_FORM: PERMANENT,
    EvidenceKind.TRANSFER_CERTIFICATE: PERMANENT,
    EvidenceKind.STATUS_APPLICATION: PERMANENT,
    EvidenceKind.DEATH_CERTIFICATE: PERMANENT,
    EvidenceKind.APPROVAL_LETTER: PERMANENT,
    EvidenceKind.SANCTION_DECISION: PERMANENT,
    EvidenceKind.WORKING_COPY: WORKING,
}

CLASSES = {c.name: c for c in (PERMANENT, WORKING)}


def lock_until(kind: EvidenceKind, now: datetime) -> datetime:
    return now + RETENTION_BY_KIND[kind].period


def needs_extension(retention: RetentionClass, until: datetime, now: datetime) -> datetime | None:
    """The new lock-until for an object whose permanent lock runs low, else None."""
    if retention.extend_when_left is None or until - now >= retention.extend_when_left:
        return None
    return now + retention.period


# The allow-list, by the type found in the bytes (never the name or the declared type):
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    # Phone photos and most scanners' default; lossy but small.
    "image/jpeg": (".jpg", ".jpeg"),
    # Lossless screenshots and scanner exports; exact for signatures and seals.
    "image/png": (".png",),
    # The archival scanner format (often multi-page, lossless); rendered to PNG for viewing.
    "image/tiff": (".tif", ".tiff"),
    # Multi-page scans and issued certificates; accepted only without active content.
    "application/pdf": (".pdf",),
}

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/tiff"})


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 60_000_000  # an A3 page at 600 dpi is ~70 MP greyscale; phones ~50 MP
    max_pages: int = 60
    max_pdf_objects: int = 100_000  # dictionaries and arrays a PDF's check walks; more is refused


# What the checks of storage/scan_checks.py refuse: the type allow-list above, the limits,
# and files that cannot be read completely or carry active content (R-E2).
SCAN_CODES = declared(
    "TYPE_NOT_ALLOWED", "NAME_TYPE_MISMATCH", "DECLARED_TYPE_MISMATCH", "IMAGE_TOO_LARGE", "TOO_MANY_PAGES",
    "CORRUPT_IMAGE", "CORRUPT_PDF", "PDF_ENCRYPTED", "PDF_ACTIVE_CONTENT", "PDF_TOO_COMPLEX", "PDF_TRAILING_DATA",
)
EVIDENCE_ROLE_CODES = declared("PERMISSION_DENIED")  # `require_uploader`, `require_archivist`


def require_uploader(account: Account, school_code: str) -> None:
    """Scans are keyed in by the registrar of the student's school (Art. 6, 9)."""
    if not (account.role is Role.SCHOOL_REGISTRAR and account.scope_code == school_code):
        raise PermissionDenied("only the student's school uploads its evidence")


def require_archivist(account: Account) -> None:
    """Legal holds are set and released by archivists only (R-E3)."""
    if account.role is not Role.ARCHIVIST or account.disabled:
        raise PermissionDenied("only archivists set or release legal holds")


def may_read_fixity(account: Account) -> bool:
    """The archive's own state (fixity, uploads left PENDING, objects without metadata,
    legal holds, withdrawals): for archivists, who answer for it, and auditors, who check
    it (R-E3), each within their area."""
    return account.role in (Role.ARCHIVIST, Role.AUDITOR) and not account.disabled


def may_see_withdrawn(account: Account) -> bool:
    """A withdrawn scan belongs to another child (Art. 24): it is out of every dossier and
    seen, with its withdrawal, only by those who review the archive."""
    return may_read_fixity(account)


def may_download_original(account: Account) -> bool:
    """The untouched original (with its camera metadata) is for archivists checking
    integrity; everyone else downloads the normalised rendition."""
    return account.role is Role.ARCHIVIST and not account.disabled


class DocumentState(StrEnum):
    """PENDING while its object is being written: never shown, finished or cleaned up by the
    reconcile step; STORED once the object is in the archive under lock."""

    PENDING = "PENDING"
    STORED = "STORED"


@dataclass(frozen=True)
class StoredFile:
    key: str
    version_id: str
    sha256: str
    size: int
    content_type: str


@dataclass(frozen=True)
class DocumentVersion:
    version: int
    original: StoredFile
    rendition: StoredFile | None  # images only: orientation applied, metadata stripped
    pages: int
    filename: str | None
    uploaded_by: str
    uploaded_at: datetime
    lock_until: datetime
    state: DocumentState
    trailing_bytes: int = 0  # bytes after the end of the image in the original (never in the rendition)

    def objects(self) -> list[tuple[ObjectPart, StoredFile]]:
        """The version's objects in the store: its original, and its rendition if any."""
        parts = ((ObjectPart.ORIGINAL, self.original), (ObjectPart.RENDITION, self.rendition))
        return [(part, stored) for part, stored in parts if stored is not None]


@dataclass(frozen=True)
class Withdrawal:
    """Who took a document out of its dossier, when and why (a scan filed under the wrong
    student). The bytes and the metadata stay under retention: nothing is deleted (R-E3)."""

    by: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class Document:
    """Evidence metadata (in MongoDB, never inside the dossier); the bytes are in S3."""

    id: str
    dossier_id: str
    number: str
    school_code: str
    kind: EvidenceKind
    retention_class: str
    business_kind: str | None  # "correction", "transfer", …
    business_id: str | None
    paper_location: str | None  # Art. 9: the paper file this scan mirrors
    legal_hold: bool
    versions: tuple[DocumentVersion, ...]
    created_at: datetime
    revision: int = 1
    withdrawal: Withdrawal | None = None

    @property
    def current(self) -> DocumentVersion | None:
        stored = [v for v in self.versions if v.state is DocumentState.STORED]
        return stored[-1] if stored else None

    @property
    def pending_since(self) -> datetime | None:
        """When the oldest version still PENDING was uploaded; None when none is."""
        pending = [v.uploaded_at for v in self.versions if v.state is DocumentState.PENDING]
        return min(pending) if pending else None


@dataclass(frozen=True)
class DocumentChange:
    """One version of a document's record (its transition log): who, when, what (the
    changed fields, old → new, for changes of record such as the paper location), why."""

    version: int
    at: datetime
    actor: str
    action: str  # VERSION_PENDING, VERSION_STORED, LEGAL_HOLD_SET, PAPER_LOCATION_CHANGED, WITHDRAWN, …
    changes: dict[str, tuple[Any, Any]]
    reason: str | None


EVIDENCE_PREFIX = "evidence/"


def object_key(school_code: str, dossier_id: str, document_id: str, part: str) -> str:
    """Where a document's bytes live. Versions of one document share the key (S3 versioning)."""
    return f"{EVIDENCE_PREFIX}{school_code}/{dossier_id}/{document_id}/{part}"


@dataclass(frozen=True)
class ObjectPlace:
    """What an evidence key says: the school whose archive it was stored in, the dossier,
    the document and the part."""

    school_code: str
    dossier_id: str
    document_id: str
    part: str


def place_of(key: str) -> ObjectPlace | None:
    """The parts of a key written by `object_key`; None for any other key."""
    if not key.startswith(EVIDENCE_PREFIX):
        return None
    parts = key[len(EVIDENCE_PREFIX):].split("/")
    if len(parts) != 4 or not all(parts):
        return None
    return ObjectPlace(*parts)


class ArchiveList(StrEnum):
    """The documents an archivist reviews, listed by scope: under legal hold, or withdrawn."""

    LEGAL_HOLD = "LEGAL_HOLD"
    WITHDRAWN = "WITHDRAWN"


class ObjectPart(StrEnum):
    ORIGINAL = "original"
    RENDITION = "rendition"


class FixityResult(StrEnum):
    OK = "OK"
    MISMATCH = "MISMATCH"  # the bytes' SHA-256 or size differ from the recorded ones
    MISSING = "MISSING"  # the store no longer has this object version


@dataclass(frozen=True)
class ObjectCheck:
    """The last fixity check of one stored object (a version's original or rendition)."""

    document_id: str
    version: int
    part: ObjectPart
    run_id: str
    checked_at: datetime
    result: FixityResult


# An upload whose metadata stays PENDING longer than this is stuck: the reconcile sweep
# finishes or forgets it (`storage/sweeps.py::reconcile_pending`).
STUCK_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class ReconcileRun:
    """One pass of the reconcile sweep: PENDING uploads finished or forgotten, and objects
    in the store that no document's metadata names (orphans), counted per scope token."""

    id: str
    started_at: datetime
    finished_at: datetime | None
    completed: int
    forgotten: int
    objects_checked: int
    orphans: int
    orphans_by_scope: dict[str, int]

    def orphans_in(self, scope_key: str) -> int:
        return self.orphans_by_scope.get(scope_key, 0)


@dataclass
class FixityRun:
    """One pass of the fixity audit: how far it got and what it found."""

    id: str
    started_at: datetime
    checked: int = 0
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    last_id: str | None = None
    finished_at: datetime | None = None
