"""Bulk intake of new entrants from a spreadsheet (Art. 5, 6): the template's columns, the
text-to-value parsing of a cell, and what became of each row. The rules that decide whether
a row is enrolled are those of `enrollStudent` (application/students.py `enrol`), applied to
each row; nothing here repeats them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from domain import codes
from domain.codes import CodeTable
from domain.identity import IdDocKind
from domain.tables import Column

MAX_ROWS = 5_000  # a county's whole grade-1 intake of one school fits; larger files are split


class IntakeOutcome(StrEnum):
    ENROLLED = "ENROLLED"  # a new dossier, with its student number
    ALREADY_ENROLLED = "ALREADY_ENROLLED"  # the row names a dossier this school already has; nothing changed
    REFUSED = "REFUSED"  # a value or a rule refused the row; nothing changed
    NEEDS_REVIEW = "NEEDS_REVIEW"  # possible duplicates; enrol it by hand or confirm in the file


class IntakeState(StrEnum):
    RUNNING = "RUNNING"
    DONE = "DONE"
    STOPPED = "STOPPED"  # its account was disabled meanwhile: rows left are not processed


@dataclass(frozen=True)
class RowProblem:
    column: str | None  # the column key (see INTAKE_COLUMNS), None for the row as a whole
    code: str
    message: str


@dataclass(frozen=True)
class IntakeJob:
    """One uploaded file for one school. Its id is the school and the file's SHA-256, so the
    same file uploaded again is the same job and enrols nothing twice."""

    id: str
    school_code: str
    file_name: str
    file_sha256: str
    created_by: str
    created_at: datetime
    total: int
    state: IntakeState = IntakeState.RUNNING
    finished_at: datetime | None = None

    @staticmethod
    def id_of(school_code: str, file_sha256: str) -> str:
        return f"{school_code}:{file_sha256}"


@dataclass(frozen=True)
class IntakeResult:
    job_id: str
    row: int  # the row number the spreadsheet shows
    outcome: IntakeOutcome
    number: str | None = None  # the student number (ENROLLED, ALREADY_ENROLLED)
    problems: tuple[RowProblem, ...] = ()
    candidates: tuple[str, ...] = ()  # NEEDS_REVIEW: the possible duplicates, as the caller may see them


def _c(key: str, *headers: str, required: bool = False) -> Column:
    return Column(key, headers, required)


# The template's columns, in its order. Chinese headers as registrars know them from the
# national student record; each has an English alternative. `*` marks required columns.
INTAKE_COLUMNS: tuple[Column, ...] = (
    _c("number", "学籍号", "Student number"),
    _c("name", "姓名", "Name", required=True),
    _c("sex", "性别", "Sex", required=True),
    _c("birth_date", "出生日期", "Birth date", required=True),
    _c("id_kind", "身份证件类型", "ID kind"),
    _c("id_number", "身份证件号", "ID number"),
    _c("id_country", "发证国家", "ID country"),
    _c("former_name", "曾用名", "Former name"),
    _c("name_pinyin", "姓名拼音", "Name pinyin"),
    _c("ethnicity", "民族", "Ethnicity"),
    _c("nationality", "国籍/地区", "国籍", "Nationality"),
    _c("overseas_status", "港澳台侨外", "Overseas status"),
    _c("birth_place", "出生地", "Birth place"),
    _c("native_place", "籍贯", "Native place"),
    _c("household_place", "户口所在地", "Household place"),
    _c("household_kind", "户口性质", "Household kind"),
    _c("health", "健康状况", "Health"),
    _c("address", "现住址", "Address"),
    _c("residence_address", "家庭住址", "Residence address"),
    _c("phone", "联系电话", "Phone"),
    _c("grade", "年级", "Grade", required=True),
    _c("class_name", "班级", "Class", required=True),
    _c("entry_date", "入学日期", "Entry date", required=True),
    _c("entry_way", "入学方式", "Entry way", required=True),
    _c("study_mode", "就读方式", "Study mode", required=True),
    _c("age_approval_reference", "年龄审批文号", "Age approval reference"),
    _c("guardian1_name", "监护人姓名", "Guardian name"),
    _c("guardian1_relation", "监护人关系", "Guardian relation"),
    _c("guardian1_id_kind", "监护人身份证件类型", "Guardian ID kind"),
    _c("guardian1_id_number", "监护人身份证件号", "Guardian ID number"),
    _c("guardian1_phone", "监护人联系电话", "Guardian phone"),
    _c("guardian1_employer", "监护人工作单位", "Guardian employer"),
    _c("guardian2_name", "家庭成员姓名", "Member name"),
    _c("guardian2_relation", "家庭成员关系", "Member relation"),
    _c("guardian2_is_guardian", "家庭成员是否监护人", "Member is guardian"),
    _c("guardian2_id_kind", "家庭成员身份证件类型", "Member ID kind"),
    _c("guardian2_id_number", "家庭成员身份证件号", "Member ID number"),
    _c("guardian2_phone", "家庭成员联系电话", "Member phone"),
    _c("guardian2_employer", "家庭成员工作单位", "Member employer"),
    _c("only_child", "是否独生子女", "Only child"),
    _c("preschool", "是否受过学前教育", "Preschool"),
    _c("left_behind", "留守儿童", "Left behind"),
    _c("migrant_child", "是否进城务工人员随迁子女", "Migrant child"),
    _c("orphan", "是否孤儿", "Orphan"),
    _c("martyr_child", "是否烈士或优抚子女", "Martyr child"),
    _c("inclusive_education", "是否随班就读", "Inclusive education"),
    _c("disability", "残疾类型", "Disability"),
    _c("home_teaching", "是否送教上门", "Home teaching"),
    _c("confirm_not_duplicate", "确认非重复", "Confirm not duplicate"),
)
COLUMN_HEADER = {c.key: c.headers[0] for c in INTAKE_COLUMNS}

ID_KIND_NAMES: dict[str, IdDocKind] = {
    "居民身份证": IdDocKind.RESIDENT_ID,
    "身份证": IdDocKind.RESIDENT_ID,
    "港澳台居民居住证": IdDocKind.HK_MACAO_TAIWAN_RESIDENCE_PERMIT,
    "港澳居民来往内地通行证": IdDocKind.HK_MACAO_TRAVEL_PERMIT,
    "台湾居民来往大陆通行证": IdDocKind.TAIWAN_TRAVEL_PERMIT,
    "护照": IdDocKind.PASSPORT,
    "外国人永久居留身份证": IdDocKind.FOREIGNER_PERMANENT_RESIDENCE,
    "无": IdDocKind.NONE_YET,
    "暂无": IdDocKind.NONE_YET,
}
_YES = frozenset({"是", "1", "Y", "YES", "TRUE", "√"})
_NO = frozenset({"否", "0", "N", "NO", "FALSE", ""})
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_GRADE_NAMES = {name: i for i, name in enumerate("一二三四五六七八九", start=1)}


class CellError(ValueError):
    """A cell's text is not a value of its column; the message says what is expected."""


def parse_date(text: str) -> date:
    m = _DATE.fullmatch(text.strip()) or _COMPACT_DATE.fullmatch(text.strip())
    if m is None:
        raise CellError("expected a date such as 2019-09-01")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise CellError("not a real date") from None


def parse_yes_no(text: str) -> bool:
    value = text.strip().upper()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise CellError("expected 是 or 否")


def parse_grade(text: str) -> int:
    value = text.strip().removesuffix("年级")
    if value in _GRADE_NAMES:
        return _GRADE_NAMES[value]
    if value.isascii() and value.isdigit():
        return int(value)
    raise CellError("expected a grade 1-9 (or 一年级 …)")


def parse_code(table: CodeTable, text: str) -> str:
    """A code of `table` given as its code or as its label (汉族 or 01)."""
    value = text.strip()
    if table.label(value) is not None:
        return value
    by_label = {label: code for code, label in table.entries}
    if value in by_label:
        return by_label[value]
    if value.isdigit() and len(value) == 1 and table.label("0" + value) is not None:
        return "0" + value  # a spreadsheet dropped the leading zero of 01
    raise CellError(f"not a code or name of {table.name} ({table.standard})")


def parse_id_kind(text: str) -> IdDocKind:
    value = text.strip()
    if not value:
        return IdDocKind.RESIDENT_ID
    if value in ID_KIND_NAMES:
        return ID_KIND_NAMES[value]
    try:
        return IdDocKind(value.upper())
    except ValueError:
        raise CellError("expected 居民身份证, 护照, 港澳台居民居住证, … or 无") from None


SEX_TABLE = codes.SEX
