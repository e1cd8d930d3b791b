"""The student dossier (学籍档案, Art. 6): one per person for life.

Basic data, family, auxiliary flags and school status live in the dossier; the other
archive sections (Art. 6 (2)-(6)) are entries validated against versioned schemas
(`domain/sections.py`), and every change to basic data is kept in the history (Art. 6 (1))."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain import codes
from domain.error_codes import declared
from domain.errors import DomainError
from domain.identity import ID_AGREEMENT_CODES, IdDocument, Sex, check_agrees
from domain.text import ONE_LINE, TEXT_CODES, ascii_pattern, clean_text, identifier, optional_text

# Matched whole (`fullmatch`): a pattern ending in `$` would accept a trailing newline.
_NAME = re.compile(r"[\u3400-\u9fff\u00b7·A-Za-z .'-]{1,50}", re.ASCII)
_PINYIN = ascii_pattern(r"[A-Za-z ]{1,80}")
_PHONE = ascii_pattern(r"[0-9+\- ]{5,20}")
_COUNTRY = ascii_pattern(r"[A-Z]{3}")
_DIVISION = ascii_pattern(r"[1-9][0-9]{5}")
CLASS_NAME_MAX = 20
EMPLOYER_MAX = 100


class StudentState(StrEnum):
    """School status (学籍状态). There is no expelled state: Art. 14 forbids expulsion."""

    ENROLLED = "ENROLLED"  # 在读
    SUSPENDED = "SUSPENDED"  # 休学 (Art. 13), status kept
    ABROAD = "ABROAD"  # 出境就读 (Art. 13(4)), status kept
    DROPPED_OUT = "DROPPED_OUT"  # 辍学, reported; status kept (Art. 14)
    GRADUATED = "GRADUATED"
    DECEASED = "DECEASED"  # 注销 (Art. 16)


class Verification(StrEnum):
    """核准 by the supervising department (Art. 6)."""

    UNVERIFIED = "UNVERIFIED"
    VERIFIED = "VERIFIED"
    RETURNED = "RETURNED"


@dataclass(frozen=True)
class BasicData:
    name: str
    sex: Sex
    birth_date: date
    former_name: str | None = None
    name_pinyin: str | None = None
    birth_place: str | None = None  # 出生地, division code
    native_place: str | None = None  # 籍贯
    ethnicity: str | None = None  # GB/T 3304
    nationality: str = "CHN"  # ISO 3166-1 alpha-3
    overseas_status: str = "00"  # 港澳台侨外
    health: str | None = None  # GB/T 2261.3
    household_place: str | None = None  # 户口所在地, division code
    household_kind: str | None = None  # 户口性质
    address: str | None = None  # 现住址
    residence_address: str | None = None  # 家庭住址 / 通信地址
    phone: str | None = None


# Key data: changed after verification only through an Art. 10 correction.
KEY_FIELDS = ("name", "sex", "birth_date", "former_name")


@dataclass(frozen=True)
class Guardian:
    name: str
    relation: str  # GB/T 4761
    is_guardian: bool
    id_document: IdDocument | None = None
    phone: str | None = None
    employer: str | None = None


@dataclass(frozen=True)
class Flags:
    """Auxiliary data of the national student record."""

    only_child: bool = False  # 独生子女
    preschool: bool = False  # 受过学前教育
    left_behind: str = "0"  # 留守儿童 0/1/2
    migrant_child: bool = False  # 进城务工人员随迁子女 (Art. 14: end-of-term handover if dropping out)
    orphan: bool = False  # 孤儿
    martyr_child: bool = False  # 烈士或优抚子女
    inclusive_education: bool = False  # 随班就读 (Art. 8, 12)
    disability: str | None = None  # 残疾类型, required with 随班就读 or 送教上门
    home_teaching: bool = False  # 送教上门 (Art. 8)


@dataclass(frozen=True)
class SchoolStatus:
    school_code: str
    grade: int
    class_name: str
    entry_date: date
    entry_way: str
    study_mode: str
    state: StudentState = StudentState.ENROLLED


@dataclass(frozen=True)
class Dossier:
    id: str
    number: str  # the current student number
    aliases: tuple[str, ...]  # earlier numbers, which still find the dossier
    id_document: IdDocument
    basic: BasicData
    guardians: tuple[Guardian, ...]
    flags: Flags
    status: SchoolStatus
    verification: Verification = Verification.UNVERIFIED
    verification_note: str | None = None
    age_exception: str = "NONE"
    age_approval_reference: str | None = None
    complete_by: date | None = None
    open_business: str | None = None  # id of the open correction / case, if any
    open_business_since: datetime | None = None
    created_at: datetime | None = None
    version: int = 1
    # what the status workflows (Art. 11-16) record
    former_school_codes: tuple[str, ...] = ()  # they keep a read-only copy (Art. 19)
    attending_school_code: str | None = None  # attends elsewhere, status kept here (Art. 12)
    suspension_until: date | None = None
    suspension_grounds: str | None = None
    sanction_until: date | None = None  # 受处分期间: no transfer (Art. 11(4))
    missing: bool = False  # reported missing or detained: status never cancelled (Art. 16)
    skipped_grades: tuple[int, ...] = ()  # counted as completed (Art. 15)
    # the year-end change (Art. 17, domain/promotion.py)
    graduated_on: date | None = None
    year_end_plan: str | None = None  # the last year-end plan that moved the student


def _text(field_name: str, value: str | None, pattern: re.Pattern[str], what: str) -> None:
    if value is not None and not pattern.fullmatch(value):
        raise DomainError(field_name, what, "INVALID_VALUE")


def _code(value: str | None) -> str | None:
    """Codes and division codes as typed: full-width digits become ASCII (domain/text.py)."""
    return identifier(value) if value is not None else None


def normalised_basic(b: BasicData) -> BasicData:
    """Basic data as entered, in its one spelling: names and addresses NFC and stripped,
    codes, phone and division codes normalised. Control characters are refused here."""
    return replace(
        b,
        name=clean_text("basic.name", b.name, max_length=ONE_LINE),
        former_name=optional_text("basic.formerName", b.former_name),
        name_pinyin=optional_text("basic.namePinyin", b.name_pinyin),
        birth_place=_code(b.birth_place),
        native_place=_code(b.native_place),
        ethnicity=_code(b.ethnicity),
        nationality=identifier(b.nationality),
        overseas_status=identifier(b.overseas_status),
        health=_code(b.health),
        household_place=_code(b.household_place),
        household_kind=_code(b.household_kind),
        address=optional_text("basic.address", b.address),
        residence_address=optional_text("basic.residenceAddress", b.residence_address),
        phone=_code(b.phone) or None,
    )


def normalised_guardian(g: Guardian, i: int) -> Guardian:
    return replace(
        g,
        name=clean_text(f"guardians.{i}.name", g.name),
        relation=identifier(g.relation),
        phone=_code(g.phone) or None,
        employer=optional_text(f"guardians.{i}.employer", g.employer, max_length=EMPLOYER_MAX),
    )


def normalised_flags(f: Flags) -> Flags:
    return replace(f, left_behind=identifier(f.left_behind), disability=_code(f.disability) or None)


def normalised_class_name(value: str, field: str = "className") -> str:
    return clean_text(field, value, max_length=CLASS_NAME_MAX)


def _free_text(field_name: str, value: str | None, max_length: int) -> None:
    """Stored free text is what `clean_text` makes of it: no control characters, limited."""
    if value is not None and clean_text(field_name, value, max_length=max_length) != value:
        raise DomainError(field_name, "surrounding spaces or an unnormalised form", "INVALID_VALUE")


def check_basic(basic: BasicData) -> None:
    _text("basic.name", basic.name, _NAME, "a name is 1-50 Chinese characters or letters")
    _text("basic.formerName", basic.former_name, _NAME, "a former name is 1-50 Chinese characters or letters")
    _text("basic.namePinyin", basic.name_pinyin, _PINYIN, "pinyin is letters and spaces")
    _text("basic.phone", basic.phone, _PHONE, "a phone number is 5-20 digits")
    _text("basic.nationality", basic.nationality, _COUNTRY, "nationality is a 3-letter ISO 3166 code")
    _text("basic.birthPlace", basic.birth_place, _DIVISION, "a 6-digit division code")
    _text("basic.nativePlace", basic.native_place, _DIVISION, "a 6-digit division code")
    _text("basic.householdPlace", basic.household_place, _DIVISION, "a 6-digit division code")
    if basic.birth_date > date.today():
        raise DomainError("basic.birthDate", "the birth date is in the future", "INVALID_VALUE")
    codes.ETHNICITY.check("basic.ethnicity", basic.ethnicity)
    codes.OVERSEAS_STATUS.check("basic.overseasStatus", basic.overseas_status)
    codes.HEALTH.check("basic.health", basic.health)
    codes.HOUSEHOLD_KIND.check("basic.householdKind", basic.household_kind)
    _free_text("basic.address", basic.address, ONE_LINE)
    _free_text("basic.residenceAddress", basic.residence_address, ONE_LINE)


def check_guardians(guardians: tuple[Guardian, ...]) -> None:
    if len(guardians) > 10:
        raise DomainError("guardians", "at most 10 family members", "INVALID_VALUE")
    for i, g in enumerate(guardians):
        _text(f"guardians.{i}.name", g.name, _NAME, "a name is 1-50 Chinese characters or letters")
        _text(f"guardians.{i}.phone", g.phone, _PHONE, "a phone number is 5-20 digits")
        _free_text(f"guardians.{i}.employer", g.employer, EMPLOYER_MAX)
        codes.RELATION.check(f"guardians.{i}.relation", g.relation)


def check_flags(flags: Flags) -> None:
    codes.LEFT_BEHIND.check("flags.leftBehind", flags.left_behind)
    codes.DISABILITY.check("flags.disability", flags.disability)
    if (flags.inclusive_education or flags.home_teaching) and flags.disability is None:
        raise DomainError(
            "flags.disability", "随班就读 and 送教上门 students have a disability type (Art. 8)", "DISABILITY_REQUIRED"
        )


def check_status(status: SchoolStatus) -> None:
    codes.ENTRY_WAY.check("status.entryWay", status.entry_way)
    codes.STUDY_MODE.check("status.studyMode", status.study_mode)
    if not status.class_name.strip() or len(status.class_name) > CLASS_NAME_MAX:
        raise DomainError("status.className", f"a class name of 1-{CLASS_NAME_MAX} characters", "INVALID_VALUE")
    _free_text("status.className", status.class_name, CLASS_NAME_MAX)


DOSSIER_CODES = declared(*TEXT_CODES, *codes.CODE_TABLE_CODES, *ID_AGREEMENT_CODES, "DISABILITY_REQUIRED")  # `check_dossier`


def check_dossier(d: Dossier) -> None:
    """Everything a dossier must satisfy whenever it is written."""
    check_basic(d.basic)
    check_agrees(d.id_document, d.basic.birth_date, d.basic.sex)
    check_guardians(d.guardians)
    check_flags(d.flags)
    check_status(d.status)


# Art. 6: the dossier is complete when these are filled (one month after enrolment).
COMPLETENESS: tuple[tuple[str, str], ...] = (
    ("basic.birthPlace", "birth_place"),
    ("basic.nativePlace", "native_place"),
    ("basic.ethnicity", "ethnicity"),
    ("basic.health", "health"),
    ("basic.householdPlace", "household_place"),
    ("basic.householdKind", "household_kind"),
    ("basic.address", "address"),
)


def missing_fields(d: Dossier) -> list[str]:
    missing = [label for label, attr in COMPLETENESS if getattr(d.basic, attr) in (None, "")]
    if not any(g.is_guardian for g in d.guardians):
        missing.append("guardians")
    return missing


def basic_changes(before: BasicData, after: BasicData) -> dict[str, tuple[Any, Any]]:
    """Field → (old, new) for every basic-data field that differs."""
    return {
        f.name: (getattr(before, f.name), getattr(after, f.name))
        for f in fields(BasicData)
        if getattr(before, f.name) != getattr(after, f.name)
    }


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: shown for people outside the caller's scope."""
    return name[:1] + "*" * max(len(name) - 1, 1)


def mask_text(value: str | None, keep: int = 3) -> str | None:
    if value is None:
        return None
    return value[:keep] + "*" * max(len(value) - keep, 0)

