"""Reading dossiers: by number (or alias), lists with filters, history, duplicates, code tables."""

from __future__ import annotations

from datetime import date
from typing import cast

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from domain.access import area_field
from domain.codes import TABLES
from domain.duplicates import Probe
from domain.dossier import StudentState
from domain.errors import DomainError
from domain.identity import Sex
from domain.ports import StudentFilter
from domain.sections import Section
from domain.student_number import normalise_number
from domain.text import identifier
from schema.context import Info
from schema.inputs import bad_input, check_area_code
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor
from schema.students import usecases
from schema.students.inputs import IdDocumentInput, StudentFilterInput
from schema.students.mutations import DuplicateCandidate
from schema.students.types import HistoryEntry, SectionType, SexType, Student, history_of


@strawberry.type(description="One code of a code table.")
class Code:
    code: str
    label: str


@strawberry.type(description="A code table of the national student record, for pick-lists.")
class CodeTable:
    name: str
    standard: str
    codes: list[Code]


@strawberry.type(description="A published version of an archive section's JSON Schema.")
class SectionSchema:
    section: SectionType  # type: ignore[valid-type]
    version: int
    schema: JSON
    published_by: str


@strawberry.input(description="A record to check for duplicates before it is keyed in.")
class DuplicateProbeInput:
    name: str
    birth_date: date
    sex: SexType  # type: ignore[valid-type]
    guardian_documents: list[IdDocumentInput] = strawberry.field(default_factory=list)


def _number(number: str) -> str:
    try:
        return normalise_number(number)
    except DomainError as e:
        raise bad_input(e) from e


@strawberry.type
class StudentQueries:
    @strawberry.field(description="A dossier by student number or by an earlier (alias) number; null outside your scope.")
    async def student(self, info: Info, number: str) -> Student | None:
        row = await info.context.stores.students.by_number(_number(number), info.context.student_scope_key)
        return Student.of(row) if row else None

    @strawberry.field(
        description="Dossiers in your scope (the students of the schools you see; the admin sees none), ordered by the "
        "dossier id, which is the student's first number (an `L` number later replaced by the `G` number keeps its "
        "place). " + FORWARD_ONLY
    )
    async def students(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter: StudentFilterInput | None = None,
    ) -> Connection[Student]:
        ctx = info.context
        f = filter or StudentFilterInput()
        area = check_area_code(f.area_code) if f.area_code is not None else None
        page = await ctx.stores.students.page(
            ctx.student_scope_key,
            StudentFilter(
                area_field=area_field(area) if area else None,
                area_code=area,
                school_code=identifier(f.school_code) if f.school_code is not None else None,
                grade=f.grade,
                class_name=f.class_name,
                state=StudentState(f.state) if f.state else None,
                entry_year=f.entry_year,
                name_prefix=f.name_prefix.strip() if f.name_prefix else None,
                verified=f.verified,
                incomplete=f.incomplete,
                completeness_overdue_on=date.today() if f.completeness_overdue else None,
            ),
            after=decode_cursor("student", after),
            first=check_first(first, ctx.page_size_max),
        )
        return connection("student", page.map(Student.of), after=after)

    @strawberry.field(description="Every change of a dossier, oldest first; null outside your scope.")
    async def student_history(self, info: Info, number: str) -> list[HistoryEntry] | None:
        row = await info.context.stores.students.by_number(_number(number), info.context.student_scope_key)
        if row is None:
            return None
        return await history_of(info, row.dossier)

    @strawberry.field(
        description="Likely duplicates of a new record (`probe`) or of an existing dossier (`number`), in your "
        "scope and beyond (masked names only beyond it)."
    )
    async def duplicate_candidates(
        self, info: Info, probe: DuplicateProbeInput | None = None, number: str | None = None
    ) -> list[DuplicateCandidate]:
        ctx = info.context
        if (probe is None) == (number is None):
            raise GraphQLError("give either probe or number", extensions={"code": "BAD_USER_INPUT"})
        try:
            if number is not None:
                row, _ = await usecases.student_in_scope(ctx, number)
                candidates = await usecases.find_candidates(ctx, usecases.probe_of(row.dossier), row.dossier.id)
            else:
                assert probe is not None
                p = Probe(
                    probe.name.strip(), probe.birth_date, Sex(probe.sex), tuple(g.to_domain() for g in probe.guardian_documents)
                )
                candidates = await usecases.find_candidates(ctx, p, None)
        except DomainError as e:
            raise bad_input(e) from e
        return [DuplicateCandidate.of(c) for c in candidates]

    @strawberry.field(description="The code tables (sex, ethnicity, relation, entry way…) for pick-lists.")
    def code_tables(self, names: list[str] | None = None) -> list[CodeTable]:
        wanted = [TABLES[n] for n in names if n in TABLES] if names else list(TABLES.values())
        return [CodeTable(name=t.name, standard=t.standard, codes=[Code(code=c, label=l) for c, l in t.entries]) for t in wanted]

    @strawberry.field(description="The current schema of an archive section.")
    async def section_schema(self, info: Info, section: SectionType) -> SectionSchema | None:  # type: ignore[valid-type]
        found = await info.context.stores.sections.latest(Section(section))
        if found is None:
            return None
        return SectionSchema(section=found.section, version=found.version, schema=cast(JSON, found.schema), published_by=found.published_by)
