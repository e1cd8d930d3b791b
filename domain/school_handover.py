"""A school's archive handed over as a whole when it merges into another school or closes
(Art. 19, R-D4): who records it, what it changes, and when it is complete.

A merger (A into B) or a closure (C, its archive to the school the county designates) is
recorded by the school's supervising department, with the decision it rests on and the
day it takes effect. From then on the school takes no new enrolment, transfer or intake
row (`require_open`). The handover job moves every dossier the school holds, and with it
the responsibility for its evidence, to the receiver; a BagIt manifest of what moved is
archived under retention; the receiver verifies it and acknowledges it, and only then is
the handover complete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from domain.access import require_writer, school_scope, supervises
from domain.accounts import Account, Role
from domain.error_codes import declared
from domain.errors import DomainError, PermissionDenied
from domain.jurisdiction import School
from domain.ports import Stamp, StudentRow
from domain.dossier import StudentState
from domain.text import TEXT_CODES, ascii_pattern, clean_text, identifier, is_ascii_identifier

MAX_REFERENCE = 100  # a decision reference, as approval references elsewhere
_UNIT_CODE = ascii_pattern(r"[0-9A-Z]{6,20}")
# Students still studying (Art. 5-8: status kept): without a school when theirs closed.
STUDYING = frozenset({StudentState.ENROLLED, StudentState.SUSPENDED, StudentState.ABROAD, StudentState.DROPPED_OUT})


class SchoolHandoverKind(StrEnum):
    MERGER = "MERGER"  # 合并: the school's archive goes to the school it merges into
    CLOSURE = "CLOSURE"  # 撤销: the archive goes to the unit the county designates


class SchoolHandoverState(StrEnum):
    MOVING = "MOVING"  # recorded; the job moves the dossiers and evidence
    BAGGED = "BAGGED"  # everything moved; the manifest is archived and awaits the receiver
    VERIFIED = "VERIFIED"  # the receiver checked every checksum and count
    ACKNOWLEDGED = "ACKNOWLEDGED"  # the receiver acknowledged the manifest: complete


# What the school becomes (a new version of it).
SCHOOL_STATE_AFTER = {SchoolHandoverKind.MERGER: "MERGED", SchoolHandoverKind.CLOSURE: "CLOSED"}

OPEN_SCHOOL_CODES = declared("SCHOOL_CLOSED")  # `require_open`


def require_open(school: School, field: str) -> None:
    """A merged or closed school takes no new student, transfer or intake row (Art. 19)."""
    if school.closed is not None:
        raise DomainError(
            field, f"{school.name} ({school.code}) is {school.closed.lower()}; its archive was handed over", "SCHOOL_CLOSED"
        )


@dataclass(frozen=True)
class Verification:
    at: datetime
    by: str
    valid: bool
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Acknowledgement:
    at: datetime
    by: str
    manifest_sha256: str


@dataclass(frozen=True)
class Bag:
    """The archived manifest: the tar of the bag in the object store, and its hashes."""

    key: str
    version_id: str
    sha256: str  # of the tar as stored
    size: int
    manifest_sha256: str  # of `manifest-sha256.txt`: what the receiver acknowledges


@dataclass(frozen=True)
class SchoolHandover:
    id: str  # the sender's code: a school is handed over once
    kind: SchoolHandoverKind
    sender_code: str
    receiver_code: str
    legal_basis: str
    effective_on: date
    state: SchoolHandoverState
    recorded_by: str
    recorded_at: datetime
    dossiers: int = 0
    documents: int = 0
    evidence_objects: int = 0
    bag: Bag | None = None
    verification: Verification | None = None
    acknowledgement: Acknowledgement | None = None
    revision: int = 1
    archive_unit_name: str | None = None  # a closure to an archive unit (档案馆): `receiver_code` is the unit's code

    @property
    def to_archive_unit(self) -> bool:
        return self.archive_unit_name is not None


RECORD_CODES = declared(
    *TEXT_CODES, "PERMISSION_DENIED", "ACCOUNT_DISABLED", "READ_ONLY_ROLE", "REGISTRAR_NOT_TRAINED", "RECEIVER_IS_SENDER",
    "SCHOOL_CLOSED", "DATE_IN_FUTURE", "VALUE_TOO_LONG", "INVALID_SCHOOL_CODE",
)


def require_recorder(account: Account, sender: School) -> None:
    """The school's supervising department records its merger or closure (Art. 19)."""
    require_writer(account)
    if not supervises(account, sender):
        raise PermissionDenied("only the school's supervising department records its merger or closure (Art. 19)")


def check_archive_unit(code: str, name: str) -> tuple[str, str]:
    """An archive unit the county designates (档案馆): its code (e.g. its unified social
    credit code, 6-20 letters and digits) and name."""
    code = identifier(code)
    if not _UNIT_CODE.fullmatch(code):
        raise DomainError("archiveUnit.code", "an archive unit's code is 6-20 letters and digits", "INVALID_VALUE")
    name = clean_text("archiveUnit.name", name, max_length=None)
    if not name:
        raise DomainError("archiveUnit.name", "give the archive unit's name", "INVALID_VALUE")
    if len(name) > MAX_REFERENCE:
        raise DomainError("archiveUnit.name", f"at most {MAX_REFERENCE} characters", "VALUE_TOO_LONG")
    return code, name


def check_decision(legal_basis: str, effective_on: date, today: date) -> str:
    """The decision of a merger or closure: its reference (文号), cleaned, and a date that
    has come."""
    basis = clean_text("legalBasis", legal_basis, max_length=None)
    if not basis:
        raise DomainError("legalBasis", "give the decision's reference (文号)", "INVALID_VALUE")
    if len(basis) > MAX_REFERENCE:
        raise DomainError("legalBasis", f"at most {MAX_REFERENCE} characters", "VALUE_TOO_LONG")
    if effective_on > today:
        raise DomainError("effectiveOn", "record the decision once it has taken effect", "DATE_IN_FUTURE")
    return basis


def check_record(account: Account, sender: School, receiver: School | None, *, receiver_field: str = "receiverCode") -> None:
    """The checks of a merger or closure between the schools themselves (to a school, or to
    an archive unit when `receiver` is None)."""
    require_recorder(account, sender)
    if receiver is not None and receiver.code == sender.code:
        raise DomainError(receiver_field, "the archive goes to another school", "RECEIVER_IS_SENDER")
    require_open(sender, "schoolCode")
    if receiver is not None:
        require_open(receiver, receiver_field)


def may_see(account: Account, sender: School, receiver: School | None) -> bool:
    """The sender's supervising department, the receiving school's registrar and
    departments, archivists and auditors whose scope holds either school. Never the admin."""
    if account.disabled or account.role is Role.ADMIN:
        return False
    if account.role is Role.SCHOOL_REGISTRAR:
        return receiver is not None and account.scope_code == receiver.code
    scope = school_scope(account)
    return scope.contains(sender) or (receiver is not None and scope.contains(receiver))


RECEIVER_CODES = declared("ACCOUNT_DISABLED", "READ_ONLY_ROLE", "REGISTRAR_NOT_TRAINED", "PERMISSION_DENIED")


def require_receiver(account: Account, sender: School, receiver: School | None) -> None:
    """The receiver verifies and acknowledges: the receiving school's registrar, or an
    archivist of its area (who answers for the archive, Art. 19); for an archive unit, an
    archivist whose area holds the closed school."""
    require_writer(account)
    if receiver is not None and account.role is Role.SCHOOL_REGISTRAR and account.scope_code == receiver.code:
        return
    if account.role is Role.ARCHIVIST and school_scope(account).contains(receiver or sender):
        return
    raise PermissionDenied("only the receiving school's registrar or an archivist of its area does this")


VERIFY_STATE_CODES = declared("HANDOVER_NOT_READY")
ACKNOWLEDGE_STATE_CODES = declared("HANDOVER_NOT_READY", "HANDOVER_NOT_VERIFIED", "MANIFEST_MISMATCH", "INVALID_VALUE")
_SHA256 = ascii_pattern(r"[0-9a-f]{64}")


def manifest_hash(value: str) -> str:
    """A SHA-256 as the receiver types or pastes it: 64 hex digits, any case."""
    digest = value.strip().lower()
    if not is_ascii_identifier(digest, _SHA256):
        raise DomainError("manifestSha256", "a SHA-256 is 64 hexadecimal digits", "INVALID_VALUE")
    return digest


def check_verifiable(handover: SchoolHandover) -> None:
    if handover.bag is None:
        raise DomainError("id", "the handover job has not archived its manifest yet", "HANDOVER_NOT_READY")


def check_acknowledgement(handover: SchoolHandover, manifest_sha256: str) -> None:
    if handover.bag is None:
        raise DomainError("id", "the handover job has not archived its manifest yet", "HANDOVER_NOT_READY")
    if handover.state is SchoolHandoverState.ACKNOWLEDGED:
        raise DomainError("id", "the handover is acknowledged already", "HANDOVER_NOT_READY")
    if handover.verification is None or not handover.verification.valid or handover.state is not SchoolHandoverState.VERIFIED:
        raise DomainError("id", "verify the manifest first (verifySchoolHandover)", "HANDOVER_NOT_VERIFIED")
    if manifest_hash(manifest_sha256) != handover.bag.manifest_sha256:
        raise DomainError("manifestSha256", "this is not the SHA-256 of the archived manifest", "MANIFEST_MISMATCH")


class SchoolHandoverStore(Protocol):
    """What the handover needs of storage (storage/school_handovers.py)."""

    async def create(self, handover: SchoolHandover, stamp: Stamp, record: dict[str, Any]) -> bool: ...
    async def get(self, handover_id: str) -> SchoolHandover | None: ...
    async def unfinished(self) -> list[SchoolHandover]: ...
    async def held_by(self, school_code: str, limit: int = ...) -> list[str]: ...
    async def claim_item(self, handover_id: str, dossier_id: str) -> None: ...
    async def open_items(self, handover_id: str) -> list[str]: ...
    async def finish_item(self, handover_id: str, dossier_id: str, state: str, documents: int) -> None: ...
    async def moved(self, handover_id: str) -> list[str]: ...
    async def at_school(self, school_code: str, after: str | None, limit: int = ...) -> tuple[list[str], str | None]: ...
    async def studying_at(self, school_code: str) -> list[StudentRow]: ...
    async def hand_over_documents(self, dossier_id: str, receiver_code: str, reason: str, stamp: Stamp) -> int: ...
    async def archive_bag(self, handover: SchoolHandover, info: dict[str, str], stamp: Stamp) -> SchoolHandover: ...
    async def problems_of(self, handover: SchoolHandover) -> list[str]: ...
    async def record_verification(self, handover: SchoolHandover, verification: Verification, stamp: Stamp) -> SchoolHandover: ...
    async def acknowledge(self, handover: SchoolHandover, ack: Acknowledgement, stamp: Stamp) -> SchoolHandover: ...
    def bag_link(self, handover: SchoolHandover) -> tuple[str, datetime]: ...


def bag_info(handover: SchoolHandover, sender: School, receiver: School | None) -> dict[str, str]:
    """bag-info.txt (RFC 8493 §2.2.2): who hands over to whom, on what decision, when."""
    return {
        "Source-Organization": f"{sender.name} ({sender.code})",
        "External-Identifier": f"school-handover:{handover.id}",
        "External-Description": f"{handover.kind.value}: the archive of {sender.code} handed over to {handover.receiver_code} (Art. 19)",
        "Sender-School-Code": sender.code,
        "Sender-School-Name": sender.name,
        "Receiver-Code": handover.receiver_code,
        "Receiver-Name": receiver.name if receiver is not None else handover.archive_unit_name or "",
        "Receiver-Kind": "SCHOOL" if receiver is not None else "ARCHIVE_UNIT",
        "Legal-Basis": handover.legal_basis,
        "Effective-Date": handover.effective_on.isoformat(),
        "Handover-Kind": handover.kind.value,
    }
