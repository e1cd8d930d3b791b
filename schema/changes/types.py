"""The change feed as the frontend and a department's sync see it (Art. 20, R-D5), modelled
on Ed-Fi's change queries: a change version per change, key changes, no deletes."""

from __future__ import annotations

import strawberry

from domain.changes import DossierChangeKind, change_kind, number_change
from domain.ports import DossierChange as DomainDossierChange
from schema.docs import SCHOOL_CODE, describe_values
from schema.pagination import Edge, PageInfo
from schema.students.types import HistoryEntry

DossierChangeKindType = describe_values(
    strawberry.enum(
        DossierChangeKind,
        name="DossierChangeKind",
        description="What a change did to the dossier. There is no deleted kind: nothing is ever deleted (Art. 14 "
        "forbids expulsion; a death is a STATUS change, Art. 16).",
    ),
    {
        "CREATED": "The dossier was established at its school (建立学籍, Art. 5, 6): `record.changes.school` is null → "
        "the school.",
        "BASIC_DATA": "The school edited the dossier (`updateDossier`): basic data (key data only before 核准), the "
        "identity document, family members, flags, class or study mode.",
        "VERIFICATION": "The supervising department verified (核准) the dossier or returned it to the school (Art. 6).",
        "KEY_DATA_CORRECTION": "Verified key data corrected through an Art. 10 correction (household-register evidence, "
        "school then department).",
        "STATUS": "A status change that keeps the school (Art. 11-16): suspension, resumption, abroad, dropout, "
        "skipped grade, death, sanction, Art. 12 placement at another school with the status kept here.",
        "SCHOOL": "A status change that moved the status to another school (transfer, Art. 11; Art. 12 with the status "
        "moving): `record.changes.school` holds the old and new school.",
        "OTHER": "A change of record of a kind this version of the API does not name; read `record.action`.",
    },
)


@strawberry.type(
    description="A student number replaced by another (a key change, Ed-Fi's `keyChanges`): a temporary `L` number "
    "by the `G` number once a resident ID is recorded, or a corrected identity's number (Art. 7, 10). The old number "
    "stays an alias that still finds the dossier; re-key copies kept by the number."
)
class StudentNumberChange:
    old_number: str = strawberry.field(description="The number before the change (now an alias).")
    new_number: str = strawberry.field(description="The number after the change (now the student number).")


@strawberry.type(
    description="One change of record to a dossier in the change feed: where it stands in the feed's order, which "
    "dossier version it made, and the change itself as `Student.history` shows it."
)
class DossierChange:
    change: strawberry.Private[DomainDossierChange]
    shown: strawberry.Private[HistoryEntry]

    @strawberry.field(
        description="The change's place in the feed: a decimal integer, larger for every later change (one order for "
        "all scopes, so a scope's numbers have gaps). Compare as numbers; resume with the cursors, not with this."
    )
    def change_version(self) -> str:
        return str(self.change.seq)

    @strawberry.field(
        description="The student number after the change (学籍号); with `keyChange`, the new one. Read the dossier with "
        "`student(number:)`."
    )
    def number(self) -> str:
        return self.change.number

    @strawberry.field(
        description="The dossier version this change produced (1 for the creation, then 2, 3, …; versions that only "
        "open or close a business carry no change and are not in the feed). Per dossier, the feed is in version order."
    )
    def dossier_version(self) -> int:
        return self.change.version

    @strawberry.field(description="The school holding the status after the change. " + SCHOOL_CODE)
    def school_code(self) -> str:
        return self.change.school_code

    @strawberry.field(description="What kind of change this is.")
    def kind(self) -> DossierChangeKindType:  # type: ignore[valid-type]
        return change_kind(self.change.entry.action, self.change.entry.changes)

    @strawberry.field(description="The old and new student number when the change replaced it (a key change); else null.")
    def key_change(self) -> StudentNumberChange | None:
        pair = number_change(self.change.entry.changes)
        return StudentNumberChange(old_number=pair[0], new_number=pair[1]) if pair else None

    @strawberry.field(
        description="The change itself: who, when, the action, every changed field's old and new value, why and on "
        "what evidence. Personal data is masked unless you may read the personal data of the students of the school "
        "that held the status after the change (its registrar and supervising department, Art. 24); such a read is "
        "audited."
    )
    def record(self) -> HistoryEntry:
        return self.shown


@strawberry.type(
    description="A page of the change feed (Relay connection, forward only): pass `resumeCursor` as `after` for the "
    "next one."
)
class DossierChangeConnection:
    edges: list[Edge[DossierChange]] = strawberry.field(description="The changes of this page, oldest first, with their cursors.")
    page_info: PageInfo = strawberry.field(
        description="`hasNextPage` is false when you have caught up with the feed as it was when the page was read."
    )
    resume_cursor: str = strawberry.field(
        description="Where the next page starts: pass it as `after`. Never null: when you have caught up it points "
        "past the newest change there was (beyond the last edge), so an empty page still moves you forward; keep it "
        "between polls."
    )
