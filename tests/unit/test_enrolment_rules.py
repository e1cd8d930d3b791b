"""Art. 4 age rule, Art. 6 completeness deadline, Art. 7 student numbers, Art. 8 duplicates."""

from __future__ import annotations

from datetime import date

import pytest

from domain.duplicates import Probe, match_keys, pinyin_key, reasons
from domain.enrolment import (
    AgeException,
    check_grade,
    check_grade_one_age,
    completeness_deadline,
    grade_one_age_exception,
    intake_year_of,
)
from domain.errors import DomainError
from domain.identity import IdDocKind, Sex, parse_id_document
from domain.jurisdiction import SchoolKind
from domain.student_number import normalise_number, permanent_number, temporary_number, temporary_prefix


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        (date(2020, 8, 31), AgeException.NONE),  # six exactly on 31 August: in
        (date(2020, 9, 1), AgeException.UNDER_AGE),  # one day too young
        (date(2019, 9, 1), AgeException.NONE),  # still six on 31 August
        (date(2019, 8, 31), AgeException.DEFERRED),  # seven on 31 August
        (date(2018, 1, 1), AgeException.DEFERRED),
    ],
)
def test_grade_one_age_on_31_august(birth: date, expected: AgeException) -> None:
    assert grade_one_age_exception(birth, 2026) is expected


def test_exceptions_need_an_approval_reference() -> None:
    with pytest.raises(DomainError) as e:
        check_grade_one_age(date(2020, 9, 1), 2026, None)
    assert e.value.code == "UNDER_AGE_APPROVAL_REQUIRED"
    with pytest.raises(DomainError) as e:
        check_grade_one_age(date(2019, 8, 31), 2026, None)
    assert e.value.code == "DEFERRAL_APPROVAL_REQUIRED"
    assert check_grade_one_age(date(2019, 8, 31), 2026, "金教〔2026〕12号") is AgeException.DEFERRED


def test_intake_year_is_the_autumn_of_entry() -> None:
    assert intake_year_of(date(2026, 9, 1)) == 2026
    assert intake_year_of(date(2027, 3, 1)) == 2026


@pytest.mark.parametrize(
    ("entry", "intake"),
    [
        (date(2026, 8, 25), 2026),  # registration before the autumn term: that autumn
        (date(2026, 8, 31), 2026),
        (date(2026, 7, 15), 2026),
        (date(2026, 6, 1), 2026),  # the summer registration opens
        (date(2026, 5, 31), 2025),  # a late entry into the intake of the autumn before
        (date(2026, 1, 1), 2025),
        (date(2025, 12, 31), 2025),
    ],
)
def test_intake_year_at_the_boundaries(entry: date, intake: int) -> None:
    assert intake_year_of(entry) == intake


def test_a_child_registered_in_late_august_is_judged_against_that_31_august() -> None:
    # six on 31 August 2026: registered on 25 August 2026, a regular entry, not a deferral
    born = date(2020, 5, 5)
    assert check_grade_one_age(born, intake_year_of(date(2026, 8, 25)), None) is AgeException.NONE


def test_completeness_deadline_is_one_calendar_month() -> None:
    assert completeness_deadline(date(2026, 9, 1)) == date(2026, 10, 1)
    assert completeness_deadline(date(2026, 1, 31)) == date(2026, 2, 28)
    assert completeness_deadline(date(2026, 12, 15)) == date(2027, 1, 15)


def test_grades_offered_by_kind() -> None:
    check_grade(SchoolKind.PRIMARY, 1)
    check_grade(SchoolKind.JUNIOR_SECONDARY, 7)
    for kind, grade in ((SchoolKind.PRIMARY, 7), (SchoolKind.JUNIOR_SECONDARY, 6), (SchoolKind.WORK_STUDY, 1)):
        with pytest.raises(DomainError) as e:
            check_grade(kind, grade)
        assert e.value.code == "GRADE_NOT_OFFERED"


def test_student_numbers() -> None:
    doc = parse_id_document(IdDocKind.RESIDENT_ID, "11010519491231002X")
    assert permanent_number(doc) == "G11010519491231002X"
    assert permanent_number(parse_id_document(IdDocKind.PASSPORT, "E1234567", "USA")) is None
    prefix = temporary_prefix("410105", date(2020, 3, 4))
    assert temporary_number(prefix, 7) == "L410105202003040007"
    assert normalise_number(" l410105202003040007 ") == "L410105202003040007"
    with pytest.raises(DomainError):
        temporary_number(prefix, 10000)
    with pytest.raises(DomainError):
        normalise_number("G123")


def test_duplicate_keys_catch_homophones_sex_typos_and_shared_guardians() -> None:
    born = date(2020, 3, 1)
    father = parse_id_document(IdDocKind.RESIDENT_ID, "440524188001010014")
    a = match_keys(Probe("张伟", born, Sex.MALE, (father,)))
    assert reasons(match_keys(Probe("张伟", born, Sex.MALE)), a)[0] == "SAME_NAME_BIRTH_DATE_SEX"
    assert reasons(match_keys(Probe("章伟", born, Sex.MALE)), a) == ["SAME_PINYIN_BIRTH_DATE_SEX", "SAME_PINYIN_BIRTH_DATE"]
    assert reasons(match_keys(Probe("张伟", born, Sex.FEMALE)), a) == ["SAME_PINYIN_BIRTH_DATE"]
    assert reasons(match_keys(Probe("李娜", date(2018, 1, 1), Sex.FEMALE, (father,))), a) == ["SHARED_GUARDIAN_ID"]
    assert reasons(match_keys(Probe("张伟", date(2020, 3, 2), Sex.MALE)), a) == []
    assert pinyin_key("欧阳 娜娜") == "ouyangnana"
