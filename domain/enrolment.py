"""Enrolment rules (Art. 4, 5, 6, 8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.error_codes import declared
from domain.errors import DomainError
from domain.jurisdiction import SchoolKind

INTAKE_CUTOFF = (8, 31)  # Art. 4: six years old on or before 31 August of the intake year
SCHOOL_AGE = 6
DEFERRED_AGE = 7
AGE_CODES = declared("UNDER_AGE_APPROVAL_REQUIRED", "DEFERRAL_APPROVAL_REQUIRED")  # `check_grade_one_age`
GRADE_CODES = declared("GRADE_NOT_OFFERED")  # `check_grade`


class AgeException(StrEnum):
    NONE = "NONE"
    DEFERRED = "DEFERRED"  # admitted at 7 or older: county-level approval (Art. 4)
    UNDER_AGE = "UNDER_AGE"  # under 6: approval of the supervising department (Art. 4)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def intake_cutoff(intake_year: int) -> date:
    return date(intake_year, *INTAKE_CUTOFF)


def grade_one_age_exception(birth: date, intake_year: int) -> AgeException:
    """Art. 4: a child six years old on or before 31 August enters grade 1 that autumn."""
    age = age_on(birth, intake_cutoff(intake_year))
    if age < SCHOOL_AGE:
        return AgeException.UNDER_AGE
    if age >= DEFERRED_AGE:
        return AgeException.DEFERRED
    return AgeException.NONE


def check_grade_one_age(birth: date, intake_year: int, approval_reference: str | None) -> AgeException:
    """Refuse a grade-1 intake outside the age rule unless an approval is referenced."""
    exception = grade_one_age_exception(birth, intake_year)
    if exception is AgeException.UNDER_AGE and not approval_reference:
        raise DomainError(
            "ageApprovalReference",
            f"the child is not yet 6 on 31 August {intake_year}; admitting a child under 6 needs the "
            "supervising department's approval (Art. 4)",
            "UNDER_AGE_APPROVAL_REQUIRED",
        )
    if exception is AgeException.DEFERRED and not approval_reference:
        raise DomainError(
            "ageApprovalReference",
            f"the child is already 7 on 31 August {intake_year}; deferred entry needs a county-level "
            "approval (Art. 4)",
            "DEFERRAL_APPROVAL_REQUIRED",
        )
    return exception


# Art. 4: 小学和初中均实行秋季招生、入学 — admission (招生) for the autumn comes before the
# term: registration for grade 1 runs through the summer, and a child registered then is
# judged against that year's 31 August. Nobody joins the first grade in the last weeks of
# a spring term, so from 1 June an entry date belongs to that year's autumn intake; from
# January to May it is a late entry into the intake of the autumn before.
AUTUMN_INTAKE_OPENS = (6, 1)


def intake_year_of(entry_date: date) -> int:
    """The autumn intake an entry date belongs to (Art. 4): from 1 June that year's, before
    it the previous year's (see AUTUMN_INTAKE_OPENS)."""
    return entry_date.year if (entry_date.month, entry_date.day) >= AUTUMN_INTAKE_OPENS else entry_date.year - 1


@dataclass(frozen=True)
class GradeRange:
    first: int
    last: int


# Grades 1-6 primary, 7-9 junior secondary (compulsory education only).
GRADES: dict[SchoolKind, GradeRange] = {
    SchoolKind.PRIMARY: GradeRange(1, 6),
    SchoolKind.JUNIOR_SECONDARY: GradeRange(7, 9),
    SchoolKind.NINE_YEAR: GradeRange(1, 9),
    SchoolKind.TWELVE_YEAR: GradeRange(1, 9),
    SchoolKind.SPECIAL_EDUCATION: GradeRange(1, 9),
    SchoolKind.WORK_STUDY: GradeRange(7, 9),
}


def check_grade(kind: SchoolKind, grade: int) -> None:
    allowed = GRADES[kind]
    if not allowed.first <= grade <= allowed.last:
        raise DomainError(
            "grade", f"a {kind.value.lower()} school has grades {allowed.first}-{allowed.last}", "GRADE_NOT_OFFERED"
        )


def admits_without_transfer(kind: SchoolKind) -> bool:
    """Art. 8: special-education and work-study schools (and regular schools taking special-
    education students 随班就读) may admit a student enrolled elsewhere without a transfer;
    the status itself stays where it is unless moved under Art. 12."""
    return kind in (SchoolKind.SPECIAL_EDUCATION, SchoolKind.WORK_STUDY)


def completeness_deadline(entry_date: date) -> date:
    """Art. 6: the dossier is established within one month of enrolment."""
    month = entry_date.month % 12 + 1
    year = entry_date.year + (entry_date.month == 12)
    for day in (entry_date.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover
