"""Spreadsheets in and out: the CSV and XLSX files registrars and departments already keep.

Reading takes the bytes of an upload, recognises XLSX (a zip) or CSV (UTF-8, or GB18030 as
Excel saves it on Chinese Windows), finds the header row, and maps each column to a key by
the headers people write (Chinese or English, with or without a trailing `*`). Every cell
comes back as text; what a spreadsheet did to a value on its own (an 18-digit number turned
into a float, a date into a serial) is reported per cell, never guessed back.

XLSX files are zip archives of XML: the archive is measured before it is opened (total
uncompressed size, number of members), so a zip bomb is refused without being inflated, and
the XML is parsed by openpyxl, which uses defusedxml when it is installed.

Writing puts every value in as a literal: a cell that starts with `=`, `+`, `-` or `@` is
text, never a formula (a report built from keyed-in data must not run anything when opened).
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from domain.error_codes import declared
from domain.errors import DomainError
from domain.tables import Column, Row, Table

__all__ = ["Column", "Row", "Table", "SheetOut", "read_table", "write_workbook", "SPREADSHEET_CODES"]

SPREADSHEET_CODES = declared("SPREADSHEET_UNREADABLE", "SPREADSHEET_COLUMNS", "SPREADSHEET_TOO_MANY_ROWS")

MAX_UNCOMPRESSED = 64 * 1024 * 1024  # all members of an XLSX archive together
MAX_MEMBERS = 2_000
MAX_COLUMNS = 256  # read at most this many columns (the templates have about 50)
HEADER_WITHIN = 50  # the header row is one of the first rows
EMPTY_ROWS_ALLOWED = 1_000  # blank rows between data rows, beyond the data rows themselves
_EXACT_FLOAT_DIGITS = 15  # a float holds 15 significant decimal digits exactly
_XLSX_MAGIC = b"PK\x03\x04"


def _header_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).rstrip("*").casefold()


def _refuse(message: str) -> DomainError:
    return DomainError("file", message, "SPREADSHEET_UNREADABLE")


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as e:
        raise _refuse("the file is neither a readable XLSX workbook nor CSV text") from e
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNCOMPRESSED:
        raise _refuse(f"the workbook unpacks to more than {MAX_UNCOMPRESSED // 2**20} MiB; save a smaller one")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds on a damaged or foreign file
        raise _refuse("the workbook cannot be read (damaged, encrypted, or not XLSX)") from e
    try:
        sheet = workbook.worksheets[0]
        # The file's own <dimension> is not trusted: a tiny file can claim 16,384 columns by
        # a million rows, and openpyxl would pad every row to that width.
        sheet.reset_dimensions()
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield list(values)
    except Exception as e:
        raise _refuse("the workbook cannot be read (damaged, encrypted, or not XLSX)") from e
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # gb18030 decodes almost anything; kept for completeness
        raise _refuse("the CSV text is neither UTF-8 nor GB18030")
    if "\x00" in text:
        raise _refuse("the file contains NUL characters; it is not CSV text")
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as e:
        raise _refuse(f"the CSV text cannot be read: {e}") from e


def _cell_text(value: Any) -> tuple[str, str | None]:
    """The cell as text, and a problem when the spreadsheet changed the value itself."""
    if value is None:
        return "", None
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat(), None
        return value.isoformat(sep=" "), None
    if isinstance(value, (date, time)):
        return value.isoformat(), None
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 10**_EXACT_FLOAT_DIGITS:
            return str(int(value)), None
        if value.is_integer():
            return (
                repr(value),
                "the spreadsheet stored this long number as a number and lost its last digits; "
                "format the column as text and type it again",
            )
        return repr(value), None
    return str(value), None


def read_table(data: bytes, columns: Sequence[Column], *, max_rows: int) -> Table:
    """The data rows of the first sheet (XLSX) or of the CSV text, keyed by `columns`.

    The header row is the first row that names at least one known column. Empty rows are
    skipped. Raises a `DomainError` (SPREADSHEET_CODES) for an unreadable file, a missing
    required column or a column named twice, and more than `max_rows` data rows."""
    by_header: dict[str, str] = {}
    for column in columns:
        for header in (column.key, *column.headers):
            by_header[_header_key(header)] = column.key
    source = _xlsx_rows(data) if data.startswith(_XLSX_MAGIC) else _csv_rows(data)
    positions: dict[int, str] | None = None
    ignored: list[str] = []
    rows: list[Row] = []
    for number, values in enumerate(source, start=1):
        # Every row read counts, blank ones too: a file of a million blank rows is refused
        # after a bounded amount of work, whatever its size on disk.
        if number > max_rows + HEADER_WITHIN + EMPTY_ROWS_ALLOWED:
            raise DomainError("file", f"the file has more than {max_rows} rows; split it", "SPREADSHEET_TOO_MANY_ROWS")
        cells = [_cell_text(v) for v in values[:MAX_COLUMNS]]
        if not any(text.strip() for text, _ in cells):
            continue
        if positions is None and number > HEADER_WITHIN:
            break
        if positions is None:
            found = {i: by_header[_header_key(t)] for i, (t, _) in enumerate(cells) if _header_key(t) in by_header}
            if not found:
                continue
            keys = list(found.values())
            for key in keys:
                if keys.count(key) > 1:
                    raise DomainError(key, f"two columns are headed as {key!r}; keep one", "SPREADSHEET_COLUMNS")
            missing = [c for c in columns if c.required and c.key not in keys]
            if missing:
                names = ", ".join(f"{c.headers[0] if c.headers else c.key}" for c in missing)
                raise DomainError(missing[0].key, f"required columns are missing: {names}", "SPREADSHEET_COLUMNS")
            positions = found
            ignored = [t for i, (t, _) in enumerate(cells) if i not in found and t.strip()]
            continue
        if len(rows) >= max_rows:
            raise DomainError("file", f"the file has more than {max_rows} rows; split it", "SPREADSHEET_TOO_MANY_ROWS")
        row = Row(number, {})
        for i, key in positions.items():
            text, problem = cells[i] if i < len(cells) else ("", None)
            row.values[key] = text.strip()
            if problem:
                row.problems[key] = problem
        rows.append(row)
    if positions is None:
        names = ", ".join(c.headers[0] if c.headers else c.key for c in columns if c.required)
        raise DomainError("file", f"no header row found; the first row names the columns ({names})", "SPREADSHEET_COLUMNS")
    return Table(rows, tuple(positions.values()), tuple(ignored))


@dataclass(frozen=True)
class SheetOut:
    """A sheet to write: a title, the header row, data rows, and the rows to highlight."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    highlight: Collection[int] = frozenset()  # 0-based data rows filled in red
    widths: Mapping[int, int] = field(default_factory=dict)  # 0-based column -> width in characters


_HIGHLIGHT = PatternFill("solid", start_color="FFF4CCCC", end_color="FFF4CCCC")
_BOLD = Font(bold=True)


def _literal(cell: Cell, value: object) -> None:
    if value is None:
        return
    if isinstance(value, (int, float, date, datetime)) and not isinstance(value, bool):
        cell.value = value
        return
    # XML 1.0 cannot hold most control characters (openpyxl refuses them): each is shown as U+FFFD.
    cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    cell.data_type = "s"  # never a formula, whatever the text starts with


def write_workbook(sheets: Sequence[SheetOut]) -> bytes:
    """An XLSX workbook with these sheets; header rows bold and frozen, highlighted rows filled."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for spec in sheets:
        sheet = workbook.create_sheet(spec.title[:31])
        for col, header in enumerate(spec.headers, start=1):
            cell = sheet.cell(1, col)
            _literal(cell, header)
            cell.font = _BOLD
            sheet.column_dimensions[get_column_letter(col)].width = spec.widths.get(col - 1, max(10, len(header) * 2 + 2))
        sheet.freeze_panes = "A2"
        for index, values in enumerate(spec.rows):
            marked = index in spec.highlight
            for col, value in enumerate(values, start=1):
                cell = sheet.cell(index + 2, col)
                _literal(cell, value)
                if marked:
                    cell.fill = _HIGHLIGHT
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
