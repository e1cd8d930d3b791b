"""Areas and schools: the administrative tree of R-A1..R-A3 (Art. 2, 3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import DomainError
from domain.text import ascii_pattern, identifier

_AREA_CODE = ascii_pattern(r"[1-9][0-9]{5}")
_SCHOOL_CODE = ascii_pattern(r"[0-9]{10}")


class AreaLevel(StrEnum):
    PROVINCE = "PROVINCE"
    CITY = "CITY"  # 省辖市 (prefecture-level city)
    COUNTY = "COUNTY"  # 县 / 县级市 / 市辖区


class SchoolKind(StrEnum):
    """Art. 2: the schools these rules apply to (R-A3)."""

    PRIMARY = "PRIMARY"  # 小学
    JUNIOR_SECONDARY = "JUNIOR_SECONDARY"  # 初级中学
    NINE_YEAR = "NINE_YEAR"  # 九年一贯制学校
    TWELVE_YEAR = "TWELVE_YEAR"  # 十二年一贯制学校
    SPECIAL_EDUCATION = "SPECIAL_EDUCATION"  # 特殊教育学校
    WORK_STUDY = "WORK_STUDY"  # 工读学校


class Ownership(StrEnum):
    PUBLIC = "PUBLIC"  # 公办
    PRIVATE = "PRIVATE"  # 民办


def validate_area_code(code: str, field: str = "code") -> str:
    """A 6-digit GB/T 2260 administrative division code, normalised (domain/text.py)."""
    code = identifier(code)
    if not _AREA_CODE.fullmatch(code):
        raise DomainError(field, "an area code is 6 digits (GB/T 2260)", "INVALID_AREA_CODE")
    return code


def validate_school_code(code: str, field: str = "code") -> str:
    """The 10-digit school identifier (学校标识码), normalised (domain/text.py)."""
    code = identifier(code)
    if not _SCHOOL_CODE.fullmatch(code):
        raise DomainError(field, "a school identifier is 10 digits (学校标识码)", "INVALID_SCHOOL_CODE")
    return code


def area_level(code: str) -> AreaLevel:
    code = validate_area_code(code)
    if code.endswith("0000"):
        return AreaLevel.PROVINCE
    if code.endswith("00"):
        return AreaLevel.CITY
    return AreaLevel.COUNTY


def area_ancestors(code: str) -> list[str]:
    """The codes above an area, nearest first (county → city → province)."""
    code = validate_area_code(code)
    level = area_level(code)
    if level is AreaLevel.PROVINCE:
        return []
    province = code[:2] + "0000"
    if level is AreaLevel.CITY:
        return [province]
    return [code[:4] + "00", province]


def area_lineage(code: str) -> list[str]:
    """The area itself and every area above it."""
    return [code, *area_ancestors(code)]


@dataclass(frozen=True)
class Area:
    code: str
    name: str

    @property
    def level(self) -> AreaLevel:
        return area_level(self.code)

    @property
    def parent_code(self) -> str | None:
        ancestors = area_ancestors(self.code)
        return ancestors[0] if ancestors else None


@dataclass(frozen=True)
class School:
    """A school. `supervisor_code` is the area whose education department is its
    学籍主管部门 (R-A2): its county by default, a city or the province for 直管学校 (Art. 3)."""

    code: str
    name: str
    kind: SchoolKind
    ownership: Ownership
    area_code: str  # the county the school is located in
    supervisor_code: str
    address: str | None = None
    phone: str | None = None
    paper_archive_location: str | None = None  # Art. 9: where the paper files are kept
    closed: str | None = None  # MERGED or CLOSED (Art. 19): its archive was handed over (domain/school_handover.py)

    def __post_init__(self) -> None:
        if validate_school_code(self.code) != self.code:
            raise DomainError("code", "a school identifier is stored in its normalised ASCII form", "INVALID_SCHOOL_CODE")
        if area_level(self.area_code) is not AreaLevel.COUNTY:
            raise DomainError("areaCode", "a school is located in a county-level area", "INVALID_AREA_CODE")
        if self.supervisor_code not in area_lineage(self.area_code):
            raise DomainError(
                "supervisorCode",
                "the supervising department is the school's county, its city or its province (Art. 3)",
                "INVALID_SUPERVISOR",
            )

    @property
    def city_code(self) -> str:
        return self.area_code[:4] + "00"

    @property
    def province_code(self) -> str:
        return self.area_code[:2] + "0000"

    @property
    def directly_managed(self) -> bool:
        """直管学校: supervised by a city or the province instead of its county."""
        return self.supervisor_code != self.area_code
