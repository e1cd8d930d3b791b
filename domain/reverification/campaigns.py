"""Term re-verification (复核, Art. 23): 省辖市、县（市、区）教育行政部门和学校应当每学期复核学生学籍
信息，确保学籍变动手续完备、学生基本信息和学籍变动信息准确.

A department opens a campaign for a term over the schools it supervises (学籍主管部门, Art. 3:
a county its schools, a city or the province its directly managed schools). Each school
confirms its roster, having flagged what is wrong (`discrepancies.py`); the department then
confirms each school's result or returns it. A step past its due date goes to the level
above, as a case step does (`domain.workflows.engine.level_above`): a school's to its
department (Art. 26: 由主管部门责令改正), a department's to the department above it (Art. 25).
Pure: callers load the facts and store the results."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from domain.accounts import Account
from domain.calendar import WorkingCalendar
from domain.dossier import Dossier, StudentState
from domain.error_codes import declared
from domain.errors import DomainError
from domain.reverification.records import (
    Campaign,
    CampaignState,
    ResultEvent,
    ResultState,
    RosterEntry,
    SchoolResult,
    campaign_id,
    result_id,
)
from domain.terms import Term, term_of
from domain.workflows.engine import Party, level_above

# The roster: every student whose status the school holds and has not ended. Attending
# (ENROLLED), or kept while away: SUSPENDED (Art. 13), ABROAD (Art. 13(4)), DROPPED_OUT
# (Art. 14: kept through the compulsory years, and the school works to bring the child
# back). The school answers for each of them every term, so each is confirmed. GRADUATED
# and DECEASED statuses have ended; there is nothing left to re-verify about them.
ROSTER_STATES = (StudentState.ENROLLED, StudentState.SUSPENDED, StudentState.ABROAD, StudentState.DROPPED_OUT)

# Default due dates, in working days (the department may set its own): the schools' from
# the opening, the department's from the schools'; a returned result gets at least
# RETURN_DAYS from its return.
SCHOOL_DAYS = 10
DEPARTMENT_DAYS = 10
RETURN_DAYS = 5


def on_roster(dossier: Dossier, school_code: str) -> bool:
    return dossier.status.school_code == school_code and dossier.status.state in ROSTER_STATES


def openable_terms(today: date) -> tuple[Term, Term]:
    """The current term and the one just ended: a campaign runs during its term or right
    after it (Art. 23: every term). Later terms have nothing to verify yet; an earlier one
    not re-verified stays a missed term on record, never back-filled."""
    current = term_of(today)
    return current, current.previous()


OPEN_CODES = declared("TERM_NOT_OPEN", "INVALID_VALUE", "NO_SCHOOLS")  # `open_campaign`


def open_campaign(
    account: Account,
    term: Term,
    school_codes: Sequence[str],
    *,
    now: datetime,
    calendar: WorkingCalendar,
    schools_due: date | None,
    department_due: date | None,
) -> tuple[Campaign, tuple[SchoolResult, ...]]:
    """The campaign of the department `account` belongs to, over the schools it supervises
    (`school_codes`), with a NOT_STARTED result for each."""
    assert account.scope_code is not None  # a department (checked by the caller)
    today = now.date()
    if term not in openable_terms(today):
        allowed = " or ".join(t.code for t in openable_terms(today))
        raise DomainError("term", f"a re-verification is opened for {allowed} only (Art. 23)", "TERM_NOT_OPEN")
    if not school_codes:
        raise DomainError(None, "your department supervises no school (Art. 3)", "NO_SCHOOLS")
    s_due = schools_due or calendar.add_working_days(today, SCHOOL_DAYS).due
    d_due = department_due or calendar.add_working_days(s_due, DEPARTMENT_DAYS).due
    if s_due < today:
        raise DomainError("schoolsDue", "the schools' due date is in the past", "INVALID_VALUE")
    if d_due <= s_due:
        raise DomainError("departmentDue", "the department's due date comes after the schools' one", "INVALID_VALUE")
    campaign = Campaign(
        id=campaign_id(term.code, account.scope_code),
        term_code=term.code,
        department_code=account.scope_code,
        school_codes=tuple(sorted(set(school_codes))),
        schools_due=s_due,
        department_due=d_due,
        state=CampaignState.OPEN,
        opened_by=account.login,
        opened_at=now,
    )
    return campaign, tuple(first_result(campaign, code) for code in campaign.school_codes)


def first_result(campaign: Campaign, school_code: str) -> SchoolResult:
    """A school's result when the campaign opens: nothing confirmed, due with the schools."""
    return SchoolResult(
        id=result_id(campaign.id, school_code),
        campaign_id=campaign.id,
        term_code=campaign.term_code,
        school_code=school_code,
        department_code=campaign.department_code,
        state=ResultState.NOT_STARTED,
        due=campaign.schools_due,
        department_due=campaign.department_due,
    )


# A result the school may still change: its campaign is open and it is not confirmed.
RESULT_OPEN_CODES = declared("CAMPAIGN_CLOSED", "ALREADY_CONFIRMED")  # `require_changeable`


def require_changeable(result: SchoolResult) -> None:
    if result.closed:
        raise DomainError("campaignId", "the re-verification is closed", "CAMPAIGN_CLOSED")
    if result.state in (ResultState.SCHOOL_CONFIRMED, ResultState.DEPARTMENT_CONFIRMED):
        raise DomainError("schoolCode", f"the school's result is {result.state.value.lower()} already", "ALREADY_CONFIRMED")


def roster_digest(roster: Sequence[RosterEntry]) -> str:
    """SHA-256 over the confirmed roster (dossier, version, state, sorted): the record of
    exactly which dossiers, as of which version, the school confirmed."""
    lines = sorted(f"{r.dossier_id}:{r.version}:{r.state.value}" for r in roster)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _event(account: Account, now: datetime, action: str, comment: str | None = None) -> ResultEvent:
    return ResultEvent(now, account.login, account.role.value, action, comment)


CONFIRM_ROSTER_CODES = RESULT_OPEN_CODES  # `confirm_roster`


def confirm_roster(
    result: SchoolResult, campaign: Campaign, roster: Sequence[RosterEntry], account: Account, *, now: datetime
) -> SchoolResult:
    """The school confirms its roster as it stands, with the discrepancies it raised; the
    result goes to the department, due on the department's date."""
    require_changeable(result)
    return replace(
        result,
        state=ResultState.SCHOOL_CONFIRMED,
        due=campaign.department_due,
        escalated_to=None,
        roster_size=len(roster),
        roster_digest=roster_digest(roster),
        events=(*result.events, _event(account, now, "SCHOOL_CONFIRMED")),
    )


DECIDE_CODES = declared("CAMPAIGN_CLOSED", "ALREADY_CONFIRMED", "AWAITING_SCHOOL", "REASON_REQUIRED")  # `decide_result`


def decide_result(
    result: SchoolResult,
    campaign: Campaign,
    account: Account,
    *,
    confirm: bool,
    comment: str | None,
    now: datetime,
    calendar: WorkingCalendar,
) -> SchoolResult:
    """The department confirms the school's result (its open discrepancies become tasks),
    or returns it to the school with the reason."""
    if result.closed:
        raise DomainError("campaignId", "the re-verification is closed", "CAMPAIGN_CLOSED")
    if result.state is ResultState.DEPARTMENT_CONFIRMED:
        raise DomainError("schoolCode", "the department confirmed this result already", "ALREADY_CONFIRMED")
    if result.state is not ResultState.SCHOOL_CONFIRMED:
        raise DomainError("schoolCode", "the school has not confirmed its roster yet", "AWAITING_SCHOOL")
    if confirm:
        event = _event(account, now, "DEPARTMENT_CONFIRMED", comment)
        return replace(result, state=ResultState.DEPARTMENT_CONFIRMED, due=None, escalated_to=None, events=(*result.events, event))
    if not (comment or "").strip():
        raise DomainError("comment", "say what the school must redo", "REASON_REQUIRED")
    due = max(campaign.schools_due, calendar.add_working_days(now.date(), RETURN_DAYS).due)
    event = _event(account, now, "RETURNED", comment)
    return replace(result, state=ResultState.RETURNED, due=due, escalated_to=None, events=(*result.events, event))


def awaiting(result: SchoolResult) -> Party | None:
    """Who the result waits for, as a party of the school's business: the school, or its
    department; None when it waits for nobody."""
    if result.closed or result.state is ResultState.DEPARTMENT_CONFIRMED:
        return None
    if result.state is ResultState.SCHOOL_CONFIRMED:
        return Party.STUDENT_SUPERVISOR
    return Party.STUDENT_SCHOOL


def _parties(result: SchoolResult) -> dict[str, str]:
    return {Party.STUDENT_SCHOOL.value: result.school_code, Party.STUDENT_SUPERVISOR.value: result.department_code}


def next_escalation(result: SchoolResult) -> tuple[date, Party] | None:
    """When the result next goes to the level above, and as whose overdue step: the
    current step's party, once its due date has passed; and a school's step already sent
    to its department that is still not confirmed when the department's own date passes,
    as the department's (it was to have the school's part decided by then, Art. 25)."""
    party = awaiting(result)
    if party is None or result.due is None:
        return None
    if result.escalated_to is None:
        return result.due, party
    above = level_above(Party.STUDENT_SUPERVISOR, _parties(result))
    if party is Party.STUDENT_SCHOOL and result.escalated_to == result.department_code != above and result.department_due:
        return result.department_due, Party.STUDENT_SUPERVISOR
    return None


def escalate_result(result: SchoolResult, *, now: datetime) -> SchoolResult | None:
    """A step past its due date goes to the level above, once (idempotent), exactly as an
    overdue case step: the school's to its department, the department's to the one above."""
    found = next_escalation(result)
    if found is None or now.date() <= found[0]:
        return None
    due, party = found
    target = level_above(party, _parties(result))
    comment = f"{party.value} overdue since {due.isoformat()}; escalated to {target}"
    event = ResultEvent(now, "system", "SYSTEM", "ESCALATED", comment)
    return replace(result, escalated_to=target, events=(*result.events, event))


CLOSE_CODES = declared("CAMPAIGN_CLOSED", "REASON_REQUIRED")  # `close_campaign`


def close_campaign(
    campaign: Campaign, results: Sequence[SchoolResult], account: Account, *, now: datetime, note: str | None
) -> Campaign:
    """The department closes its campaign; closing with schools not confirmed by it needs
    a note saying why (they stay on record as unconfirmed)."""
    if campaign.state is CampaignState.CLOSED:
        raise DomainError("id", "the re-verification is closed already", "CAMPAIGN_CLOSED")
    unfinished = [r.school_code for r in results if r.state is not ResultState.DEPARTMENT_CONFIRMED]
    if unfinished and not (note or "").strip():
        raise DomainError("note", f"{len(unfinished)} schools are not confirmed; say why it closes now", "REASON_REQUIRED")
    return replace(campaign, state=CampaignState.CLOSED, closed_by=account.login, closed_at=now, close_note=note)


def mark_closed(result: SchoolResult, account: Account, *, now: datetime) -> SchoolResult | None:
    """The school's result once its campaign closes: nothing is due, nothing changes any
    more (tasks excepted); None when it is marked already."""
    if result.closed:
        return None
    event = _event(account, now, "CLOSED", f"closed at {result.state.value}")
    return replace(result, closed=True, due=None, escalated_to=None, events=(*result.events, event))
