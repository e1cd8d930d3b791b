"""GraphQL inputs for dossiers, and their translation to domain values (validated there)."""

from __future__ import annotations

from datetime import date

import strawberry

from domain import dossier as d
from domain.identity import IdDocKind, IdDocument, parse_id_document
from schema.students.types import IdDocKindType, SexType, StudentStateType


@strawberry.input(description="An identity document. `number` is omitted for NONE_YET.")
class IdDocumentInput:
    kind: IdDocKindType  # type: ignore[valid-type]
    number: str | None = None
    country: str | None = strawberry.field(default=None, description="Issuing country (ISO 3166 alpha-3), passports only.")

    def to_domain(self) -> IdDocument:
        return parse_id_document(IdDocKind(self.kind), self.number, self.country)


@strawberry.input(description="Basic data (基础信息). Codes come from `codeTables`.")
class BasicDataInput:
    name: str
    sex: SexType  # type: ignore[valid-type]
    birth_date: date
    former_name: str | None = None
    name_pinyin: str | None = None
    birth_place: str | None = None
    native_place: str | None = None
    ethnicity: str | None = None
    nationality: str = "CHN"
    overseas_status: str = "00"
    health: str | None = None
    household_place: str | None = None
    household_kind: str | None = None
    address: str | None = None
    residence_address: str | None = None
    phone: str | None = None

    def to_domain(self) -> d.BasicData:
        values = {k: getattr(self, k) for k in d.BasicData.__dataclass_fields__}
        return d.normalised_basic(d.BasicData(**values))


@strawberry.input(description="A family member or guardian. Text fields are one line; `employer` at most 100 characters.")
class GuardianInput:
    name: str
    relation: str = strawberry.field(description="GB/T 4761 code.")
    is_guardian: bool
    id_document: IdDocumentInput | None = None
    phone: str | None = None
    employer: str | None = None

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


@strawberry.input
class FlagsInput:
    only_child: bool = False
    preschool: bool = False
    left_behind: str = "0"
    migrant_child: bool = False
    orphan: bool = False
    martyr_child: bool = False
    inclusive_education: bool = False
    disability: str | None = None
    home_teaching: bool = False

    def to_domain(self) -> d.Flags:
        return d.normalised_flags(d.Flags(**{k: getattr(self, k) for k in d.Flags.__dataclass_fields__}))


@strawberry.input(description="Filters for `students`; all combine with AND.")
class StudentFilterInput:
    school_code: str | None = None
    area_code: str | None = strawberry.field(default=None, description="Province, city or county code of the school.")
    grade: int | None = None
    class_name: str | None = None
    state: StudentStateType | None = None  # type: ignore[valid-type]
    entry_year: int | None = None
    name_prefix: str | None = None
    verified: bool | None = None
    incomplete: bool | None = None
    completeness_overdue: bool | None = strawberry.field(
        default=None, description="Only dossiers still incomplete one month after enrolment (Art. 6)."
    )
