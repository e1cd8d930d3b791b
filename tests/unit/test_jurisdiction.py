from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.jurisdiction import AreaLevel, Ownership, School, SchoolKind, area_ancestors, area_level


@pytest.mark.parametrize(
    ("code", "level", "ancestors"),
    [
        ("410000", AreaLevel.PROVINCE, []),
        ("410100", AreaLevel.CITY, ["410000"]),
        ("410105", AreaLevel.COUNTY, ["410100", "410000"]),
        ("410781", AreaLevel.COUNTY, ["410700", "410000"]),
    ],
)
def test_area_levels_and_ancestors(code: str, level: AreaLevel, ancestors: list[str]) -> None:
    assert area_level(code) is level
    assert area_ancestors(code) == ancestors


@pytest.mark.parametrize("code", ["41010", "4101050", "41010a", "010105", ""])
def test_area_codes_are_six_digits(code: str) -> None:
    with pytest.raises(DomainError) as e:
        area_level(code)
    assert e.value.code == "INVALID_AREA_CODE"


def _school(**over: str) -> School:
    values = {"code": "2141010501", "area_code": "410105", "supervisor_code": "410105", **over}
    return School(name="x", kind=SchoolKind.PRIMARY, ownership=Ownership.PUBLIC, **values)


def test_school_supervisor_is_its_county_city_or_province() -> None:
    assert not _school().directly_managed
    assert _school(supervisor_code="410100").directly_managed  # 直管学校 of the city
    assert _school(supervisor_code="410000").directly_managed
    with pytest.raises(DomainError) as e:
        _school(supervisor_code="410300")  # another city
    assert e.value.code == "INVALID_SUPERVISOR"
    with pytest.raises(DomainError) as e:
        _school(supervisor_code="410102")  # a neighbouring county
    assert e.value.code == "INVALID_SUPERVISOR"


def test_school_identifier_is_ten_digits_and_stands_in_a_county() -> None:
    with pytest.raises(DomainError) as e:
        _school(code="214101050")
    assert e.value.code == "INVALID_SCHOOL_CODE"
    with pytest.raises(DomainError) as e:
        _school(area_code="410100", supervisor_code="410100")
    assert e.value.code == "INVALID_AREA_CODE"
