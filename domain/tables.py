"""Tables as they come from a spreadsheet: the columns a reader understands and the rows
it found, every cell as text. The files themselves are read in storage/spreadsheets.py."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """A column a reader understands: its key, the headers that name it, whether it must be there."""

    key: str
    headers: tuple[str, ...]
    required: bool = False


@dataclass
class Row:
    """One data row. `number` is the row as the spreadsheet shows it (1-based, header included)."""

    number: int
    values: dict[str, str]
    problems: dict[str, str] = field(default_factory=dict)  # key -> what happened to the cell


@dataclass(frozen=True)
class Table:
    rows: list[Row]
    columns: tuple[str, ...]  # the keys found, in the file's order
    ignored_headers: tuple[str, ...]  # headers no column answers to
