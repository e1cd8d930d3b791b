"""Reading and writing spreadsheets (storage/spreadsheets.py): formats, headers, what
Excel does to values, hostile archives, and formula-free output."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import openpyxl
import pytest

from domain.errors import DomainError
from storage.spreadsheets import HEADER_WITHIN, MAX_UNCOMPRESSED, Column, SheetOut, read_table, write_workbook

COLUMNS = (
    Column("name", ("姓名", "Name"), required=True),
    Column("id_number", ("身份证件号", "ID number")),
    Column("birth_date", ("出生日期",)),
)
from tests.sheets import xlsx




def test_xlsx_rows_keyed_by_chinese_headers_with_required_marks_and_spaces() -> None:
    data = xlsx([["填表说明"], ["姓 名*", "身份证件号", "出生日期", "备注"], ["张三", "410102201901010012", date(2019, 1, 1), "x"], [], ["李四", None, None]])
    table = read_table(data, COLUMNS, max_rows=10)
    assert table.columns == ("name", "id_number", "birth_date")
    assert table.ignored_headers == ("备注",)
    assert [(r.number, r.values) for r in table.rows] == [
        (3, {"name": "张三", "id_number": "410102201901010012", "birth_date": "2019-01-01"}),
        (5, {"name": "李四", "id_number": "", "birth_date": ""}),
    ]


def test_long_numbers_excel_turned_into_floats_are_reported_not_guessed() -> None:
    table = read_table(xlsx([["姓名", "身份证件号"], ["张三", 410102201901010012.0], ["李四", 12345]]), COLUMNS, max_rows=10)
    assert "id_number" in table.rows[0].problems
    assert table.rows[1].values["id_number"] == "12345" and not table.rows[1].problems


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_the_encodings_excel_saves(encoding: str) -> None:
    data = "Name,ID number\r\n王五,41010220190101001X\r\n".encode(encoding)
    table = read_table(data, COLUMNS, max_rows=10)
    assert table.rows[0].values == {"name": "王五", "id_number": "41010220190101001X"}


def test_a_missing_required_column_is_named() -> None:
    with pytest.raises(DomainError) as e:
        read_table(xlsx([["身份证件号"], ["410102201901010012"]]), (*COLUMNS[1:], Column("sex", ("性别",), required=True)), max_rows=10)
    assert e.value.code == "SPREADSHEET_COLUMNS" and e.value.field == "sex" and "性别" in e.value.message


def test_a_column_named_twice_is_refused() -> None:
    with pytest.raises(DomainError) as e:
        read_table(xlsx([["姓名", "Name"], ["a", "b"]]), COLUMNS, max_rows=10)
    assert e.value.code == "SPREADSHEET_COLUMNS" and e.value.field == "name"


def test_no_header_row() -> None:
    with pytest.raises(DomainError) as e:
        read_table(b"a,b\r\n1,2\r\n", COLUMNS, max_rows=10)
    assert e.value.code == "SPREADSHEET_COLUMNS"


def test_row_limit() -> None:
    data = ("姓名\n" + "张三\n" * 11).encode()
    assert len(read_table(data, COLUMNS, max_rows=11).rows) == 11
    with pytest.raises(DomainError) as e:
        read_table(data, COLUMNS, max_rows=10)
    assert e.value.code == "SPREADSHEET_TOO_MANY_ROWS"


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(zip_of({"xl/worksheets/sheet1.xml": b"\0" * (MAX_UNCOMPRESSED + 1)}), id="zip-bomb"),
        pytest.param(zip_of({"[Content_Types].xml": b"<x/>"}), id="zip-not-a-workbook"),
        pytest.param(b"PK\x03\x04" + b"\xff" * 100, id="truncated-zip"),
        pytest.param(b"%PDF-1.7\n\x00\x01binary", id="binary-with-nul"),
        pytest.param(xlsx([["姓名"], ["x"]])[:-40], id="cut-short-xlsx"),
    ],
)
def test_hostile_or_foreign_files_are_refused_with_one_code(data: bytes) -> None:
    with pytest.raises(DomainError) as e:
        read_table(data, COLUMNS, max_rows=10)
    assert e.value.code == "SPREADSHEET_UNREADABLE"


def test_written_text_is_never_a_formula_and_highlights_show() -> None:
    hostile = ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "普通"]
    data = write_workbook([SheetOut("报告", ["值", "n"], [[v, i] for i, v in enumerate(hostile)], highlight={1})])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert [sheet.cell(i + 2, 1).value for i in range(len(hostile))] == hostile
    assert all(sheet.cell(i + 2, 1).data_type == "s" for i in range(len(hostile)))
    assert sheet.cell(3, 2).fill.start_color.rgb == "FFF4CCCC" and sheet.cell(2, 2).fill.start_color.rgb != "FFF4CCCC"
    # and it reads back through the reader
    table = read_table(data, (Column("v", ("值",), required=True),), max_rows=10)
    assert [r.values["v"] for r in table.rows] == hostile


def test_control_characters_keyed_into_a_csv_still_make_a_report() -> None:
    table = read_table("姓名\n王\x07明\n".encode(), COLUMNS, max_rows=10)
    data = write_workbook([SheetOut("报告", ["姓名"], [[r.values["name"]] for r in table.rows])])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None and sheet.cell(2, 1).value == "王\ufffd明"


def _claiming(last_row: int, columns: str = "XFD") -> bytes:
    """A small workbook whose sheet claims `A1:{columns}{last_row}` and has a cell on that last row."""
    data = xlsx([["姓名"], ["张三"], ["李四"]])
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="A1:{columns}{last_row}"/>'.encode(), content)
                content = content.replace(b'<row r="3"', f'<row r="{last_row}"'.encode()).replace(b'r="A3"', f'r="A{last_row}"'.encode())
            target.writestr(member.filename, content)
    return out.getvalue()


def test_a_sheet_claiming_a_million_rows_by_sixteen_thousand_columns_is_refused_after_bounded_work() -> None:
    """The file is a few kilobytes; what it claims is read no further than the row limit
    (blank rows count), and never wider than MAX_COLUMNS."""
    data = _claiming(1_048_576)
    assert len(data) < 10_000
    with pytest.raises(DomainError) as e:
        read_table(data, COLUMNS, max_rows=10)
    assert e.value.code == "SPREADSHEET_TOO_MANY_ROWS"
    # the same claim with the last row near: the rows are read, the width is not
    table = read_table(_claiming(40), COLUMNS, max_rows=10)
    assert [r.values["name"] for r in table.rows] == ["张三", "李四"] and table.columns == ("name",)


def test_the_header_row_is_looked_for_near_the_top_only() -> None:
    rows: list[list[str]] = [[f"说明 {i}"] for i in range(HEADER_WITHIN + 5)] + [["姓名"], ["张三"]]
    with pytest.raises(DomainError) as e:
        read_table(xlsx(rows), COLUMNS, max_rows=10)
    assert e.value.code == "SPREADSHEET_COLUMNS"
