"""Loading the official lists (R-A1..R-A3; Art. 2, 3): areas from GB/T 2260, schools from
the national school list. One code path for the `importAreas` / `importSchools` mutations
and the `scripts/admin import-areas|import-schools` commands; the caller authorises (the
mutations: the admin only) and audits.

Every row is checked first; with one refused row nothing is written and `RowsRefused`
carries the whole report. Otherwise new records get version 1 and changed ones a new
version, each with the list's effective date and source in its change of record; rows
equal to what is stored write nothing, so a second run of the same list changes nothing.
Records stored under the list's areas that it does not name are reported, never touched."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import TypeVar

from domain.access import area_contains
from domain.error_codes import declared
from domain.errors import DomainError
from domain.jurisdiction import Area, School
from domain.ports import AreaStore, SchoolStore, Stamp
from domain.reference_lists import (
    AreaRow,
    FieldChange,
    ListReport,
    RowOutcome,
    RowProblem,
    RowReport,
    SchoolRow,
    check_area_row,
    check_placement_change,
    check_school_row,
    covering_areas,
    refuse_duplicates,
    school_action,
    school_changes,
)
from domain.text import TEXT_CODES, identifier, optional_text

# What a list request itself can be refused for (the rows' own codes are in the report).
T = TypeVar("T")

LIST_REQUEST_CODES = declared("NOTHING_TO_CHANGE", "DATE_IN_FUTURE", *TEXT_CODES)
LIST_ROWS_CODES = declared("ROWS_REFUSED")  # `import_areas`, `import_schools`
IMPORT_LIST_CODES = declared(*LIST_REQUEST_CODES, *LIST_ROWS_CODES)


class RowsRefused(DomainError):
    """Some rows are refused and nothing was written; `report` says what each row would do
    and why the refused ones are. `field` names the first problem (`rows.3.kind`)."""

    def __init__(self, report: ListReport) -> None:
        index, first = next((i, r) for i, r in enumerate(report.rows) if r.outcome is RowOutcome.REFUSED)
        where = f"rows.{index}.{first.problems[0].column}"
        super().__init__(where, f"{len(report.refused)} of {len(report.rows)} rows are refused; nothing was written", "ROWS_REFUSED")
        self.report = report


CONCURRENT_WRITES = 8  # versions claimed at once: each is a few round trips, mostly waiting


async def _each(items: Sequence[T], write: Callable[[T], Awaitable[object]]) -> None:
    """One write per item, a few at a time (each item is a different record)."""
    for start in range(0, len(items), CONCURRENT_WRITES):
        await asyncio.gather(*(write(item) for item in items[start : start + CONCURRENT_WRITES]))


def check_request(count: int, effective_on: date, source: str | None, today: date) -> str | None:
    """The request as a whole: some rows, an effective date not in the future, a source
    (free text naming the list, e.g. its file or edition). The cleaned source."""
    if count == 0:
        raise DomainError("rows", "the list has no rows", "NOTHING_TO_CHANGE")
    if effective_on > today:
        raise DomainError("effectiveOn", "a list takes effect on a day that has come", "DATE_IN_FUTURE")
    return optional_text("source", source)


def _finish(
    reports: list[RowReport],
    *,
    effective_on: date,
    coverage: tuple[str, ...],
    not_in_list: list[str],
) -> ListReport:
    report = ListReport(effective_on, tuple(reports), coverage, tuple(sorted(not_in_list)), applied=False)
    if report.refused:
        raise RowsRefused(report)
    return report


def _code_of(text: str, problems: tuple[RowProblem, ...]) -> str | None:
    """A row's code as normalised, unless the code itself is what is wrong with it."""
    if any(p.column == "code" and p.code != "DUPLICATE_ROW" for p in problems):
        return None
    return identifier(text)


def _codes(rows: Sequence[AreaRow | SchoolRow], checked: Sequence[object]) -> list[tuple[int, str | None]]:
    """(row, code) of every row whose code is valid, whatever else is wrong with it."""
    return [(r.row, _code_of(r.code, c if isinstance(c, tuple) else ())) for r, c in zip(rows, checked)]


async def import_areas(
    areas: AreaStore, stamp: Stamp, rows: Sequence[AreaRow], *, effective_on: date, source: str | None
) -> ListReport:
    """A GB/T 2260 list: new areas created, renamed ones versioned (AREA_RENAMED)."""
    checked = [check_area_row(r) for r in rows]
    duplicates = refuse_duplicates(_codes(rows, checked))
    stored = {a.code: a for a in await areas.list()}
    reports: list[RowReport] = []
    new: list[Area] = []
    renamed: list[Area] = []
    for i, (row, result) in enumerate(zip(rows, checked)):
        problems = ((duplicates[i],) if i in duplicates else ()) + (result if isinstance(result, tuple) else ())
        if problems or not isinstance(result, Area):
            reports.append(RowReport(row.row, _code_of(row.code, problems), RowOutcome.REFUSED, problems=problems))
            continue
        before = stored.get(result.code)
        if before is None:
            new.append(result)
            reports.append(RowReport(row.row, result.code, RowOutcome.CREATED))
        elif before.name != result.name:
            renamed.append(result)
            reports.append(RowReport(row.row, result.code, RowOutcome.CHANGED, (FieldChange("name", before.name, result.name),)))
        else:
            reports.append(RowReport(row.row, result.code, RowOutcome.UNCHANGED))
    listed = {c.code for c in checked if isinstance(c, Area)}
    coverage = covering_areas(listed)
    missing = [code for code in stored if code not in listed and any(area_contains(c, code) for c in coverage)]
    report = _finish(reports, effective_on=effective_on, coverage=coverage, not_in_list=missing)
    await areas.create_many(new, stamp, effective_on=effective_on, source=source)
    await _each(renamed, lambda area: areas.rename(area, stamp, effective_on=effective_on, source=source))
    return ListReport(report.effective_on, report.rows, report.coverage, report.not_in_list, applied=True)


async def _placement_problem(schools: SchoolStore, before: School, after: School) -> RowProblem | None:
    if before.area_code == after.area_code and before.supervisor_code == after.supervisor_code:
        return None
    try:
        check_placement_change(before, after, has_records=await schools.has_records(before.code))
    except DomainError as e:
        return RowProblem.of(e, e.field or "supervisorCode")
    return None


async def import_schools(
    areas: AreaStore, schools: SchoolStore, stamp: Stamp, rows: Sequence[SchoolRow], *, effective_on: date, source: str | None
) -> ListReport:
    """A school list: new schools created, changed ones versioned (SCHOOL_RENAMED, …)."""
    known = {a.code for a in await areas.list()}
    checked = [check_school_row(r, known) for r in rows]
    duplicates = refuse_duplicates(_codes(rows, checked))
    valid = [c for c in checked if isinstance(c, School)]
    stored = {s.code: s for province in sorted({s.province_code for s in valid}) for s in await schools.in_area(province)}
    reports: list[RowReport] = []
    new: list[School] = []
    changed: list[tuple[School, tuple[FieldChange, ...]]] = []
    for i, (row, result) in enumerate(zip(rows, checked)):
        problems = ((duplicates[i],) if i in duplicates else ()) + (result if isinstance(result, tuple) else ())
        if problems or not isinstance(result, School):
            reports.append(RowReport(row.row, _code_of(row.code, problems), RowOutcome.REFUSED, problems=problems))
            continue
        before = stored.get(result.code)
        if before is None:
            new.append(result)
            reports.append(RowReport(row.row, result.code, RowOutcome.CREATED))
            continue
        changes = school_changes(before, result)
        placement = await _placement_problem(schools, before, result) if changes else None
        if placement is not None:
            reports.append(RowReport(row.row, result.code, RowOutcome.REFUSED, changes, (placement,)))
        elif changes:
            changed.append((result, changes))
            reports.append(RowReport(row.row, result.code, RowOutcome.CHANGED, changes))
        else:
            reports.append(RowReport(row.row, result.code, RowOutcome.UNCHANGED))
    listed = {s.code for s in valid}
    coverage = covering_areas(s.area_code for s in valid)
    missing = [c for c, s in stored.items() if c not in listed and any(area_contains(a, s.area_code) for a in coverage)]
    report = _finish(reports, effective_on=effective_on, coverage=coverage, not_in_list=missing)
    await schools.create_many(new, stamp, effective_on=effective_on, source=source)
    await _each(
        changed,
        lambda item: schools.relist(item[0], stamp, action=school_action(item[1]), effective_on=effective_on, source=source),
    )
    return ListReport(report.effective_on, report.rows, report.coverage, report.not_in_list, applied=True)
