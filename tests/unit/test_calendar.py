"""Working days with China's statutory holidays and 调休 (Art. 11(3), 16)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.calendar import WorkingCalendar, check_override
from domain.errors import DomainError

CAL = WorkingCalendar()


def test_2026_national_day_and_its_make_up_days() -> None:
    for day in range(1, 8):
        assert not CAL.is_working_day(date(2026, 10, day)), f"Oct {day} is a day off"
    assert CAL.is_working_day(date(2026, 9, 20))  # a Sunday worked to make up for Oct 6
    assert CAL.is_working_day(date(2026, 10, 10))  # a Saturday worked to make up for Oct 7
    assert not CAL.is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert CAL.is_working_day(date(2026, 10, 8))


def test_ten_working_days_across_national_day() -> None:
    # From Monday 28 September: 29, 30 Sep; (1-7 Oct off); 8, 9, Sat 10 (调休), 12, 13, 14, 15, 16 Oct.
    deadline = CAL.add_working_days(date(2026, 9, 28), 10)
    assert deadline.due == date(2026, 10, 16) and deadline.provisional is False
    assert CAL.working_days_between(date(2026, 9, 28), date(2026, 10, 16)) == 10
    # without the make-up Saturday it would have been the 19th
    naive = date(2026, 9, 28)
    counted = 0
    while counted < 10:
        naive += timedelta(days=1)
        counted += naive.weekday() < 5 and not (date(2026, 10, 1) <= naive <= date(2026, 10, 7))
    assert naive == date(2026, 10, 19)


def test_spring_festival_2026() -> None:
    assert not CAL.is_working_day(date(2026, 2, 17))
    assert CAL.is_working_day(date(2026, 2, 14))  # Saturday 调休
    assert CAL.is_working_day(date(2026, 2, 28))


def test_unpublished_years_are_provisional_until_an_override_is_recorded() -> None:
    assert not CAL.schedule(2027).published
    assert CAL.add_working_days(date(2026, 12, 24), 10).provisional is True
    assert CAL.add_working_days(date(2026, 12, 1), 10).provisional is False
    override = check_override(2027, [date(2027, 1, 1), date(2027, 1, 4)], [date(2027, 1, 9)])
    published = WorkingCalendar([override])
    d = published.add_working_days(date(2026, 12, 24), 10)
    assert d.provisional is False
    assert not published.is_working_day(date(2027, 1, 4)) and published.is_working_day(date(2027, 1, 9))


@pytest.mark.parametrize(
    ("off", "work"),
    [([date(2028, 1, 1)], []), ([date(2027, 1, 1)], [date(2027, 1, 1)]), ([], [date(2027, 1, 5)])],
    ids=["other-year", "both", "weekday-workday"],
)
def test_override_must_be_coherent(off: list[date], work: list[date]) -> None:
    with pytest.raises(DomainError):
        check_override(2027, off, work)
