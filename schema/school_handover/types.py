"""The GraphQL face of a school handover: the record, its counts, the archived manifest,
its verification and acknowledgement, and the bag's download link."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from application import school_handover as usecases
from domain import school_handover as domain
from schema.context import Info
from schema.documents.types import DownloadLink


@strawberry.enum(description="What happens to the school (Art. 19).")
class SchoolHandoverKind(Enum):
    MERGER = strawberry.enum_value("MERGER", description="合并: the school merges into the receiving school.")
    CLOSURE = strawberry.enum_value("CLOSURE", description="撤销: the school closes; its archive goes to the designated school.")


@strawberry.enum(description="Where a school handover stands; it is complete when ACKNOWLEDGED.")
class SchoolHandoverState(Enum):
    MOVING = strawberry.enum_value("MOVING", description="Recorded; the job is moving the dossiers and their evidence.")
    BAGGED = strawberry.enum_value("BAGGED", description="Everything moved; the manifest is archived and awaits the receiver.")
    VERIFIED = strawberry.enum_value("VERIFIED", description="The receiver verified every checksum and count of the manifest.")
    ACKNOWLEDGED = strawberry.enum_value("ACKNOWLEDGED", description="The receiver acknowledged the manifest: the handover is complete.")


@strawberry.type(description="The archived BagIt manifest (RFC 8493) of a handover, as a tar under COMPLIANCE retention.")
class SchoolHandoverBag:
    sha256: str = strawberry.field(description="SHA-256 of the tar as archived.")
    size: int = strawberry.field(description="Size of the tar in bytes.")
    manifest_sha256: str = strawberry.field(
        description="SHA-256 of the bag's manifest-sha256.txt: what the receiver acknowledges."
    )


@strawberry.type(description="The receiver's last check of the archived manifest.")
class SchoolHandoverVerification:
    at: datetime = strawberry.field(description="When the manifest was checked.")
    by: str = strawberry.field(description="Login of the account that checked it.")
    valid: bool = strawberry.field(description="True when every checksum and every count matched.")
    problems: list[str] = strawberry.field(
        description="What did not match: each failing file by its path in the bag, or the count that differs."
    )


@strawberry.type(description="The receiver's acknowledgement of the manifest (the receipt, also archived under retention).")
class SchoolHandoverAcknowledgement:
    at: datetime = strawberry.field(description="When the receiver acknowledged the manifest.")
    by: str = strawberry.field(description="Login of the account that acknowledged it.")
    manifest_sha256: str = strawberry.field(description="SHA-256 of the manifest that was acknowledged.")


@strawberry.type(description="A school's whole archive handed over after a merger or closure (Art. 19, R-D4).")
class SchoolHandover:
    handover: strawberry.Private[domain.SchoolHandover]

    @strawberry.field(description="The handover's id (the sending school's code: a school is handed over once).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.handover.id)

    @strawberry.field(description="Merger or closure.")
    def kind(self) -> SchoolHandoverKind:
        return SchoolHandoverKind(self.handover.kind.value)

    @strawberry.field(description="Where the handover stands.")
    def state(self) -> SchoolHandoverState:
        return SchoolHandoverState(self.handover.state.value)

    @strawberry.field(description="The merging or closing school's 10-digit code.")
    def sender_code(self) -> str:
        return self.handover.sender_code

    @strawberry.field(description="The receiving school's 10-digit code, or the archive unit's code.")
    def receiver_code(self) -> str:
        return self.handover.receiver_code

    @strawberry.field(description="The archive unit's name when the archive went to an archive unit (receiverCode is its code); else null.")
    def archive_unit_name(self) -> str | None:
        return self.handover.archive_unit_name

    @strawberry.field(description="The decision the handover rests on (its reference, 文号).")
    def legal_basis(self) -> str:
        return self.handover.legal_basis

    @strawberry.field(description="The day the decision took effect.")
    def effective_on(self) -> date:
        return self.handover.effective_on

    @strawberry.field(description="Login of the department account that recorded it.")
    def recorded_by(self) -> str:
        return self.handover.recorded_by

    @strawberry.field(description="When it was recorded.")
    def recorded_at(self) -> datetime:
        return self.handover.recorded_at

    @strawberry.field(description="Dossiers moved to the receiver (known once the manifest is archived).")
    def dossiers(self) -> int:
        return self.handover.dossiers

    @strawberry.field(description="Evidence documents of those dossiers now answered for by the receiver.")
    def documents(self) -> int:
        return self.handover.documents

    @strawberry.field(description="Stored evidence objects (originals and renditions) in the manifest.")
    def evidence_objects(self) -> int:
        return self.handover.evidence_objects

    @strawberry.field(description="The archived manifest; null until the job has archived it.")
    def bag(self) -> SchoolHandoverBag | None:
        b = self.handover.bag
        return None if b is None else SchoolHandoverBag(sha256=b.sha256, size=b.size, manifest_sha256=b.manifest_sha256)

    @strawberry.field(description="The receiver's last verification of the manifest; null before the first.")
    def verification(self) -> SchoolHandoverVerification | None:
        v = self.handover.verification
        return None if v is None else SchoolHandoverVerification(at=v.at, by=v.by, valid=v.valid, problems=list(v.problems))

    @strawberry.field(description="The receiver's acknowledgement; null until the handover is complete.")
    def acknowledgement(self) -> SchoolHandoverAcknowledgement | None:
        a = self.handover.acknowledgement
        return None if a is None else SchoolHandoverAcknowledgement(at=a.at, by=a.by, manifest_sha256=a.manifest_sha256)

    @strawberry.field(
        description="A presigned link to the bag's tar, valid for minutes, for the receiver's registrar, archivists "
        "and the sender's supervising department (null for others, or before it is archived). Each link is audited."
    )
    async def bag_download_url(self, info: Info) -> DownloadLink | None:
        link = await usecases.bag_link(info.context, self.handover)
        if link is None:
            return None
        assert self.handover.bag is not None
        url, expires = link
        return DownloadLink(url=url, expires_at=expires, filename=f"school-handover-{self.handover.id}.tar", sha256=self.handover.bag.sha256)
