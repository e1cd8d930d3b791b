"""Reading dossiers: by number (or alias), lists with filters, history, duplicates, code tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, cast

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from domain.access import area_field, student_scope
from domain.accounts import Role
from domain.changes import end_of_day, today_in_china
from domain.codes import TABLES
from domain.duplicates import Probe
from domain.dossier import StudentState, missing_fields
from domain.errors import DomainError
from domain.identity import Sex
from domain.ports import Page, StudentFilter, StudentRow
from domain.sections import Section
from domain.student_number import normalise_number
from domain.text import identifier
from schema.context import Info
from schema.docs import STUDENT_NUMBER_ARG
from schema.inputs import bad_input, check_area_code
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor
from application import students as usecases
from schema.students.inputs import IdDocumentInput, StudentFilterInput
from schema.students.mutations import DuplicateCandidate
from schema.students.types import HistoryEntry, SectionType, SexType, Student, history_of


@strawberry.type(description="One code of a code table: what is stored, and what to show.")
class Code:
    code: str = strawberry.field(description="The code as stored in a dossier and sent in inputs, e.g. `01`.")
    label: str = strawberry.field(description="Its label in Chinese, as the standard names it, e.g. 汉族.")


@strawberry.type(description="A code table of the national student record, for pick-lists.")
class CodeTable:
    name: str = strawberry.field(
        description="The table's name, which is also the field it codes: sex, ethnicity, health, overseasStatus, "
        "relation, householdKind, entryWay, studyMode, leftBehind, disability."
    )
    standard: str = strawberry.field(description="Where the codes come from, e.g. GB/T 3304 or the national student record.")
    codes: list[Code] = strawberry.field(description="Every code of the table, in the standard's order.")


@strawberry.type(description="A published version of an archive section's JSON Schema (R-B6).")
class SectionSchema:
    section: SectionType = strawberry.field(description="The archive section it describes.")  # type: ignore[valid-type]
    version: int = strawberry.field(description="Its version, 1, 2, …; entries record the version that validated them.")
    schema: JSON = strawberry.field(description="The JSON Schema (draft 2020-12) of one entry, an object.")
    published_by: str = strawberry.field(
        description="Login of the province account that published it; `system` for the built-in version 1."
    )


@strawberry.input(description="A record to check for duplicates before it is keyed in (Art. 8).")
class DuplicateProbeInput:
    name: str = strawberry.field(description="The child's full name, as it will be keyed in.")
    birth_date: date = strawberry.field(description="Date of birth (ISO 8601 date).")
    sex: SexType = strawberry.field(description="Sex (GB/T 2261.1).")  # type: ignore[valid-type]
    guardian_documents: list[IdDocumentInput] = strawberry.field(
        default_factory=list, description="Identity documents of the guardians; a shared one is a likely duplicate."
    )


def _number(number: str) -> str:
    try:
        return normalise_number(number)
    except DomainError as e:
        raise bad_input(e) from e


AS_OF_RULE = (
    "As of a day you see what you may see of the dossier today, and masked as today (Art. 24): a school the "
    "student has left keeps its read-only copy (Art. 19) and so sees the student as of any day."
)
AsOf = Annotated[
    date | None,
    strawberry.argument(
        description="A day (ISO 8601 date, not after today in China): answer as of the end of that day in China (UTC+8), "
        "from the dossiers' recorded versions (Art. 20); null for now."
    ),
]


def _past(day: date) -> date:
    if day > today_in_china(datetime.now(UTC)):
        raise GraphQLError("asOf is after today", extensions={"code": "BAD_USER_INPUT", "field": "asOf"})
    return day


async def _students_as_of(
    info: Info, day: date, f: StudentFilter, *, after: str | None, key: str | None, first: int
) -> Connection[Student]:
    ctx = info.context
    code = f.school_code
    if code is None and ctx.account.role is Role.SCHOOL_REGISTRAR:
        code = ctx.account.scope_code
    if code is None:
        raise GraphQLError(
            "asOf lists one school's students: give filter.schoolCode",
            extensions={"code": "BAD_USER_INPUT", "field": "filter.schoolCode"},
        )
    school = await ctx.loaders.school.load(code)
    # Every dossier a school held keeps its tokens (Art. 19), so who sees the school sees them.
    if school is None or not student_scope(ctx.account).contains(school):
        return connection("student", Page[Student]([], [], False, 0), after=after)
    page = await ctx.stores.students.page_as_of(code, f, end_of_day(day), after=key, first=first)
    return connection("student", page.map(lambda r: Student.of(r.then, as_of=day, live=r.now)), after=after)


@strawberry.type
class StudentQueries:
    @strawberry.field(
        description="A dossier by student number or by an earlier (alias) number; null when there is none or it is "
        "outside your scope (the two look the same). With `asOf`, the dossier as it stood at the end of that day: "
        "null when it did not exist yet. " + AS_OF_RULE
    )
    async def student(
        self,
        info: Info,
        number: Annotated[str, strawberry.argument(description=STUDENT_NUMBER_ARG)],
        as_of: AsOf = None,
    ) -> Student | None:
        day = _past(as_of) if as_of is not None else None
        row = await info.context.stores.students.by_number(_number(number), info.context.student_scope_key)
        return await _as_seen(info, row, day) if row else None

    @strawberry.field(
        description="Dossiers in your scope (the students of the schools you see; the admin sees none), ordered by the "
        "dossier id, which is the student's first number (an `L` number later replaced by the `G` number keeps its "
        "place). With `asOf`, the students one school held at the end of that day, each as the dossier stood then, "
        "the filter applied to it then (the school's roll for 人籍一致 checks): give `filter.schoolCode` (a "
        "registrar's own school by default), else BAD_USER_INPUT; a school outside your scope lists nobody. "
        + AS_OF_RULE + " " + FORWARD_ONLY
    )
    async def students(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        filter: Annotated[
            StudentFilterInput | None, strawberry.argument(description="Narrow the list; null for every dossier you see.")
        ] = None,
        as_of: AsOf = None,
    ) -> Connection[Student]:
        ctx = info.context
        f = filter or StudentFilterInput()
        area = check_area_code(f.area_code) if f.area_code is not None else None
        domain_filter = StudentFilter(
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
            completeness_overdue_on=(as_of or date.today()) if f.completeness_overdue else None,
        )
        key, size = decode_cursor("student", after), check_first(first, ctx.page_size_max)
        if as_of is not None:
            return await _students_as_of(info, _past(as_of), domain_filter, after=after, key=key, first=size)
        page = await ctx.stores.students.page(ctx.student_scope_key, domain_filter, after=key, first=size)
        seen = {row.dossier.id: await _as_seen(info, row, None) for row in page.items}
        return connection("student", page.map(lambda row: seen[row.dossier.id] or Student.of(row)), after=after)

    @strawberry.field(
        description="Every change of record of a dossier (Art. 6(1)), oldest first, as in `Student.history`; null "
        "outside your scope."
    )
    async def student_history(
        self, info: Info, number: Annotated[str, strawberry.argument(description=STUDENT_NUMBER_ARG)]
    ) -> list[HistoryEntry] | None:
        row = await info.context.stores.students.by_number(_number(number), info.context.student_scope_key)
        if row is None:
            return None
        copy = await usecases.former_copy(info.context, row.dossier)
        return await history_of(info, row.dossier, until=copy[1] if copy else None)

    @strawberry.field(
        description="Likely duplicates (Art. 8: one status per person) of a new record (`probe`) or of an existing "
        "dossier (`number`), in your scope and beyond it (beyond it, only a masked name). Give exactly one of the two, "
        "else BAD_USER_INPUT."
    )
    async def duplicate_candidates(
        self,
        info: Info,
        probe: Annotated[
            DuplicateProbeInput | None, strawberry.argument(description="A record not keyed in yet: name, birth, sex.")
        ] = None,
        number: Annotated[
            str | None, strawberry.argument(description="A dossier in your scope, by student number or alias.")
        ] = None,
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

    @strawberry.field(
        description="The code tables of the national student record (sex, ethnicity, relation, entry way…) for "
        "pick-lists; every signed-in role may read them."
    )
    def code_tables(
        self,
        names: Annotated[
            list[str] | None,
            strawberry.argument(description="Only these tables, by `CodeTable.name` (unknown names are skipped); null for all."),
        ] = None,
    ) -> list[CodeTable]:
        wanted = [TABLES[n] for n in names if n in TABLES] if names else list(TABLES.values())
        return [CodeTable(name=t.name, standard=t.standard, codes=[Code(code=c, label=l) for c, l in t.entries]) for t in wanted]

    @strawberry.field(
        description="The current (latest) JSON Schema of an archive section, which new entries must satisfy; null "
        "when none is published."
    )
    async def section_schema(
        self,
        info: Info,
        section: Annotated[SectionType, strawberry.argument(description="The archive section.")],  # type: ignore[valid-type]
    ) -> SectionSchema | None:
        found = await info.context.stores.sections.latest(Section(section))
        if found is None:
            return None
        return SectionSchema(section=found.section, version=found.version, schema=cast(JSON, found.schema), published_by=found.published_by)


async def _as_seen(info: Info, row: StudentRow, day: date | None) -> Student | None:
    """The dossier as the caller may see it, today or as of `day`: a school the student
    has left sees its read-only copy (Art. 19), the dossier as the departure left it,
    and what it was before that; the schools that hold the student see it live."""
    copy = await usecases.former_copy(info.context, row.dossier)
    if copy is not None and (day is None or end_of_day(day) > copy[1]):
        then, left_at = copy
        return Student(dossier=then, missing_fields=tuple(missing_fields(then)), day=day, live=row.dossier, cutoff=left_at)
    if day is None:
        return Student.of(row)
    before = await info.context.stores.students.as_of(row.dossier.id, end_of_day(day))
    if before is None:
        return None
    return Student.of(StudentRow(before, tuple(missing_fields(before))), as_of=day, live=row.dossier)
