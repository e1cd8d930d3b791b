"""An archive handover after a transfer as the frontend sees it (Art. 18, 19): its deadline
and state, what was sent, the paper copies the sender keeps, and the sender's read-only
electronic copy of the dossier as the transfer left it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import strawberry

from application import archive_handovers as usecases
from domain import archive_handovers as rules
from domain.changes import today_in_china
from domain.dossier import missing_fields
from domain.ports import StudentRow
from schema.context import Info
from schema.docs import describe_values
from schema.jurisdiction.types import School
from schema.students.types import Student

HandoverStateType = describe_values(
    strawberry.enum(
        rules.HandoverState, name="ArchiveHandoverState", description="Where an archive handover after a transfer stands (Art. 18)."
    ),
    {
        "OPEN": "Waiting for the sending school to hand the archive over, by `due`.",
        "HANDED_OVER": "The sending school sent the archive; waiting for the receiving school to acknowledge receipt.",
        "RECEIVED": "The receiving school acknowledged receipt and continues the dossier (Art. 18): done.",
    },
)
ArchivePartType = describe_values(
    strawberry.enum(rules.ArchivePart, name="ArchiveHandoverPart", description="A part of the student's archive (学籍档案) a handover sends."),
    {
        "ELECTRONIC_DOSSIER": "The electronic dossier, moved to the receiving school by the system (Art. 17).",
        "PAPER_FILE": "The paper file (纸质档案) the sending school's registrar keeps (Art. 9).",
        "EVIDENCE_ORIGINALS": "Paper originals behind the scanned evidence, where the school held any.",
    },
)


@strawberry.type(description="A paper copy the sending school keeps after a transfer (Art. 19: 保留必要的纸质档案复印件).")
class ArchivePaperCopy:
    item: str = strawberry.field(description="What the copy is, e.g. 学籍卡复印件 (one line, at most 200 characters).")
    location: str = strawberry.field(description="Where it is kept, e.g. 档案室 3 号柜 (one line, at most 200 characters).")


@strawberry.type(description="One step in a handover's life: opened, handed over, received, copies recorded, escalated.")
class ArchiveHandoverEvent:
    at: datetime = strawberry.field(description="When it happened (ISO 8601 date-time, UTC).")
    actor: str = strawberry.field(description="Login of who did it; `system` for the daily job.")
    role: str = strawberry.field(description="The role they acted in (`SYSTEM` for the daily job).")
    action: str = strawberry.field(description="OPENED, HANDED_OVER, RECEIVED, PAPER_COPIES_RECORDED or ESCALATED.")
    comment: str | None = strawberry.field(description="The note given with it, or what the system recorded; null when none.")


@strawberry.type(
    description="The archive handover after a transfer (Art. 18, 19): the sending school hands the student's archive "
    "over within one month of the transfer, the receiving school acknowledges receipt, and the sending school keeps a "
    "read-only electronic copy as of the transfer and copies of the necessary paper. Seen by the registrars and "
    "departments of both schools, and archivists and auditors of their areas."
)
class ArchiveHandover:
    handover: strawberry.Private[rules.ArchiveHandover]

    @strawberry.field(description="The handover's id, which is the id of the transfer case that opened it.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.handover.id)

    @strawberry.field(description="The transfer case (`case(id:)`) whose completion opened this handover.")
    def case_id(self) -> strawberry.ID:
        return strawberry.ID(self.handover.case_id)

    @strawberry.field(description="The student number (学籍号) at the transfer; an alias once the number changes.")
    def number(self) -> str:
        return self.handover.number

    @strawberry.field(description="The sending school, which hands the archive over and keeps the copies (转出学校).")
    async def sending_school(self, info: Info) -> School:
        found = await info.context.loaders.school.load(self.handover.sending_school_code)
        assert found is not None
        return School.of(found)

    @strawberry.field(description="The receiving school, which acknowledges receipt and continues the dossier (转入学校).")
    async def receiving_school(self, info: Info) -> School:
        found = await info.context.loaders.school.load(self.handover.receiving_school_code)
        assert found is not None
        return School.of(found)

    @strawberry.field(description="When the transfer was recorded on the dossier (ISO 8601 date-time, UTC).")
    def transferred_at(self) -> datetime:
        return self.handover.transferred_at

    @strawberry.field(description="The transfer date: the day in China (UTC+8) the transfer was recorded (ISO 8601 date).")
    def transfer_date(self) -> date:
        return self.handover.transfer_date

    @strawberry.field(
        description="The deadline (ISO 8601 date): one calendar month after the transfer date (Art. 18 在1个月内办结), "
        "moved to the next working day when it falls on a day off."
    )
    def due(self) -> date:
        return self.handover.due

    @strawberry.field(
        description="True when `due` depends on a year whose holiday schedule is not published yet (weekends only)."
    )
    def due_provisional(self) -> bool:
        return self.handover.due_provisional

    @strawberry.field(description="True while the archive is not handed over and the deadline has passed (in China).")
    def overdue(self) -> bool:
        return rules.is_overdue(self.handover, today_in_china(datetime.now(UTC)))

    @strawberry.field(description="Where the handover stands: OPEN, HANDED_OVER or RECEIVED.")
    def state(self) -> HandoverStateType:  # type: ignore[valid-type]
        return self.handover.state

    @strawberry.field(description="What the sending school sent; empty until it hands the archive over.")
    def sent(self) -> list[ArchivePartType]:  # type: ignore[valid-type]
        return list(self.handover.sent)

    @strawberry.field(description="When the sending school handed the archive over (ISO 8601 date-time, UTC); null until then.")
    def handed_over_at(self) -> datetime | None:
        return self.handover.handed_over_at

    @strawberry.field(description="Login of the sending school's registrar who handed it over; null until then.")
    def handed_over_by(self) -> str | None:
        return self.handover.handed_over_by

    @strawberry.field(description="The note given with the handover (how it was sent, tracking number); null when none.")
    def handover_note(self) -> str | None:
        return self.handover.handover_note

    @strawberry.field(description="When the receiving school acknowledged receipt (ISO 8601 date-time, UTC); null until then.")
    def received_at(self) -> datetime | None:
        return self.handover.received_at

    @strawberry.field(description="Login of the receiving school's registrar who acknowledged receipt; null until then.")
    def received_by(self) -> str | None:
        return self.handover.received_by

    @strawberry.field(description="The paper copies the sending school keeps, and where (Art. 19); empty until recorded.")
    def paper_copies(self) -> list[ArchivePaperCopy]:
        return [ArchivePaperCopy(item=c.item, location=c.location) for c in self.handover.paper_copies]

    @strawberry.field(
        description="The department the overdue handover was escalated to by the daily job (the sending school's "
        "supervising department); null when not escalated."
    )
    def escalated_to(self) -> str | None:
        return self.handover.escalated_to

    @strawberry.field(description="Every step of the handover, oldest first.")
    def timeline(self) -> list[ArchiveHandoverEvent]:
        return [ArchiveHandoverEvent(at=e.at, actor=e.actor, role=e.role, action=e.action, comment=e.comment) for e in self.handover.events]

    @strawberry.field(
        description="The sending school's read-only electronic copy (Art. 19: 电子档案备份): the dossier exactly as the "
        "transfer left it, without any later change at the receiving school; its history stops at the transfer. Masked "
        "as the dossier is today (Art. 24): unmasked fields only for the receiving school's registrar and its "
        "department, and each such read is audited. Null when the dossier's log lacks that version."
    )
    async def snapshot(self, info: Info) -> Student | None:
        found = await usecases.snapshot(info.context, self.handover)
        if found is None:
            return None
        then, now = found
        row = StudentRow(then, tuple(missing_fields(then)))
        return Student(
            dossier=row.dossier, missing_fields=row.missing, day=self.handover.transfer_date, live=now,
            cutoff=self.handover.transferred_at,
        )
