"""A dossier as the frontend sees it: identifiers masked by default (Art. 24); the unmasked
ones behind `idNumberFull` and `personal`, for the roles that need them, each read audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from domain import dossier as d
from domain.access import may_read_personal
from domain.dossier import mask_text
from domain.identity import IdDocKind, Sex
from domain.ports import HistoryEntry as DomainHistoryEntry
from domain.ports import SectionEntry as DomainSectionEntry
from domain.ports import StudentRow
from domain.sections import Section
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, check_first, connection, decode_cursor
from schema.context import Info
from domain.workflows.engine import CaseKind, CaseState
from schema.cases.types import Case
from schema.documents.types import Document
from schema.jurisdiction.types import School

IdDocKindType = strawberry.enum(IdDocKind, name="IdDocKind", description="Kinds of identity document (Art. 7, 28).")
SexType = strawberry.enum(Sex, name="Sex", description="GB/T 2261.1: MALE = 1, FEMALE = 2.")
StudentStateType = strawberry.enum(d.StudentState, name="StudentState", description="School status; nobody can be expelled (Art. 14).")
VerificationType = strawberry.enum(d.Verification, name="Verification", description="核准 by the supervising department (Art. 6).")
SectionType = strawberry.enum(Section, name="Section", description="Archive sections (2)-(6) of Art. 6.")


@strawberry.type(description="Family member or guardian; identifiers masked.")
class Guardian:
    name: str
    relation: str = strawberry.field(description="GB/T 4761 code (see codeTables).")
    is_guardian: bool
    id_document_kind: IdDocKindType | None  # type: ignore[valid-type]
    id_number: str | None = strawberry.field(description="Masked.")
    phone: str | None = strawberry.field(description="Masked.")
    employer: str | None

    @classmethod
    def of(cls, g: d.Guardian) -> Guardian:
        doc = g.id_document
        return cls(
            name=g.name,
            relation=g.relation,
            is_guardian=g.is_guardian,
            id_document_kind=doc.kind if doc else None,
            id_number=doc.masked if doc else None,
            phone=mask_text(g.phone),
            employer=g.employer,
        )


@strawberry.type(description="A guardian's unmasked identifiers.")
class GuardianPersonal:
    name: str
    id_number_full: str | None
    phone: str | None


@strawberry.type(description="Unmasked personal data (Art. 24). Every read is written to the audit trail.")
class PersonalData:
    id_number_full: str | None
    address: str | None
    residence_address: str | None
    phone: str | None
    health: str | None = strawberry.field(description="GB/T 2261.3 code.")
    household_place: str | None
    household_kind: str | None
    guardians: list[GuardianPersonal]


@strawberry.type(description="Auxiliary flags of the national student record.")
class StudentFlags:
    only_child: bool
    preschool: bool
    left_behind: str
    migrant_child: bool
    orphan: bool
    martyr_child: bool
    inclusive_education: bool = strawberry.field(description="随班就读 (Art. 8, 12).")
    disability: str | None
    home_teaching: bool = strawberry.field(description="送教上门 (Art. 8).")


@strawberry.type(description="Is the dossier complete? Art. 6 allows one month from enrolment.")
class Completeness:
    complete: bool
    missing: list[str]
    deadline: date | None
    overdue: bool


@strawberry.type(description="One change of the dossier: field → old and new value, who, when, why.")
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    changes: JSON
    reason: str | None
    evidence: list[str]
    business_id: str | None

    @classmethod
    def of(cls, h: DomainHistoryEntry) -> HistoryEntry:
        changes = {k: {"old": old, "new": new} for k, (old, new) in h.changes.items()}
        return cls(
            at=h.at,
            actor=h.actor,
            action=h.action,
            changes=cast(JSON, changes),
            reason=h.reason,
            evidence=list(h.evidence),
            business_id=h.business_id,
        )


@strawberry.type(description="An entry of an archive section, with the schema version that validated it.")
class SectionEntry:
    id: strawberry.ID
    section: SectionType  # type: ignore[valid-type]
    schema_version: int
    data: JSON
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, e: DomainSectionEntry) -> SectionEntry:
        return cls(
            id=strawberry.ID(e.id),
            section=e.section,
            schema_version=e.schema_version,
            data=cast(JSON, e.data),
            recorded_by=e.recorded_by,
            recorded_at=e.recorded_at,
        )


@strawberry.type(
    description="A disciplinary sanction in force (受处分, Art. 11(4)): no transfer until it ends. It never changes "
    "the status: the law forbids suspension and expulsion as punishments (Art. 14(1))."
)
class Sanction:
    until: date = strawberry.field(description="Its last day; it is lifted earlier by a SANCTION_END case.")
    kind: str | None = strawberry.field(description="SanctionKind: WARNING, SERIOUS_WARNING, DEMERIT or PROBATION.")
    reason: str | None = strawberry.field(description="What it is for, as the school recorded it.")
    case_id: strawberry.ID | None = strawberry.field(description="The SANCTION_RECORD case that recorded it (its evidence).")


@strawberry.type(description="A student's lifelong dossier (学籍档案).")
class Student:
    dossier: strawberry.Private[d.Dossier]
    missing_fields: strawberry.Private[tuple[str, ...]]

    @classmethod
    def of(cls, row: StudentRow) -> Student:
        return cls(dossier=row.dossier, missing_fields=row.missing)

    @strawberry.field(description="The student number (学籍号): G + ID number, or a temporary L number.")
    def number(self) -> str:
        return self.dossier.number

    @strawberry.field(description="Earlier numbers of this student; they still find the dossier.")
    def aliases(self) -> list[str]:
        return list(self.dossier.aliases)

    @strawberry.field
    def name(self) -> str:
        return self.dossier.basic.name

    @strawberry.field
    def former_name(self) -> str | None:
        return self.dossier.basic.former_name

    @strawberry.field
    def name_pinyin(self) -> str | None:
        return self.dossier.basic.name_pinyin

    @strawberry.field
    def sex(self) -> SexType:  # type: ignore[valid-type]
        return self.dossier.basic.sex

    @strawberry.field
    def birth_date(self) -> date:
        return self.dossier.basic.birth_date

    @strawberry.field
    def birth_place(self) -> str | None:
        return self.dossier.basic.birth_place

    @strawberry.field
    def native_place(self) -> str | None:
        return self.dossier.basic.native_place

    @strawberry.field(description="GB/T 3304 code.")
    def ethnicity(self) -> str | None:
        return self.dossier.basic.ethnicity

    @strawberry.field(description="ISO 3166-1 alpha-3.")
    def nationality(self) -> str:
        return self.dossier.basic.nationality

    @strawberry.field(description="港澳台侨外 code.")
    def overseas_status(self) -> str:
        return self.dossier.basic.overseas_status

    @strawberry.field
    def id_document_kind(self) -> IdDocKindType:  # type: ignore[valid-type]
        return self.dossier.id_document.kind

    @strawberry.field(description="The identity document number, masked (first 6 and last 4 characters).")
    def id_number(self) -> str | None:
        return self.dossier.id_document.masked

    @strawberry.field(
        description="The full identity document number: only for the student's registrar and the "
        "supervising department, null for others. Each read is audited."
    )
    async def id_number_full(self, info: Info) -> str | None:
        if not await _may_read_personal(info, self.dossier):
            return None
        await _audit_read(info, self.dossier, "idNumberFull")
        return self.dossier.id_document.number

    @strawberry.field(description="Unmasked personal data, for the roles that need it (else null). Audited.")
    async def personal(self, info: Info) -> PersonalData | None:
        if not await _may_read_personal(info, self.dossier):
            return None
        await _audit_read(info, self.dossier, "personal")
        b = self.dossier.basic
        return PersonalData(
            id_number_full=self.dossier.id_document.number,
            address=b.address,
            residence_address=b.residence_address,
            phone=b.phone,
            health=b.health,
            household_place=b.household_place,
            household_kind=b.household_kind,
            guardians=[
                GuardianPersonal(name=g.name, id_number_full=g.id_document.number if g.id_document else None, phone=g.phone)
                for g in self.dossier.guardians
            ],
        )

    @strawberry.field
    def guardians(self) -> list[Guardian]:
        return [Guardian.of(g) for g in self.dossier.guardians]

    @strawberry.field
    def flags(self) -> StudentFlags:
        return StudentFlags(**self.dossier.flags.__dict__)

    @strawberry.field(description="The school holding the status.")
    async def school(self, info: Info) -> School:
        found = await info.context.loaders.school.load(self.dossier.status.school_code)
        assert found is not None
        return School.of(found)

    @strawberry.field
    def grade(self) -> int:
        return self.dossier.status.grade

    @strawberry.field
    def class_name(self) -> str:
        return self.dossier.status.class_name

    @strawberry.field
    def entry_date(self) -> date:
        return self.dossier.status.entry_date

    @strawberry.field(description="入学方式 code.")
    def entry_way(self) -> str:
        return self.dossier.status.entry_way

    @strawberry.field(description="就读方式 code.")
    def study_mode(self) -> str:
        return self.dossier.status.study_mode

    @strawberry.field
    def state(self) -> StudentStateType:  # type: ignore[valid-type]
        return self.dossier.status.state

    @strawberry.field
    def verification(self) -> VerificationType:  # type: ignore[valid-type]
        return self.dossier.verification

    @strawberry.field(description="Why the department returned the dossier, if it did.")
    def verification_note(self) -> str | None:
        return self.dossier.verification_note

    @strawberry.field(description="NONE, DEFERRED or UNDER_AGE (Art. 4), with the approval referenced.")
    def age_exception(self) -> str:
        return self.dossier.age_exception

    @strawberry.field
    def age_approval_reference(self) -> str | None:
        return self.dossier.age_approval_reference

    @strawberry.field
    def completeness(self, info: Info) -> Completeness:
        deadline = self.dossier.complete_by
        return Completeness(
            complete=not self.missing_fields,
            missing=list(self.missing_fields),
            deadline=deadline,
            overdue=bool(self.missing_fields) and deadline is not None and deadline < date.today(),
        )

    @strawberry.field(description="The id of the business (correction, status case) open on this dossier.")
    def open_business(self) -> str | None:
        return self.dossier.open_business

    @strawberry.field(
        description="Every change to the dossier, oldest first (Art. 6 (1)). Old and new values of personal data "
        "are masked unless you may read them (then the read is audited)."
    )
    async def history(self, info: Info) -> list[HistoryEntry]:
        return await history_of(info, self.dossier)

    @strawberry.field(description="Status-change cases of this student (Art. 11-16), oldest first.")
    async def cases(self, info: Info) -> list[Case]:
        return [Case(case=c) for c in await info.context.loaders.cases_by_dossier.load(self.dossier.id)]

    @strawberry.field(description="Schools that keep a read-only copy of this dossier after a transfer (Art. 19).")
    def former_school_codes(self) -> list[str]:
        return list(self.dossier.former_school_codes)

    @strawberry.field(description="Art. 12: the school the student attends while the status stays here.")
    def attending_school_code(self) -> str | None:
        return self.dossier.attending_school_code

    @strawberry.field
    def suspension_until(self) -> date | None:
        return self.dossier.suspension_until

    @strawberry.field(
        description="The sanction in force (Art. 11(4)), for whoever may see the student; null when there is none or "
        "it has run out."
    )
    async def sanction(self, info: Info) -> Sanction | None:
        until = self.dossier.sanction_until
        if until is None or until < date.today():
            return None
        recorded = [
            c
            for c in await info.context.loaders.cases_by_dossier.load(self.dossier.id)
            if c.kind is CaseKind.SANCTION_RECORD and c.state is CaseState.COMPLETED and c.params.get("untilDate") == until
        ]
        last = recorded[-1] if recorded else None
        return Sanction(
            until=until,
            kind=last.grounds if last else None,
            reason=last.params.get("sanctionReason") if last else None,
            case_id=strawberry.ID(last.id) if last else None,
        )

    @strawberry.field(description="Reported missing or detained (Art. 16): the status can never be cancelled.")
    def reported_missing(self) -> bool:
        return self.dossier.missing

    @strawberry.field(description="Grades skipped (Art. 15); they count as completed.")
    def skipped_grades(self) -> list[int]:
        return list(self.dossier.skipped_grades)

    @strawberry.field(description="Scanned evidence of this dossier (Art. 6 (2)), oldest first.")
    async def documents(self, info: Info) -> list[Document]:
        return [Document(document=x) for x in await info.context.loaders.documents_by_dossier.load(self.dossier.id)]

    @strawberry.field(description="Entries of the archive sections (2)-(6), oldest first, a page at a time.")
    async def section_entries(
        self,
        info: Info,
        section: SectionType | None = None,  # type: ignore[valid-type]
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Connection[SectionEntry]:
        page = await info.context.stores.sections.entries(
            self.dossier.id,
            Section(section) if section else None,
            after=decode_cursor("section-entry", after),
            first=check_first(first, info.context.page_size_max),
        )
        return connection("section-entry", page.map(SectionEntry.of))


# Basic-data fields whose old and new values are personal data (Art. 24, R-A6).
PERSONAL_FIELDS = frozenset(
    {"id_document", "guardians", "address", "residence_address", "phone", "health", "household_place", "household_kind"}
)
MASK = "***"


async def history_of(info: Info, dossier: d.Dossier) -> list[HistoryEntry]:
    entries = await info.context.stores.students.history(dossier.id)
    if await _may_read_personal(info, dossier):
        if any(PERSONAL_FIELDS & h.changes.keys() for h in entries):
            await _audit_read(info, dossier, "history")
        return [HistoryEntry.of(h) for h in entries]
    masked = [
        replace(h, changes={k: ((MASK, MASK) if k in PERSONAL_FIELDS else v) for k, v in h.changes.items()})
        for h in entries
    ]
    return [HistoryEntry.of(h) for h in masked]


async def _may_read_personal(info: Info, dossier: d.Dossier) -> bool:
    school = await info.context.loaders.school.load(dossier.status.school_code)
    return school is not None and may_read_personal(info.context.account, school)


async def _audit_read(info: Info, dossier: d.Dossier, what: str) -> None:
    await info.context.audit(
        "read:studentFull", "student", dossier.number, school_code=dossier.status.school_code, details={"fields": what}
    )

