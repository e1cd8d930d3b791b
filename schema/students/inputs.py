"""GraphQL inputs for dossiers, and their translation to domain values (validated there)."""

from __future__ import annotations

from datetime import date

import strawberry

from domain import dossier as d
from domain.identity import IdDocKind, IdDocument, parse_id_document
from schema.students.types import IdDocKindType, SexType, StudentStateType


@strawberry.input(
    description="An identity document (Art. 7, 28), checked by the rule of its kind (format, GB/T 2260 region, birth "
    "date, GB 11643 check digit). `number` is omitted for NONE_YET."
)
class IdDocumentInput:
    kind: IdDocKindType = strawberry.field(description="The kind of document; it decides the number's format.")  # type: ignore[valid-type]
    number: str | None = strawberry.field(
        default=None,
        description="The document number. Spaces, hyphens and full-width characters are normalised; letters become "
        "upper case. Omit for NONE_YET.",
    )
    country: str | None = strawberry.field(
        default=None, description="Issuing country (ISO 3166-1 alpha-3, e.g. USA), for passports only."
    )

    def to_domain(self) -> IdDocument:
        return parse_id_document(IdDocKind(self.kind), self.number, self.country)


@strawberry.input(
    description="Basic data (基础信息, Art. 6 (1)), given whole. Codes come from `codeTables`; division codes are "
    "6-digit GB/T 2260 codes. Text is one line."
)
class BasicDataInput:
    name: str = strawberry.field(description="Full name (姓名): 1-50 Chinese characters, letters, spaces, · . ' or -.")
    sex: SexType = strawberry.field(description="Sex (GB/T 2261.1); must agree with the ID number.")  # type: ignore[valid-type]
    birth_date: date = strawberry.field(description="Date of birth (ISO 8601 date); must agree with the ID number.")
    former_name: str | None = strawberry.field(default=None, description="Former name (曾用名), like `name`.")
    name_pinyin: str | None = strawberry.field(default=None, description="The name in pinyin: letters and spaces.")
    birth_place: str | None = strawberry.field(default=None, description="Place of birth (出生地), a division code.")
    native_place: str | None = strawberry.field(default=None, description="Ancestral home (籍贯), a division code.")
    ethnicity: str | None = strawberry.field(default=None, description="Ethnic group (民族), a GB/T 3304 code.")
    nationality: str = strawberry.field(default="CHN", description="Nationality, an ISO 3166-1 alpha-3 code.")
    overseas_status: str = strawberry.field(default="00", description="港澳台侨外 code (`overseasStatus`); 00 for none.")
    health: str | None = strawberry.field(default=None, description="Health status, a GB/T 2261.3 code (`health`).")
    household_place: str | None = strawberry.field(
        default=None, description="Where the household is registered (户口所在地), a division code."
    )
    household_kind: str | None = strawberry.field(default=None, description="户口性质 code (`householdKind`).")
    address: str | None = strawberry.field(default=None, description="Current address (现住址), at most 200 characters.")
    residence_address: str | None = strawberry.field(
        default=None, description="Home or postal address (家庭住址 / 通信地址), at most 200 characters."
    )
    phone: str | None = strawberry.field(default=None, description="Contact phone: 5-20 characters of digits, spaces, + and -.")

    def to_domain(self) -> d.BasicData:
        values = {k: getattr(self, k) for k in d.BasicData.__dataclass_fields__}
        return d.normalised_basic(d.BasicData(**values))


@strawberry.input(description="A family member or guardian. Text fields are one line; `employer` at most 100 characters.")
class GuardianInput:
    name: str = strawberry.field(description="Full name: 1-50 Chinese characters, letters, spaces, · . ' or -.")
    relation: str = strawberry.field(description="Relation to the student, a GB/T 4761 code (code table `relation`).")
    is_guardian: bool = strawberry.field(description="True for a legal guardian (监护人); a dossier needs at least one.")
    id_document: IdDocumentInput | None = strawberry.field(default=None, description="Their identity document, if known.")
    phone: str | None = strawberry.field(default=None, description="Phone: 5-20 characters of digits, spaces, + and -.")
    employer: str | None = strawberry.field(default=None, description="Employer or workplace (工作单位).")

    def to_domain(self, index: int) -> d.Guardian:
        guardian = d.Guardian(
            name=self.name,
            relation=self.relation,
            is_guardian=self.is_guardian,
            id_document=self.id_document.to_domain() if self.id_document else None,
            phone=self.phone,
            employer=self.employer,
        )
        return d.normalised_guardian(guardian, index)


@strawberry.input(
    description="Auxiliary flags of the national student record, given whole (omitted ones take their defaults)."
)
class FlagsInput:
    only_child: bool = strawberry.field(default=False, description="独生子女: an only child.")
    preschool: bool = strawberry.field(default=False, description="受过学前教育: attended preschool.")
    left_behind: str = strawberry.field(default="0", description="留守儿童 code (`leftBehind`): 0, 1 or 2.")
    migrant_child: bool = strawberry.field(default=False, description="进城务工人员随迁子女 (matters for Art. 14(2)).")
    orphan: bool = strawberry.field(default=False, description="孤儿: the student is an orphan.")
    martyr_child: bool = strawberry.field(default=False, description="烈士或优抚子女: a martyr's or entitled family's child.")
    inclusive_education: bool = strawberry.field(
        default=False, description="随班就读 (Art. 8): in a regular class with a disability; needs `disability`."
    )
    disability: str | None = strawberry.field(
        default=None, description="残疾类型, a GB/T 26341 code (`disability`); required with 随班就读 or 送教上门."
    )
    home_teaching: bool = strawberry.field(
        default=False, description="送教上门 (Art. 8): taught at home by visiting teachers; needs `disability`."
    )

    def to_domain(self) -> d.Flags:
        return d.normalised_flags(d.Flags(**{k: getattr(self, k) for k in d.Flags.__dataclass_fields__}))


@strawberry.input(description="Filters for `students`; all combine with AND, and null ones do not filter.")
class StudentFilterInput:
    school_code: str | None = strawberry.field(default=None, description="Only students of this school (学校标识码).")
    area_code: str | None = strawberry.field(
        default=None, description="Only schools in this province, city or county (a 6-digit GB/T 2260 code)."
    )
    grade: int | None = strawberry.field(default=None, description="Only this grade (1-9).")
    class_name: str | None = strawberry.field(default=None, description="Only this class, spelled exactly.")
    state: StudentStateType | None = strawberry.field(default=None, description="Only this status state.")  # type: ignore[valid-type]
    entry_year: int | None = strawberry.field(default=None, description="Only students whose entry date is in this year.")
    name_prefix: str | None = strawberry.field(default=None, description="Only names starting with this text (e.g. a surname).")
    verified: bool | None = strawberry.field(
        default=None, description="True: only verified (核准) dossiers; false: only those not verified yet."
    )
    incomplete: bool | None = strawberry.field(
        default=None, description="True: only incomplete dossiers (see `Student.completeness`); false: only complete ones."
    )
    completeness_overdue: bool | None = strawberry.field(
        default=None, description="Only dossiers still incomplete one month after enrolment (Art. 6)."
    )
