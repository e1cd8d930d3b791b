"""Chinese working days (Art. 11(3), 16: deadlines in 工作日).

Statutory holidays and make-up working days (调休) come from the `holidays` package for
the years whose State Council schedule it carries; an admin adds or corrects a year in the
override table (MongoDB, `calendar_years`) when a schedule is published. A deadline that
runs through a year with no published schedule is computed on weekends alone and marked
provisional."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import holidays
from holidays.countries.china import ChinaStaticHolidays

from domain.errors import DomainError


# The years a schedule is kept for: deadlines of today's and past cases, with room ahead.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError("year", f"the year must be between {FIRST_YEAR} and {LAST_YEAR}", "INVALID_VALUE")
    return year


@dataclass(frozen=True)
class YearSchedule:
    """One year's days off and make-up working days."""

    year: int
    days_off: frozenset[date]
    workdays: frozenset[date]  # weekend days that are working days (调休)
    published: bool
    source: str  # "holidays package" or "override"


@dataclass(frozen=True)
class Deadline:
    due: date
    provisional: bool  # some day counted lies in a year without a published schedule


def package_schedule(year: int) -> YearSchedule:
    cn = holidays.country_holidays("CN", years=year)
    published = year in ChinaStaticHolidays.special_public_holidays
    return YearSchedule(
        year=year,
        days_off=frozenset(d for d in cn if d.year == year),
        workdays=frozenset(d for d in cn.weekend_workdays if d.year == year),
        published=published,
        source="holidays package",
    )


def check_override(year: int, days_off: Iterable[date], workdays: Iterable[date]) -> YearSchedule:
    check_year(year)
    off, work = frozenset(days_off), frozenset(workdays)
    for d in off | work:
        if d.year != year:
            raise DomainError("days", f"{d.isoformat()} is not in {year}", "INVALID_VALUE")
    if off & work:
        raise DomainError("days", "a day cannot be both a day off and a working day", "INVALID_VALUE")
    for d in work:
        if d.weekday() < 5:
            raise DomainError("workdays", f"{d.isoformat()} is a weekday already; 调休 days are weekends", "INVALID_VALUE")
    return YearSchedule(year, off, work, True, "override")


class WorkingCalendar:
    """Answers whether a day is a working day and when N working days have passed."""

    def __init__(self, overrides: Iterable[YearSchedule] = ()) -> None:
        self._years: dict[int, YearSchedule] = {o.year: o for o in overrides}

    def schedule(self, year: int) -> YearSchedule:
        if year not in self._years:
            self._years[year] = package_schedule(year)
        return self._years[year]

    def is_working_day(self, day: date) -> bool:
        s = self.schedule(day.year)
        if day in s.workdays:
            return True
        return day.weekday() < 5 and day not in s.days_off

    def add_working_days(self, start: date, days: int) -> Deadline:
        """The day on which `days` working days after `start` have passed (the start day
        itself is not counted: a step received on Monday with 1 day is due Tuesday)."""
        if days < 1:
            raise ValueError("days must be positive")
        day, counted, provisional = start, 0, False
        while counted < days:
            day += timedelta(days=1)
            provisional = provisional or not self.schedule(day.year).published
            if self.is_working_day(day):
                counted += 1
        return Deadline(day, provisional)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count
