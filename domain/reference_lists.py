"""The official lists areas and schools are loaded from (R-A1..R-A3; Art. 2, 3): the GB/T 2260
division codes with their names, and the national school list — the 10-digit school
identifier (学校标识码), name, kind (办学类型), public or private (公办/民办), the county it
stands in and its supervising department (学籍主管部门: the county unless a city or the
province manages it directly, 直管学校).

Each row is checked on its own and every problem of it is reported (row, column, code,
message), so a list is corrected in one pass. A list is applied whole or not at all: one
refused row and nothing is written. Applying it again changes nothing; a school whose
name, kind, ownership or supervisor differs gets a new version with the list's effective
date, and a school the list no longer names is only reported (closures and mergers are
decided, never inferred from an absent row). Nothing here is deleted.

The rules only: the file is read by `storage/spreadsheets.py` (columns in
`storage/reference_lists.py`), the use case is `application/reference_lists.py`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.error_codes import declared
from domain.errors import DomainError
from domain.jurisdiction import (
    Area,
    AreaLevel,
    Ownership,
    School,
    SchoolKind,
    area_level,
    area_lineage,
    validate_area_code,
    validate_school_code,
)
from domain.text import ONE_LINE, TEXT_CODES, identifier, required_text

# 办学类型 as the national student-status system and the education statistics name them
# (Art. 2 lists the kinds these rules apply to), and our own enum names.
KIND_NAMES: Mapping[str, SchoolKind] = {
    "小学": SchoolKind.PRIMARY,
    "初级中学": SchoolKind.JUNIOR_SECONDARY,
    "九年一贯制学校": SchoolKind.NINE_YEAR,
    "十二年一贯制学校": SchoolKind.TWELVE_YEAR,
    "特殊教育学校": SchoolKind.SPECIAL_EDUCATION,
    "工读学校": SchoolKind.WORK_STUDY,
    **{kind.value: kind for kind in SchoolKind},
}
OWNERSHIP_NAMES: Mapping[str, Ownership] = {
    "公办": Ownership.PUBLIC,
    "民办": Ownership.PRIVATE,
    **{ownership.value: ownership for ownership in Ownership},
}

AREA_ROW_CODES = declared("INVALID_AREA_CODE", *TEXT_CODES, "DUPLICATE_ROW")
SCHOOL_ROW_CODES = declared(
    "INVALID_SCHOOL_CODE", *TEXT_CODES, "UNKNOWN_SCHOOL_KIND", "UNKNOWN_OWNERSHIP", "INVALID_AREA_CODE", "UNKNOWN_AREA",
    "INVALID_SUPERVISOR", "DUPLICATE_ROW", "PLACEMENT_LOCKED",
)
ROW_CODES = declared(*AREA_ROW_CODES, *SCHOOL_ROW_CODES)


@dataclass(frozen=True)
class AreaRow:
    """One line of a GB/T 2260 list, as text. `row` is its row in the file (1-based)."""

    row: int
    code: str
    name: str


@dataclass(frozen=True)
class SchoolRow:
    """One line of a school list, as text. A blank `supervisor_code` means the county."""

    row: int
    code: str
    name: str
    kind: str
    ownership: str
    area_code: str
    supervisor_code: str = ""


@dataclass(frozen=True)
class RowProblem:
    """Why a row is refused: the column (the input field name), a stable code, a message."""

    column: str
    code: str
    message: str

    @classmethod
    def of(cls, error: DomainError, column: str) -> RowProblem:
        return cls(column, error.code, error.message)


class RowOutcome(StrEnum):
    CREATED = "CREATED"
    CHANGED = "CHANGED"
    UNCHANGED = "UNCHANGED"
    REFUSED = "REFUSED"


@dataclass(frozen=True)
class FieldChange:
    field: str  # the input field name: name, kind, ownership, areaCode, supervisorCode
    before: str | None
    after: str


@dataclass(frozen=True)
class RowReport:
    row: int
    code: str | None  # the row's code as normalised, when it has one
    outcome: RowOutcome
    changes: tuple[FieldChange, ...] = ()
    problems: tuple[RowProblem, ...] = ()


@dataclass(frozen=True)
class ListReport:
    """What a list import did (`applied`) or, with a refused row, would have done."""

    effective_on: date
    rows: tuple[RowReport, ...]
    coverage: tuple[str, ...]  # the areas the list covers (see `covering_areas`)
    not_in_list: tuple[str, ...]  # codes stored under the coverage that the list does not name
    applied: bool

    def count(self, outcome: RowOutcome) -> int:
        return sum(1 for r in self.rows if r.outcome is outcome)

    @property
    def refused(self) -> tuple[RowReport, ...]:
        return tuple(r for r in self.rows if r.outcome is RowOutcome.REFUSED)


@dataclass(frozen=True)
class ListedVersion:
    """One logged version of an area or school: who, when, what (old → new), from when."""

    version: int
    at: datetime
    actor: str
    action: str
    effective_on: date | None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def _checked(problems: list[RowProblem], column: str, check: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return check(*args, **kwargs)
    except DomainError as e:
        problems.append(RowProblem.of(e, column))
        return None


def check_area_row(row: AreaRow) -> Area | tuple[RowProblem, ...]:
    """The area a GB/T 2260 line names, or every problem of the line."""
    problems: list[RowProblem] = []
    code = _checked(problems, "code", validate_area_code, row.code)
    name = _checked(problems, "name", required_text, "name", row.name, max_length=ONE_LINE)
    if problems:
        return tuple(problems)
    return Area(code, name)


def _kind(text: str) -> SchoolKind:
    kind = KIND_NAMES.get(text.strip()) or KIND_NAMES.get(identifier(text))
    if kind is None:
        accepted = "、".join(k for k in KIND_NAMES if not k.isascii())
        raise DomainError("kind", f"not a kind of school these rules apply to (Art. 2): {accepted}", "UNKNOWN_SCHOOL_KIND")
    return kind


def _ownership(text: str) -> Ownership:
    ownership = OWNERSHIP_NAMES.get(text.strip()) or OWNERSHIP_NAMES.get(identifier(text))
    if ownership is None:
        raise DomainError("ownership", "neither 公办 (public) nor 民办 (private)", "UNKNOWN_OWNERSHIP")
    return ownership


def _county(text: str, known_areas: Set[str]) -> str:
    code = validate_area_code(text, "areaCode")
    if area_level(code) is not AreaLevel.COUNTY:
        raise DomainError("areaCode", "a school stands in a county-level area (县/县级市/市辖区)", "INVALID_AREA_CODE")
    return _known(code, known_areas, "areaCode")


def _supervisor(text: str, county: str, known_areas: Set[str]) -> str:
    code = validate_area_code(text, "supervisorCode")
    if code not in area_lineage(county):
        raise DomainError(
            "supervisorCode",
            f"the supervising department is the school's county {county}, its city or its province (Art. 3)",
            "INVALID_SUPERVISOR",
        )
    return _known(code, known_areas, "supervisorCode")


def _known(code: str, known_areas: Set[str], field_name: str) -> str:
    if code not in known_areas:
        raise DomainError(field_name, f"area {code} is not loaded; import the GB/T 2260 list first (importAreas)", "UNKNOWN_AREA")
    return code


def check_school_row(row: SchoolRow, known_areas: Set[str]) -> School | tuple[RowProblem, ...]:
    """The school a list line names, or every problem of the line. It stands in a loaded
    county; its supervising department is that county unless the row names its city or
    the province (直管学校, Art. 3)."""
    problems: list[RowProblem] = []
    code = _checked(problems, "code", validate_school_code, row.code)
    name = _checked(problems, "name", required_text, "name", row.name, max_length=ONE_LINE)
    kind = _checked(problems, "kind", _kind, row.kind)
    ownership = _checked(problems, "ownership", _ownership, row.ownership)
    county = _checked(problems, "areaCode", _county, row.area_code, known_areas)
    supervisor = county
    if county is not None and row.supervisor_code.strip():
        supervisor = _checked(problems, "supervisorCode", _supervisor, row.supervisor_code, county, known_areas)
    if problems:
        return tuple(problems)
    return School(code, name, kind, ownership, county, supervisor)


def refuse_duplicates(codes: Sequence[tuple[int, str | None]]) -> dict[int, RowProblem]:
    """A code named twice in one list: every row after the first is refused. Takes (row
    number, code) pairs; answers the refusal by position in `codes`."""
    first: dict[str, int] = {}
    refused: dict[int, RowProblem] = {}
    for index, (row, code) in enumerate(codes):
        if code is None:
            continue
        if code in first:
            error = DomainError("code", f"{code} is named twice in this list (first on row {first[code]})", "DUPLICATE_ROW")
            refused[index] = RowProblem.of(error, "code")
        else:
            first[code] = row
    return refused


# The fields a list maintains, by their input names; contact details and the paper archive
# location are the school's own (updateSchoolContact) and never come from a list.
SCHOOL_LIST_FIELDS = {
    "name": "name",
    "kind": "kind",
    "ownership": "ownership",
    "area_code": "areaCode",
    "supervisor_code": "supervisorCode",
}
SCHOOL_ACTIONS = {
    "name": "SCHOOL_RENAMED",
    "kind": "SCHOOL_KIND_CHANGED",
    "ownership": "SCHOOL_OWNERSHIP_CHANGED",
    "area_code": "SCHOOL_AREA_CHANGED",
    "supervisor_code": "SCHOOL_SUPERVISOR_CHANGED",
}


def _text(value: object) -> str:
    return str(getattr(value, "value", value))


def school_changes(before: School, after: School) -> tuple[FieldChange, ...]:
    """What a list changes about a stored school, in the list's fields only."""
    return tuple(
        FieldChange(name, _text(getattr(before, attr)), _text(getattr(after, attr)))
        for attr, name in SCHOOL_LIST_FIELDS.items()
        if getattr(before, attr) != getattr(after, attr)
    )


def school_action(changes: Iterable[FieldChange]) -> str:
    """The transition's action: SCHOOL_RENAMED and the like for one field, else SCHOOL_RELISTED."""
    by_name = {name: attr for attr, name in SCHOOL_LIST_FIELDS.items()}
    fields = [by_name[c.field] for c in changes]
    return SCHOOL_ACTIONS[fields[0]] if len(fields) == 1 else "SCHOOL_RELISTED"


def check_placement_change(before: School, after: School, *, has_records: bool) -> None:
    """A school's county and supervisor place every record filed under it (dossiers, cases,
    reminders and audit events carry its scope tokens, `domain.access.school_tokens`). Once
    anything is filed, a list may not move it: the records would stay visible to the old
    department and hidden from the new one (Art. 24). Such a move is a handover of the
    school's archive (Art. 19), not a list update."""
    if not has_records:
        return
    column = "supervisorCode" if before.supervisor_code != after.supervisor_code else "areaCode"
    if before.supervisor_code != after.supervisor_code or before.area_code != after.area_code:
        raise DomainError(
            column,
            f"records are filed under {before.code} with its present county and supervising department; "
            "moving it needs a handover of its archive (Art. 19), not a list import",
            "PLACEMENT_LOCKED",
        )


def covering_areas(codes: Iterable[str]) -> tuple[str, ...]:
    """The areas a list covers: the nearest area at or above every code it names (a
    county's, a city's or the province's list), or each province named when it spans
    several. Records stored under these areas that the list does not name are reported."""
    found = sorted(set(codes))
    if not found:
        return ()
    provinces = sorted({c[:2] + "0000" for c in found})
    if len(provinces) > 1:
        return tuple(provinces)
    if len(found) == 1:
        return (found[0],)
    cities = {c[:4] + "00" for c in found}
    if len(cities) == 1 and provinces[0] not in found:
        return (cities.pop(),)
    return (provinces[0],)
