"""A dossier as the frontend sees it: identifiers masked by default (Art. 24); the unmasked
ones behind `idNumberFull` and `personal`, for the roles that need them, each read audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from domain import dossier as d
from domain.access import may_read_personal
from domain.changes import end_of_day
from domain.dossier import mask_text
from domain.identity import IdDocKind, Sex
from domain.ports import HistoryEntry as DomainHistoryEntry
from domain.ports import SectionEntry as DomainSectionEntry
from domain.ports import StudentRow
from domain.sections import Section
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor
from schema.context import Info
from domain.workflows.engine import CaseKind, CaseState
from schema.cases.types import Case
from schema.docs import describe_values
from schema.documents.types import Document
from schema.jurisdiction.types import School

IdDocKindType = describe_values(
    strawberry.enum(
        IdDocKind,
        name="IdDocKind",
        description="Kinds of identity document a student or family member is recorded with (Art. 7, 28); each kind "
        "has its own number format, checked on input.",
    ),
    {
        "RESIDENT_ID": "居民身份证 (GB 11643): 18 characters, 17 digits and a MOD 11-2 check digit or X. Gives the "
        "student number `G` + the number.",
        "HK_MACAO_TAIWAN_RESIDENCE_PERMIT": "港澳台居民居住证: 18 characters in the GB 11643 layout, starting 810000 "
        "(Hong Kong), 820000 (Macao) or 830000 (Taiwan).",
        "HK_MACAO_TRAVEL_PERMIT": "港澳居民来往内地通行证: H or M and 8 digits (10 on older cards).",
        "TAIWAN_TRAVEL_PERMIT": "台湾居民来往大陆通行证: 8 digits.",
        "PASSPORT": "护照: 5 to 20 letters and digits, with the issuing country (`country`, ISO 3166-1 alpha-3).",
        "FOREIGNER_PERMANENT_RESIDENCE": "外国人永久居留身份证: 18 digits starting with 9 (2023 card, with a check "
        "digit), or 3 letters and 12 digits (earlier card).",
        "NONE_YET": "No document yet (e.g. the birth is not registered in a household register yet): no number; the "
        "student gets a temporary `L` number until one is recorded.",
    },
)
SexType = describe_values(
    strawberry.enum(Sex, name="Sex", description="Sex, as coded by GB/T 2261.1 (code table `sex`)."),
    {"MALE": "Male (男), code 1 of GB/T 2261.1.", "FEMALE": "Female (女), code 2 of GB/T 2261.1."},
)
StudentStateType = describe_values(
    strawberry.enum(
        d.StudentState,
        name="StudentState",
        description="The state of a student's status (学籍状态). There is no expelled state: expulsion and "
        "suspension as a punishment are forbidden in compulsory education (Art. 14(1)).",
    ),
    {
        "ENROLLED": "在读: attending the school that holds the status.",
        "SUSPENDED": "休学 (Art. 13): schooling interrupted (illness, long leave, other special reasons) for at most "
        "a year at a time; the status is kept, and 复学 (resumption) continues it.",
        "ABROAD": "出境就读 (Art. 13(4)): studying outside the mainland; the status is kept and continues on return.",
        "DROPPED_OUT": "辍学 (Art. 14): reported as no longer attending; the status is kept and the school works to "
        "bring the student back (a RESUMPTION case).",
        "GRADUATED": "毕业: completed compulsory education at the school.",
        "DECEASED": "死亡注销 (Art. 16): the status was cancelled after the student's death was reported.",
    },
)
VerificationType = describe_values(
    strawberry.enum(
        d.Verification,
        name="Verification",
        description="核准 (verification) of a dossier by the school's supervising department (学籍主管部门, Art. 6).",
    ),
    {
        "UNVERIFIED": "Keyed in (or fixed after a return) by the school, waiting for the department's 核准.",
        "VERIFIED": "已核准: verified. Key data (name, former name, sex, birth date, identity) now changes only by an "
        "Art. 10 correction.",
        "RETURNED": "Returned to the school to fix (see `verificationNote`); the school's next update resubmits it "
        "(UNVERIFIED).",
    },
)
SectionType = describe_values(
    strawberry.enum(
        Section,
        name="Section",
        description="Archive sections (2)-(6) of the dossier (Art. 6); section (1), basic data and its changes, is "
        "the dossier itself and its `history`.",
    ),
    {
        "EVIDENCE": "(2) 学籍信息证明材料: evidence behind the status data (household register, applications…).",
        "QUALITY": "(3) 综合素质发展报告: the report on the student's all-round development, per term.",
        "HEALTH": "(4) 体质健康测试、健康体检、预防接种: fitness tests, health checks and vaccinations.",
        "AWARDS": "(5) 获奖信息: awards, with their level (school to international).",
        "AID": "(6) 享受资助信息: financial aid received, per term, in yuan.",
    },
)


@strawberry.type(
    description="A family member or guardian of the student, as anyone who sees the student sees them: identifiers "
    "masked (Art. 24). The unmasked ones are in `Student.personal.guardians`."
)
class Guardian:
    name: str = strawberry.field(description="The family member's full name (one line, at most 50 characters).")
    relation: str = strawberry.field(
        description="Relation to the student, a GB/T 4761 code (code table `relation`), e.g. 51 father, 52 mother."
    )
    is_guardian: bool = strawberry.field(description="True for a legal guardian (监护人), false for another family member.")
    id_document_kind: IdDocKindType | None = strawberry.field(  # type: ignore[valid-type]
        description="The kind of the family member's identity document; null when none was recorded."
    )
    id_number: str | None = strawberry.field(
        description="The document number masked: first 6 and last 4 characters of long numbers, first 1 and last 2 "
        "of short ones; null when none was recorded."
    )
    phone: str | None = strawberry.field(description="The phone number masked (its first 3 characters shown); null when none.")
    employer: str | None = strawberry.field(description="Employer or workplace (工作单位), one line of at most 100 characters.")

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


@strawberry.type(
    description="A family member's unmasked identifiers, in the order of `Student.guardians`; part of "
    "`Student.personal`, whose every read is audited."
)
class GuardianPersonal:
    name: str = strawberry.field(description="The family member's name, as in `Student.guardians`.")
    id_number_full: str | None = strawberry.field(description="The full identity document number; null when none was recorded.")
    phone: str | None = strawberry.field(description="The full phone number; null when none was recorded.")


@strawberry.type(
    description="Unmasked personal data (Art. 24), for the registrar of the student's school and its supervising "
    "department only. Every read is written to the audit trail."
)
class PersonalData:
    id_number_full: str | None = strawberry.field(
        description="The student's full identity document number; null for NONE_YET."
    )
    address: str | None = strawberry.field(description="Current address (现住址), one line; null when not recorded.")
    residence_address: str | None = strawberry.field(
        description="Home or postal address (家庭住址 / 通信地址), one line; null when not recorded."
    )
    phone: str | None = strawberry.field(description="The family's contact phone: 5-20 characters of digits, spaces, + and -.")
    health: str | None = strawberry.field(
        description="Health status, a GB/T 2261.3 code (code table `health`): 1 healthy, 2 fair or weak, 3 chronic "
        "illness, 6 disability."
    )
    household_place: str | None = strawberry.field(
        description="Where the household is registered (户口所在地): a 6-digit GB/T 2260 division code."
    )
    household_kind: str | None = strawberry.field(
        description="Kind of household registration (户口性质, code table `householdKind`): 1 agricultural, 2 "
        "non-agricultural, 3 resident."
    )
    guardians: list[GuardianPersonal] = strawberry.field(
        description="The family members' unmasked identifiers, in the order of `Student.guardians`."
    )


@strawberry.type(description="Auxiliary flags of the national student record (全国中小学生学籍信息管理系统).")
class StudentFlags:
    only_child: bool = strawberry.field(description="独生子女: the student is an only child.")
    preschool: bool = strawberry.field(description="受过学前教育: the student attended preschool.")
    left_behind: str = strawberry.field(
        description="留守儿童, code table `leftBehind`: 0 not left behind, 1 one parent away for work, 2 both parents away."
    )
    migrant_child: bool = strawberry.field(
        description="进城务工人员随迁子女: a child who moved with parents working in the city. If such a child drops out, "
        "the dossier is handed to the household-registration county at the end of term (Art. 14(2))."
    )
    orphan: bool = strawberry.field(description="孤儿: the student is an orphan.")
    martyr_child: bool = strawberry.field(description="烈士或优抚子女: a child of a martyr or of an entitled service family.")
    inclusive_education: bool = strawberry.field(
        description="随班就读 (Art. 8, 12): a student with a disability learning in a regular class; needs `disability`."
    )
    disability: str | None = strawberry.field(
        description="残疾类型, a GB/T 26341 code (code table `disability`); required with 随班就读 or 送教上门, else "
        "usually null."
    )
    home_teaching: bool = strawberry.field(
        description="送教上门 (Art. 8): a severely disabled child taught at home by visiting teachers; needs `disability`."
    )


@strawberry.type(description="Is the dossier complete? Art. 6 allows one month from enrolment to establish it.")
class Completeness:
    complete: bool = strawberry.field(description="True when nothing in `missing` is left.")
    missing: list[str] = strawberry.field(
        description="Input paths of what is still missing: `basic.birthPlace`, `basic.nativePlace`, `basic.ethnicity`, "
        "`basic.health`, `basic.householdPlace`, `basic.householdKind`, `basic.address`, and `guardians` (no legal "
        "guardian recorded)."
    )
    deadline: date | None = strawberry.field(
        description="The day by which the dossier must be complete: one month after the entry date (ISO 8601 date)."
    )
    overdue: bool = strawberry.field(description="True when something is still missing after the deadline.")


@strawberry.type(
    description="One change of record of the dossier (Art. 6(1), 20): what changed from which value to which, who, "
    "when, why, on what evidence."
)
class HistoryEntry:
    at: datetime = strawberry.field(description="When the change was made (ISO 8601 date and time, UTC).")
    actor: str = strawberry.field(description="Login of the account that made it; `system:…` for a scheduled job.")
    action: str = strawberry.field(
        description="ENROLLED, UPDATED, VERIFIED, RETURNED (核准 refused), CORRECTED (Art. 10), or `STATUS:` and the "
        "CaseKind of the status change that made it (e.g. `STATUS:TRANSFER`)."
    )
    changes: JSON = strawberry.field(
        description="A JSON object: changed field → `{\"old\": …, \"new\": …}`. Personal data (identity document, "
        "family members, addresses, phone, health, household) shows `***` unless you may read personal data; "
        "then the read is audited."
    )
    reason: str | None = strawberry.field(
        description="Why: a correction's reason, a case's grounds, or the department's note when it returned the dossier."
    )
    evidence: list[str] = strawberry.field(description="Ids of the documents (`Document.id`) behind the change.")
    business_id: str | None = strawberry.field(
        description="The correction or case that made the change; null for the registrar's own edits."
    )

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


@strawberry.type(description="An entry of an archive section (Art. 6 (2)-(6)), with the schema version that validated it.")
class SectionEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id; ids sort in the order the entries were recorded.")
    section: SectionType = strawberry.field(description="The archive section the entry belongs to.")  # type: ignore[valid-type]
    schema_version: int = strawberry.field(description="The version of the section's JSON Schema that validated `data`.")
    data: JSON = strawberry.field(
        description="The entry, a JSON object valid against that version of the schema (see `sectionSchema`)."
    )
    recorded_by: str = strawberry.field(description="Login of the registrar who recorded the entry.")
    recorded_at: datetime = strawberry.field(description="When it was recorded (ISO 8601 date and time, UTC).")

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


@strawberry.type(
    description="A student's lifelong dossier (学籍档案, Art. 6-8): one per person, kept under one student number "
    "through transfers and status changes. Seen by whoever sees the student's school (README access table), and by "
    "the schools that keep a read-only copy after a transfer; identifiers are masked unless stated."
)
class Student:
    dossier: strawberry.Private[d.Dossier]
    missing_fields: strawberry.Private[tuple[str, ...]]
    # An as-of view: the day, and the dossier as it is now, which decides what may be seen
    # of it (the scope and the masking are today's, Art. 19, 24).
    day: strawberry.Private[date | None] = None
    live: strawberry.Private[d.Dossier | None] = None
    # A copy pinned to one recorded version (a transfer's, Art. 19): its history stops there.
    cutoff: strawberry.Private[datetime | None] = None

    @classmethod
    def of(cls, row: StudentRow, *, as_of: date | None = None, live: d.Dossier | None = None) -> Student:
        return cls(dossier=row.dossier, missing_fields=row.missing, day=as_of, live=live)

    @property
    def _now(self) -> d.Dossier:
        return self.live or self.dossier

    def _today(self) -> date:
        return self.day or date.today()

    @strawberry.field(
        description="The day this view of the dossier is as of (ISO 8601 date): its fields as they stood at the end of "
        "that day in China (UTC+8), when asked for with `asOf`; null for the dossier as it is now. `cases`, "
        "`documents` and `sectionEntries` are always as they are now; `history` stops at that day."
    )
    def as_of(self) -> date | None:
        return self.day

    @strawberry.field(
        description="The student number (学籍号, Art. 7): `G` + the 18-character resident ID number, or a temporary `L` "
        "number (`L` + the school's 6-digit division code + the birth date YYYYMMDD + a 4-digit sequence), replaced by "
        "the `G` number once a resident ID is recorded."
    )
    def number(self) -> str:
        return self.dossier.number

    @strawberry.field(description="Earlier numbers of this student; they still find the dossier.")
    def aliases(self) -> list[str]:
        return list(self.dossier.aliases)

    @strawberry.field(
        description="Full name (姓名), as in the household register. Key data: once verified (核准) it changes only by "
        "an Art. 10 correction."
    )
    def name(self) -> str:
        return self.dossier.basic.name

    @strawberry.field(description="Former name (曾用名); key data like `name`. Null when none.")
    def former_name(self) -> str | None:
        return self.dossier.basic.former_name

    @strawberry.field(description="The name in pinyin, letters and spaces; null when not recorded.")
    def name_pinyin(self) -> str | None:
        return self.dossier.basic.name_pinyin

    @strawberry.field(description="Sex (GB/T 2261.1). Key data; agrees with the ID number when it encodes one.")
    def sex(self) -> SexType:  # type: ignore[valid-type]
        return self.dossier.basic.sex

    @strawberry.field(
        description="Date of birth (ISO 8601 date). Key data; agrees with the ID number when it encodes one."
    )
    def birth_date(self) -> date:
        return self.dossier.basic.birth_date

    @strawberry.field(description="Place of birth (出生地), a 6-digit GB/T 2260 division code; null until recorded.")
    def birth_place(self) -> str | None:
        return self.dossier.basic.birth_place

    @strawberry.field(description="Ancestral home (籍贯), a 6-digit GB/T 2260 division code; null until recorded.")
    def native_place(self) -> str | None:
        return self.dossier.basic.native_place

    @strawberry.field(description="Ethnic group (民族), a GB/T 3304 code (code table `ethnicity`), e.g. 01 汉族.")
    def ethnicity(self) -> str | None:
        return self.dossier.basic.ethnicity

    @strawberry.field(description="Nationality (国籍), an ISO 3166-1 alpha-3 code; CHN by default.")
    def nationality(self) -> str:
        return self.dossier.basic.nationality

    @strawberry.field(
        description="港澳台侨外 code (code table `overseasStatus`): 00 none, 01 Hong Kong compatriot, … 99 other."
    )
    def overseas_status(self) -> str:
        return self.dossier.basic.overseas_status

    @strawberry.field(description="The kind of identity document the dossier is keyed on (Art. 7); NONE_YET while none.")
    def id_document_kind(self) -> IdDocKindType:  # type: ignore[valid-type]
        return self.dossier.id_document.kind

    @strawberry.field(
        description="The identity document number, masked for everyone (first 6 and last 4 characters of long "
        "numbers); null for NONE_YET."
    )
    def id_number(self) -> str | None:
        return self.dossier.id_document.masked

    @strawberry.field(
        description="The full identity document number: only for the registrar of the student's school and its "
        "supervising department (Art. 24); null for every other role. Each read is audited."
    )
    async def id_number_full(self, info: Info) -> str | None:
        if not await _may_read_personal(info, self._now):
            return None
        await _audit_read(info, self._now, "idNumberFull")
        return self.dossier.id_document.number

    @strawberry.field(
        description="Unmasked personal data, for the registrar of the student's school and its supervising department "
        "(Art. 24); null for every other role. Each read is audited."
    )
    async def personal(self, info: Info) -> PersonalData | None:
        if not await _may_read_personal(info, self._now):
            return None
        await _audit_read(info, self._now, "personal")
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

    @strawberry.field(
        description="Family members and guardians (at most 10), identifiers masked; unmasked in `personal.guardians`."
    )
    def guardians(self) -> list[Guardian]:
        return [Guardian.of(g) for g in self.dossier.guardians]

    @strawberry.field(description="Auxiliary flags of the national student record (only child, left-behind, 随班就读…).")
    def flags(self) -> StudentFlags:
        return StudentFlags(**self.dossier.flags.__dict__)

    @strawberry.field(description="The school that holds the status (学籍所在学校).")
    async def school(self, info: Info) -> School:
        found = await info.context.loaders.school.load(self.dossier.status.school_code)
        assert found is not None
        return School.of(found)

    @strawberry.field(description="Grade 1-9: 1-6 primary (小学), 7-9 junior secondary (初中).")
    def grade(self) -> int:
        return self.dossier.status.grade

    @strawberry.field(description="Class (班级) as the school names it, one line of at most 20 characters.")
    def class_name(self) -> str:
        return self.dossier.status.class_name

    @strawberry.field(
        description="Date of entry (入学日期, ISO 8601 date). For grade 1 it fixes the intake (Art. 4): from 1 June, that "
        "year's autumn intake; January to May, the autumn intake before."
    )
    def entry_date(self) -> date:
        return self.dossier.status.entry_date

    @strawberry.field(
        description="How the student entered (入学方式, code table `entryWay`), e.g. 1 就近入学 (nearest school), 6 随班就读, "
        "7 送教上门."
    )
    def entry_way(self) -> str:
        return self.dossier.status.entry_way

    @strawberry.field(
        description="How the student attends (就读方式, code table `studyMode`): 1 day student (走读), 2 boarder (住校), "
        "3 lodging (借宿), 9 other."
    )
    def study_mode(self) -> str:
        return self.dossier.status.study_mode

    @strawberry.field(description="The state of the status (学籍状态): enrolled, suspended (休学), dropped out (辍学)…")
    def state(self) -> StudentStateType:  # type: ignore[valid-type]
        return self.dossier.status.state

    @strawberry.field(
        description="The day the student graduated by a year-end change (Art. 17), ISO 8601; null if never. A primary "
        "graduate placed at a junior school keeps it."
    )
    def graduated_on(self) -> date | None:
        return self.dossier.graduated_on

    @strawberry.field(description="Whether the supervising department has verified (核准) the dossier (Art. 6).")
    def verification(self) -> VerificationType:  # type: ignore[valid-type]
        return self.dossier.verification

    @strawberry.field(description="Why the department returned the dossier (what to fix); null unless it did.")
    def verification_note(self) -> str | None:
        return self.dossier.verification_note

    @strawberry.field(
        description="Grade-1 age exception (Art. 4): NONE; DEFERRED (7 or older on 31 August, county-level approval); "
        "UNDER_AGE (under 6, the supervising department's approval)."
    )
    def age_exception(self) -> str:
        return self.dossier.age_exception

    @strawberry.field(
        description="The number of the approval letter behind an age exception (e.g. 金教学〔2026〕31号); null when none."
    )
    def age_approval_reference(self) -> str | None:
        return self.dossier.age_approval_reference

    @strawberry.field(description="Whether the dossier is complete, and by when it must be (Art. 6).")
    def completeness(self, info: Info) -> Completeness:
        deadline = self.dossier.complete_by
        return Completeness(
            complete=not self.missing_fields,
            missing=list(self.missing_fields),
            deadline=deadline,
            overdue=bool(self.missing_fields) and deadline is not None and deadline < self._today(),
        )

    @strawberry.field(
        description="The id of the one business open on this dossier (a correction or a status case); null when none. "
        "While it is open nothing else can be opened (ANOTHER_BUSINESS_OPEN)."
    )
    def open_business(self) -> str | None:
        return self.dossier.open_business

    @strawberry.field(
        description="Every change to the dossier, oldest first (Art. 6 (1)). Old and new values of personal data "
        "are masked unless you may read them (then the read is audited)."
    )
    async def history(self, info: Info) -> list[HistoryEntry]:
        entries = await info.context.stores.students.history(self.dossier.id)
        if self.cutoff is not None:
            entries = [h for h in entries if h.at <= self.cutoff]
        elif self.day is not None:
            entries = [h for h in entries if h.at < end_of_day(self.day)]
        return await shown_changes(info, self._now.status.school_code, self._now.number, entries, "history")

    @strawberry.field(
        description="Status-change cases of this student (Art. 11-16), oldest first; in a former school's copy, those "
        "opened before the student left."
    )
    async def cases(self, info: Info) -> list[Case]:
        cases = await info.context.loaders.cases_by_dossier.load(self.dossier.id)
        cutoff = self.cutoff
        return [Case(case=c) for c in cases if cutoff is None or c.opened_at <= cutoff]

    @strawberry.field(description="Schools that keep a read-only copy of this dossier after a transfer (Art. 19).")
    def former_school_codes(self) -> list[str]:
        return list(self.dossier.former_school_codes)

    @strawberry.field(
        description="Art. 12 placement: the school identifier of the school the student attends while the status stays "
        "here; null otherwise."
    )
    def attending_school_code(self) -> str | None:
        return self.dossier.attending_school_code

    @strawberry.field(
        description="Last day of the current suspension (休学, Art. 13; ISO 8601 date); null when not suspended. Once "
        "it has passed the school is reminded to open a resumption (复学)."
    )
    def suspension_until(self) -> date | None:
        return self.dossier.suspension_until

    @strawberry.field(
        description="The sanction in force (Art. 11(4)), for whoever may see the student; null when there is none or "
        "it has run out."
    )
    async def sanction(self, info: Info) -> Sanction | None:
        until = self.dossier.sanction_until
        if until is None or until < self._today():
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

    @strawberry.field(
        description="Scanned evidence of this dossier (Art. 6 (2)), oldest first; in a former school's copy, that "
        "uploaded before the student left."
    )
    async def documents(self, info: Info) -> list[Document]:
        documents = await info.context.loaders.documents_by_dossier.load(self.dossier.id)
        cutoff = self.cutoff
        return [Document(document=x) for x in documents if cutoff is None or x.created_at <= cutoff]

    @strawberry.field(
        description="Entries of the archive sections (2)-(6) of Art. 6, in the order they were recorded. " + FORWARD_ONLY
    )
    async def section_entries(
        self,
        info: Info,
        section: Annotated[
            SectionType | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only the entries of this section; null for all."),
        ] = None,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[SectionEntry]:
        page = await info.context.stores.sections.entries(
            self.dossier.id,
            Section(section) if section else None,
            after=decode_cursor("section-entry", after),
            first=check_first(first, info.context.page_size_max),
        )
        return connection("section-entry", page.map(SectionEntry.of), after=after)


# Basic-data fields whose old and new values are personal data (Art. 24, R-A6).
PERSONAL_FIELDS = frozenset(
    {"id_document", "guardians", "address", "residence_address", "phone", "health", "household_place", "household_kind"}
)
MASK = "***"


async def history_of(info: Info, dossier: d.Dossier, *, until: datetime | None = None) -> list[HistoryEntry]:
    """The dossier's changes of record; with `until`, those recorded up to then (a former
    school's copy, Art. 19)."""
    entries = await info.context.stores.students.history(dossier.id)
    if until is not None:
        entries = [h for h in entries if h.at <= until]
    return await shown_changes(info, dossier.status.school_code, dossier.number, entries, "history")


async def shown_changes(
    info: Info, school_code: str, number: str, entries: list[DomainHistoryEntry], what: str
) -> list[HistoryEntry]:
    """Changes of record of one dossier as the caller may see them: old and new values of
    personal data masked unless the caller may read the personal data of students of
    `school_code` (Art. 24), and then the read is audited (`what` says where)."""
    school = await info.context.loaders.school.load(school_code)
    if school is not None and may_read_personal(info.context.account, school):
        if any(PERSONAL_FIELDS & h.changes.keys() for h in entries):
            await info.context.audit("read:studentFull", "student", number, school_code=school_code, details={"fields": what})
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

