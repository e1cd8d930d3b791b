"""Spreadsheets for tests: an XLSX workbook of rows, as a registrar's or a department's file."""

from __future__ import annotations

import io
from collections.abc import Sequence

import openpyxl


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    """One sheet with these rows (the first is usually the header row)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for values in rows:
        sheet.append(list(values))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
