"""The working-day calendar's published years: the admin records a year's holiday schedule
as the State Council publishes it, so that deadlines in that year stop being provisional."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from application.session import Session
from domain.access import ROLE_CODES, require_admin
from domain.calendar import OVERRIDE_CODES, YearSchedule, check_override
from domain.error_codes import declared

SET_CALENDAR_YEAR_CODES = declared(*ROLE_CODES, *OVERRIDE_CODES)


async def set_year(session: Session, year: int, days_off: Sequence[date], workdays: Sequence[date]) -> YearSchedule:
    require_admin(session.account)
    schedule = check_override(year, days_off, workdays)
    await session.stores.calendar.save(schedule, session.stamp())
    return schedule
