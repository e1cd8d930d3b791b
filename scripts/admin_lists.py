"""`scripts/admin import-areas FILE` and `scripts/admin import-schools FILE`: load a GB/T 2260
list or the national school list (CSV or XLSX; columns in `storage/reference_lists.py`)
into the configured database, through the same use case as the `importAreas` /
`importSchools` mutations (`application/reference_lists.py`).

Prints what each row did (changed and refused rows one per line, the others counted) and
the codes stored under the list's areas that it does not name; `--report FILE.xlsx` writes
every row, refused ones highlighted. Exit status 0 when the list was applied (or changed
nothing), 1 when a row or the file was refused — then nothing was written."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from api.settings import Settings
from domain.errors import DomainError
from domain.ports import ConcurrentWrite
from domain.reference_lists import ListReport, RowOutcome
from application import reference_lists as lists
from application.reference_lists import RowsRefused
from scripts.admin_db import audit, command_stamp, opened
from storage.reference_lists import read_area_list, read_school_list
from storage.schools import AreaRepository, SchoolRepository
from storage.spreadsheets import SheetOut, write_workbook
from storage.transitions import TransitionLog

COMMANDS = {"import-areas": ("area_list", "command:importAreas"), "import-schools": ("school_list", "command:importSchools")}


def describe(report: ListReport) -> list[str]:
    """The report as lines: a summary, every changed and refused row, the codes not in the list."""
    counts = ", ".join(f"{report.count(o)} {o.value.lower()}" for o in RowOutcome)
    lines = [f"{len(report.rows)} rows, effective {report.effective_on.isoformat()}: {counts}"]
    for r in report.rows:
        if r.outcome is RowOutcome.CHANGED:
            changes = "; ".join(f"{c.field}: {c.before} → {c.after}" for c in r.changes)
            lines.append(f"changed  row {r.row}  {r.code}  {changes}")
        for p in r.problems:
            lines.append(f"refused  row {r.row}  {r.code or '-'}  {p.column} {p.code}: {p.message}")
    if report.not_in_list:
        lines.append(f"not in this list ({len(report.not_in_list)}, under {', '.join(report.coverage)}): {', '.join(report.not_in_list)}")
    lines.append("applied" if report.applied else "nothing was written: correct the refused rows and run again")
    return lines


def report_workbook(report: ListReport) -> bytes:
    rows = [
        [
            r.row,
            r.code,
            r.outcome.value,
            "; ".join(f"{c.field}: {c.before} → {c.after}" for c in r.changes),
            "; ".join(f"{p.column} {p.code}: {p.message}" for p in r.problems),
        ]
        for r in report.rows
    ]
    refused = {i: "refused" for i, r in enumerate(report.rows) if r.outcome is RowOutcome.REFUSED}
    sheets = [SheetOut("rows", ["row", "code", "outcome", "changes", "problems"], rows, highlight=refused, widths={3: 60, 4: 80})]
    if report.not_in_list:
        sheets.append(SheetOut("not in this list", ["code"], [[c] for c in report.not_in_list]))
    return write_workbook(sheets)


async def import_list(
    settings: Settings, command: str, path: Path, *, effective_on: date, source: str | None, report_to: Path | None
) -> int:
    data = path.read_bytes()
    source = source or f"{path.name} sha256:{hashlib.sha256(data).hexdigest()[:16]}"
    target_type, action = COMMANDS[command]
    stamp = command_stamp()
    async with opened(settings) as collections:
        target = (target_type, path.name)
        log = TransitionLog(collections)
        areas = AreaRepository(collections, log)
        try:
            if command == "import-areas":
                area_rows = read_area_list(data)
                source = lists.check_request(len(area_rows), effective_on, source, date.today())
                report = await lists.import_areas(areas, stamp, area_rows, effective_on=effective_on, source=source)
            else:
                school_rows = read_school_list(data)
                source = lists.check_request(len(school_rows), effective_on, source, date.today())
                schools = SchoolRepository(collections, log)
                report = await lists.import_schools(areas, schools, stamp, school_rows, effective_on=effective_on, source=source)
        except RowsRefused as e:
            report = e.report
            await audit(collections, stamp, action, target, e.code, {"source": source, "refused": len(report.refused)})
        except (DomainError, ConcurrentWrite) as e:
            code = e.code if isinstance(e, DomainError) else "CONFLICT"
            await audit(collections, stamp, action, target, code, {"source": source})
            field = f" {e.field}" if isinstance(e, DomainError) and e.field else ""
            print(f"{path}: refused{field}: {code}: {e}")
            return 1
        else:
            details = {"source": source, **{o.value.lower(): report.count(o) for o in RowOutcome}}
            await audit(collections, stamp, action, target, details=details)
    print(f"{path}:")
    print("\n".join(describe(report)))
    if report_to is not None:
        report_to.write_bytes(report_workbook(report))
        print(f"report written to {report_to}")
    return 0 if report.applied else 1
