"""The official lists' rows (domain/reference_lists.py) and their files
(storage/reference_lists.py): Chinese kind and ownership names, the supervisor defaulting
to the county, every problem of a row reported, duplicates, what a change is called, and
when a school may not move."""

from __future__ import annotations


import pytest

from domain.errors import DomainError
from domain.jurisdiction import Area, Ownership, School, SchoolKind
from domain.reference_lists import (
    AreaRow,
    FieldChange,
    RowProblem,
    SchoolRow,
    check_area_row,
    check_placement_change,
    check_school_row,
    covering_areas,
    refuse_duplicates,
    school_action,
    school_changes,
)
from storage.reference_lists import read_area_list, read_school_list
from tests.sheets import xlsx

KNOWN = {"410000", "410100", "410105", "410102", "410300", "410302"}
K, O = SchoolKind, Ownership


def row(**over: str) -> SchoolRow:
    values = {"code": "2141010599", "name": "金水区测试小学", "kind": "小学", "ownership": "公办", "area_code": "410105"}
    return SchoolRow(2, **{**values, **over})


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("小学", K.PRIMARY),
        ("初级中学", K.JUNIOR_SECONDARY),
        ("九年一贯制学校", K.NINE_YEAR),
        ("十二年一贯制学校", K.TWELVE_YEAR),
        ("特殊教育学校", K.SPECIAL_EDUCATION),
        ("工读学校", K.WORK_STUDY),
        (" junior_secondary ", K.JUNIOR_SECONDARY),
    ],
)
def test_the_national_lists_kind_names(kind: str, expected: SchoolKind) -> None:
    school = check_school_row(row(kind=kind), KNOWN)
    assert isinstance(school, School) and school.kind is expected


def test_ownership_and_the_supervisor_defaults_to_the_county() -> None:
    school = check_school_row(row(ownership="民办"), KNOWN)
    assert isinstance(school, School)
    assert (school.ownership, school.supervisor_code, school.directly_managed) == (O.PRIVATE, "410105", False)
    direct = check_school_row(row(supervisor_code=" 410100 "), KNOWN)
    assert isinstance(direct, School) and direct.supervisor_code == "410100" and direct.directly_managed


def test_every_problem_of_a_row_is_reported_by_column() -> None:
    problems = check_school_row(SchoolRow(7, "21410", "", "完全中学", "国有", "410199", ""), KNOWN)
    assert isinstance(problems, tuple)
    assert [(p.column, p.code) for p in problems] == [
        ("code", "INVALID_SCHOOL_CODE"),
        ("name", "INVALID_VALUE"),
        ("kind", "UNKNOWN_SCHOOL_KIND"),
        ("ownership", "UNKNOWN_OWNERSHIP"),
        ("areaCode", "UNKNOWN_AREA"),
    ]


@pytest.mark.parametrize(
    ("over", "column", "code"),
    [
        ({"area_code": "410100"}, "areaCode", "INVALID_AREA_CODE"),  # a city is not where a school stands
        ({"supervisor_code": "410300"}, "supervisorCode", "INVALID_SUPERVISOR"),  # another city
        ({"supervisor_code": "410102"}, "supervisorCode", "INVALID_SUPERVISOR"),  # another county
        ({"supervisor_code": "110000"}, "supervisorCode", "INVALID_SUPERVISOR"),
        ({"area_code": "410122"}, "areaCode", "UNKNOWN_AREA"),
        ({"name": "小学\n"}, "name", "INVALID_VALUE"),
        ({"name": "长" * 201}, "name", "INVALID_VALUE"),
    ],
)
def test_placement_rules_of_a_row(over: dict[str, str], column: str, code: str) -> None:
    problems = check_school_row(row(**over), KNOWN)
    assert isinstance(problems, tuple) and [(p.column, p.code) for p in problems] == [(column, code)]


def test_area_rows() -> None:
    assert check_area_row(AreaRow(2, "４１０１０５", " 金水区 ")) == Area("410105", "金水区")
    problems = check_area_row(AreaRow(3, "41010", ""))
    assert isinstance(problems, tuple) and [(p.column, p.code) for p in problems] == [
        ("code", "INVALID_AREA_CODE"),
        ("name", "INVALID_VALUE"),
    ]


def test_a_code_named_twice_refuses_the_later_rows() -> None:
    refused = refuse_duplicates([(2, "2141010501"), (3, None), (4, "2141010502"), (5, "2141010501"), (9, "2141010501")])
    assert sorted(refused) == [3, 4]
    assert refused[3].code == "DUPLICATE_ROW" and "row 2" in refused[3].message


def test_what_a_change_is_called() -> None:
    before = School("2141010501", "旧名小学", K.PRIMARY, O.PUBLIC, "410105", "410105")
    renamed = School("2141010501", "新名小学", K.PRIMARY, O.PUBLIC, "410105", "410105")
    assert school_changes(before, before) == ()
    assert school_changes(before, renamed) == (FieldChange("name", "旧名小学", "新名小学"),)
    assert school_action(school_changes(before, renamed)) == "SCHOOL_RENAMED"
    direct = School("2141010501", "旧名小学", K.NINE_YEAR, O.PRIVATE, "410105", "410100")
    changes = school_changes(before, direct)
    assert [c.field for c in changes] == ["kind", "ownership", "supervisorCode"]
    assert changes[0] == FieldChange("kind", "PRIMARY", "NINE_YEAR")
    assert school_action(changes) == "SCHOOL_RELISTED"
    assert school_action(changes[2:]) == "SCHOOL_SUPERVISOR_CHANGED"


def test_a_school_with_records_filed_under_it_does_not_move() -> None:
    before = School("2141010501", "小学", K.PRIMARY, O.PUBLIC, "410105", "410105")
    to_city = School("2141010501", "小学", K.PRIMARY, O.PUBLIC, "410105", "410100")
    check_placement_change(before, to_city, has_records=False)
    check_placement_change(before, School("2141010501", "新名", K.PRIMARY, O.PUBLIC, "410105", "410105"), has_records=True)
    with pytest.raises(DomainError) as e:
        check_placement_change(before, to_city, has_records=True)
    assert (e.value.field, e.value.code) == ("supervisorCode", "PLACEMENT_LOCKED")
    with pytest.raises(DomainError) as e:
        check_placement_change(before, School("2141010501", "小学", K.PRIMARY, O.PUBLIC, "410102", "410102"), has_records=True)
    assert (e.value.field, e.value.code) == ("supervisorCode", "PLACEMENT_LOCKED")


@pytest.mark.parametrize(
    ("codes", "coverage"),
    [
        (["410105"], ("410105",)),
        (["410105", "410102"], ("410100",)),
        (["410100", "410105"], ("410100",)),
        (["410105", "410302"], ("410000",)),
        (["410000", "410100", "410105"], ("410000",)),
        (["410105", "110101"], ("110000", "410000")),
        ([], ()),
    ],
)
def test_the_areas_a_list_covers(codes: list[str], coverage: tuple[str, ...]) -> None:
    assert covering_areas(codes) == coverage




def test_a_school_list_file_with_the_national_systems_headers() -> None:
    data = xlsx([
        ["学校名录（2026 年秋）"],
        ["学校标识码*", "学校名称", "办学类型", "办学性质", "所在地行政区划代码", "学籍主管部门代码", "备注"],
        [2141010599, "金水区测试小学", "小学", "公办", 410105, None, "新建"],
        ["2141010598", "郑州市测试特教学校", "特殊教育学校", "公办", "410102", "410100", None],
    ])
    rows = read_school_list(data)
    assert rows == [
        SchoolRow(3, "2141010599", "金水区测试小学", "小学", "公办", "410105", ""),
        SchoolRow(4, "2141010598", "郑州市测试特教学校", "特殊教育学校", "公办", "410102", "410100"),
    ]


def test_a_school_list_in_english_headers_and_gb18030_csv() -> None:
    text = "School code,Name,Kind,Ownership,Area code\r\n2141010599,测试初中,初级中学,民办,410105\r\n"
    (only,) = read_school_list(text.encode("gb18030"))
    assert (only.kind, only.ownership, only.supervisor_code) == ("初级中学", "民办", "")


def test_a_gbt_2260_list_file() -> None:
    data = "行政区划代码,单位名称\n410000,河南省\n410100,郑州市\n410105,金水区\n".encode()
    assert read_area_list(data) == [AreaRow(2, "410000", "河南省"), AreaRow(3, "410100", "郑州市"), AreaRow(4, "410105", "金水区")]


def test_a_list_without_a_required_column_is_refused_whole() -> None:
    with pytest.raises(DomainError) as e:
        read_school_list("学校标识码,学校名称,办学类型,所在地行政区划代码\n2141010599,x,小学,410105\n".encode())
    assert (e.value.code, e.value.field) == ("SPREADSHEET_COLUMNS", "ownership")


def test_row_problems_carry_the_errors_code() -> None:
    assert RowProblem.of(DomainError("x", "m", "UNKNOWN_AREA"), "areaCode") == RowProblem("areaCode", "UNKNOWN_AREA", "m")
