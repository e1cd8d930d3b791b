"""The official lists as the frontend sends them and the report it gets back."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain import reference_lists as r
from schema.docs import describe_values
from schema.errors import ErrorCode

ListRowOutcome = describe_values(
    strawberry.enum(r.RowOutcome, name="ListRowOutcome", description="What a list import does with one row."),
    {
        "CREATED": "The code was not stored: a new area or school, version 1.",
        "CHANGED": "Stored with other values: a new version with the list's effective date (`changes` says what).",
        "UNCHANGED": "Stored exactly as the row says: nothing written.",
        "REFUSED": "The row is refused (`problems` says why); with any refused row the list writes nothing.",
    },
)


@strawberry.enum(description="Why a row of a list is refused: one stable code per problem, switch on it.")
class ListRowProblemCode(ErrorCode, codes=r.ROW_CODES):
    ...


@strawberry.type(description="One problem of a refused row: the column, the stable code and a message.")
class ListRowProblem:
    column: str = strawberry.field(
        description="The column at fault, by its input field name: `code`, `name`, `kind`, `ownership`, `areaCode`, "
        "`supervisorCode`."
    )
    code: ListRowProblemCode = strawberry.field(description="The stable code of the problem.")
    message: str = strawberry.field(description="What is wrong, in English, for the person correcting the list.")


@strawberry.type(description="One value a list changes (or a version changed): the field, before and after.")
class FieldChange:
    field: str = strawberry.field(
        description="The field, by its input name: `name`, `kind`, `ownership`, `areaCode`, `supervisorCode`."
    )
    old_value: str | None = strawberry.field(description="The value before; null when the record is new.")
    new_value: str | None = strawberry.field(description="The value after (kind and ownership as their enum values).")

    @classmethod
    def of(cls, change: r.FieldChange) -> FieldChange:
        return cls(field=change.field, old_value=change.before, new_value=change.after)


@strawberry.type(description="What the import did, or would do, with one row of the list.")
class ListImportRow:
    row: int = strawberry.field(description="The row as given (the spreadsheet's row number, header included).")
    code: str | None = strawberry.field(description="The row's area code or school identifier, normalised; null when invalid.")
    outcome: ListRowOutcome = strawberry.field(description="Created, changed, unchanged or refused.")  # type: ignore[valid-type]
    changes: list[FieldChange] = strawberry.field(description="For a changed row, each value the list changes.")
    problems: list[ListRowProblem] = strawberry.field(description="For a refused row, every problem found in it.")

    @classmethod
    def of(cls, row: r.RowReport) -> ListImportRow:
        return cls(
            row=row.row,
            code=row.code,
            outcome=row.outcome,
            changes=[FieldChange.of(c) for c in row.changes],
            problems=[ListRowProblem(column=p.column, code=ListRowProblemCode[p.code], message=p.message) for p in row.problems],
        )


@strawberry.type(description="The per-row report of a list import: what was created, changed, unchanged or refused.")
class ListImportReport:
    applied: bool = strawberry.field(description="True when the list was written; false when a refused row stopped it.")
    effective_on: date = strawberry.field(description="The day the list takes effect, recorded with every version it wrote.")
    created: int = strawberry.field(description="How many rows created a new record.")
    changed: int = strawberry.field(description="How many rows changed a stored record (one new version each).")
    unchanged: int = strawberry.field(description="How many rows matched what is stored exactly.")
    refused: int = strawberry.field(description="How many rows are refused; any refused row means nothing was written.")
    rows: list[ListImportRow] = strawberry.field(description="Every row of the list, in the order given.")
    coverage: list[str] = strawberry.field(
        description="The areas the list covers: the nearest area above every row (a county's, city's or the province's list)."
    )
    not_in_list: list[str] = strawberry.field(
        description="Codes stored under `coverage` that the list does not name. Nothing happens to them: closing or "
        "merging a school is decided, never inferred from a missing row."
    )

    @classmethod
    def of(cls, report: r.ListReport) -> ListImportReport:
        return cls(
            applied=report.applied,
            effective_on=report.effective_on,
            created=report.count(r.RowOutcome.CREATED),
            changed=report.count(r.RowOutcome.CHANGED),
            unchanged=report.count(r.RowOutcome.UNCHANGED),
            refused=report.count(r.RowOutcome.REFUSED),
            rows=[ListImportRow.of(row) for row in report.rows],
            coverage=list(report.coverage),
            not_in_list=list(report.not_in_list),
        )


@strawberry.type(description="One version of a school in its log: who changed what, when, effective from when.")
class SchoolVersion:
    version: int = strawberry.field(description="The version number, from 1 (schools loaded before the log start later).")
    at: datetime = strawberry.field(description="When the version was written (UTC).")
    actor: str = strawberry.field(description="Who wrote it: a login, or `system:…` for a command run on the server.")
    action: str = strawberry.field(
        description="What happened: SCHOOL_CREATED, SCHOOL_RENAMED, SCHOOL_KIND_CHANGED, SCHOOL_OWNERSHIP_CHANGED, "
        "SCHOOL_SUPERVISOR_CHANGED, SCHOOL_AREA_CHANGED, SCHOOL_RELISTED (several at once), CONTACT_UPDATED."
    )
    effective_on: date | None = strawberry.field(description="The day the change took effect, from the list; null otherwise.")
    changes: list[FieldChange] = strawberry.field(description="The list's fields it changed, before and after.")

    @classmethod
    def of(cls, version: r.ListedVersion) -> SchoolVersion:
        changes = [
            FieldChange(field=r.SCHOOL_LIST_FIELDS[k], old_value=_text(old), new_value=_text(new))
            for k, (old, new) in version.changes.items()
            if k in r.SCHOOL_LIST_FIELDS
        ]
        return cls(
            version=version.version,
            at=version.at,
            actor=version.actor,
            action=version.action,
            effective_on=version.effective_on,
            changes=changes,
        )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@strawberry.input(description="One line of a GB/T 2260 list: a division code and its name.")
class AreaListRowInput:
    code: str = strawberry.field(description="The 6-digit GB/T 2260 division code (行政区划代码).")
    name: str = strawberry.field(description="The area's name (单位名称), e.g. 金水区; one line, at most 200 characters.")
    row: int | None = strawberry.field(
        default=None, description="The row in the file, echoed in the report; null: the position in `rows`, from 1."
    )


@strawberry.input(description="One line of the national school list (学校名录), cells as text.")
class SchoolListRowInput:
    code: str = strawberry.field(description="The 10-digit school identifier (学校标识码).")
    name: str = strawberry.field(description="The school's name (学校名称); one line, at most 200 characters.")
    kind: str = strawberry.field(
        description="办学类型 as the national list names it: 小学, 初级中学, 九年一贯制学校, 十二年一贯制学校, 特殊教育学校, "
        "工读学校 (or the SchoolKind value)."
    )
    ownership: str = strawberry.field(description="公办 or 民办 (or PUBLIC / PRIVATE).")
    area_code: str = strawberry.field(description="The county-level area the school stands in (6-digit GB/T 2260 code).")
    supervisor_code: str | None = strawberry.field(
        default=None,
        description="Its supervising department (学籍主管部门) by area code: null or blank for the county, the city's or "
        "the province's code for 直管学校 (Art. 3).",
    )
    row: int | None = strawberry.field(
        default=None, description="The row in the file, echoed in the report; null: the position in `rows`, from 1."
    )


LIST_ROWS = (
    "The rows of the list, all checked before anything is written. The request body limit bounds a call to a county's "
    "or a city's list; a province's list goes through `scripts/admin import-schools FILE`."
)
EFFECTIVE_ON = "The day the list takes effect (ISO 8601 date, not in the future); recorded with every version written."
SOURCE = "Which list this is (its file or edition), recorded with every version written; one line, at most 200 characters."


@strawberry.input(description="A GB/T 2260 list to load: new areas are created, renamed ones get a new version.")
class ImportAreasInput:
    rows: list[AreaListRowInput] = strawberry.field(description=LIST_ROWS)
    effective_on: date = strawberry.field(description=EFFECTIVE_ON)
    source: str | None = strawberry.field(default=None, description=SOURCE)


@strawberry.input(description="A school list to load: new schools are created, changed ones get a new version.")
class ImportSchoolsInput:
    rows: list[SchoolListRowInput] = strawberry.field(description=LIST_ROWS)
    effective_on: date = strawberry.field(description=EFFECTIVE_ON)
    source: str | None = strawberry.field(default=None, description=SOURCE)
