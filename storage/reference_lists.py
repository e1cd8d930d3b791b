"""The official lists as files: a GB/T 2260 division list and a school list, in CSV (UTF-8
or GB18030) or XLSX, read by `storage/spreadsheets.py` into the rows `domain/reference_lists.py`
checks. Columns are found by their header, in any order; other columns are ignored.

Areas (GB/T 2260, e.g. the Ministry of Civil Affairs' 县级以上行政区划代码 list):

| column | Chinese headers | English headers | |
|---|---|---|---|
| code | 行政区划代码, 区划代码, 代码 | code, area code, division code | 6 digits |
| name | 单位名称, 行政区划名称, 名称 | name, area name | e.g. 金水区 |

Schools (the national school list, 学校名录):

| column | Chinese headers | English headers | |
|---|---|---|---|
| code | 学校标识码 | code, school code, school id | 10 digits |
| name | 学校名称 | name, school name | |
| kind | 办学类型, 学校办学类型 | kind, school kind | 小学, 初级中学, 九年一贯制学校, 十二年一贯制学校, 特殊教育学校, 工读学校 |
| ownership | 办学性质, 办别, 公办/民办 | ownership | 公办 or 民办 |
| areaCode | 所在地行政区划代码, 所在地区划代码, 行政区划代码, 区县代码 | area code, county code | the county it stands in |
| supervisorCode | 学籍主管部门代码, 主管部门代码, 主管教育行政部门代码 | supervisor code, supervising department | optional: blank = the county; a city or the province for 直管学校 |

A header may carry a trailing `*` and spaces; English headers match in any case and with or
without spaces (`areaCode`, `Area code`). A cell the spreadsheet program turned into a long
number or a date is passed on as the program left it and refused by the row check."""

from __future__ import annotations

from domain.reference_lists import AreaRow, SchoolRow
from storage.spreadsheets import Column, Table, read_table

MAX_LIST_ROWS = 100_000  # a province's school list with room to spare

AREA_COLUMNS = (
    Column("code", ("行政区划代码", "区划代码", "代码", "area code", "division code"), required=True),
    Column("name", ("单位名称", "行政区划名称", "名称", "area name"), required=True),
)

SCHOOL_COLUMNS = (
    Column("code", ("学校标识码", "school code", "school id"), required=True),
    Column("name", ("学校名称", "school name"), required=True),
    Column("kind", ("办学类型", "学校办学类型", "school kind"), required=True),
    Column("ownership", ("办学性质", "办别", "公办/民办"), required=True),
    Column("area_code", ("所在地行政区划代码", "所在地区划代码", "行政区划代码", "区县代码", "area code", "county code"), required=True),
    Column("supervisor_code", ("学籍主管部门代码", "主管部门代码", "主管教育行政部门代码", "supervisor code", "supervising department")),
)


def _table(data: bytes, columns: tuple[Column, ...]) -> Table:
    return read_table(data, columns, max_rows=MAX_LIST_ROWS)


def read_area_list(data: bytes) -> list[AreaRow]:
    """The rows of a GB/T 2260 list file. Raises DomainError (SPREADSHEET_CODES) for a file
    that cannot be read or lacks a column."""
    return [AreaRow(r.number, r.values["code"], r.values["name"]) for r in _table(data, AREA_COLUMNS).rows]


def read_school_list(data: bytes) -> list[SchoolRow]:
    """The rows of a school list file. Raises DomainError (SPREADSHEET_CODES) for a file
    that cannot be read or lacks a column."""
    return [
        SchoolRow(
            row=r.number,
            code=r.values["code"],
            name=r.values["name"],
            kind=r.values["kind"],
            ownership=r.values["ownership"],
            area_code=r.values["area_code"],
            supervisor_code=r.values.get("supervisor_code", ""),
        )
        for r in _table(data, SCHOOL_COLUMNS).rows
    ]
