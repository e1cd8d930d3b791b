"""Term re-verification (复核, Art. 23): opening a campaign, each school confirming its
roster, the department confirming or returning each school's result, closing, and the
daily escalation of overdue steps. Discrepancies and their tasks: `reverification_tasks`.

Every change claims the next version of the campaign or of one school's result in the
transition log. A change to a result is decided again on the result as it now is when
another writer claimed its version first (two clicks on "confirm": the second finds the
result confirmed), so the rules always judge the latest state."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from domain import access
from domain.access import ROLE_CODES
from domain.accounts import Role
from domain.dossier import normalised_class_name
from domain.error_codes import declared
from domain.errors import DomainError, NotFound
from domain.jurisdiction import School, validate_school_code
from domain.ports import ConcurrentWrite, Page, Stamp, StudentRow
from domain.reverification import campaigns as rules
from domain.reverification.records import Campaign, RosterEntry, SchoolResult, campaign_of_result, result_id
from domain.terms import TERM_CODES, parse_term
from domain.text import identifier
from application.cases import EVERY_SCHOOL, working_calendar
from application.session import Session, Stores

RESULT_ATTEMPTS = 8
LOOKUP_CODES = declared("NOT_FOUND")  # `campaign_in_scope`
RESULT_LOOKUP_CODES = declared("INVALID_SCHOOL_CODE", *LOOKUP_CODES)  # `result_in_scope`
BY_ID_CODES = declared("NOT_FOUND")  # `result_by_id`


async def campaign_in_scope(ctx: Session, key: str, field: str = "campaignId") -> Campaign:
    campaign = await ctx.stores.reverification.campaign(identifier(key))
    if campaign is None or not access.may_see_reverification(ctx.account, campaign.department_code, campaign.school_codes):
        raise NotFound(field, "re-verification")
    return campaign


async def result_in_scope(ctx: Session, key: str, school_code: str) -> tuple[Campaign, SchoolResult]:
    """A school's part of a campaign, if the caller sees it (a registrar its own only)."""
    code = validate_school_code(school_code, "schoolCode")
    campaign = await campaign_in_scope(ctx, key)
    result = await ctx.stores.reverification.result(result_id(campaign.id, code))
    if result is None or not access.may_see_reverification_school(ctx.account, campaign.department_code, code):
        raise NotFound("schoolCode", "school of this re-verification")
    return campaign, result


async def result_by_id(ctx: Session, key: str, what: str) -> tuple[Campaign, SchoolResult]:
    """A result by its id ("<campaign>:<school>"), if the caller sees it; a malformed or
    unknown id is reported as `what` (by field `id`) not found."""
    campaign = await ctx.stores.reverification.campaign(campaign_of_result(key))
    result = await ctx.stores.reverification.result(key) if campaign is not None else None
    if campaign is None or result is None or not access.may_see_reverification_school(
        ctx.account, campaign.department_code, result.school_code
    ):
        raise NotFound("id", what)
    return campaign, result


async def school_of(ctx: Session, result: SchoolResult) -> School:
    school = await ctx.loaders.school.load(result.school_code)
    assert school is not None  # a campaign names the schools its department supervised
    return school


async def change_result(
    ctx: Session,
    key: str,
    change: Callable[[SchoolResult], SchoolResult | None],
    *,
    action: str,
    stamp: Stamp | None = None,
    roster: Sequence[RosterEntry] = (),
) -> SchoolResult:
    """Decide `change` on the result as stored and claim its next version; when another
    writer claimed it first, decide again on what that writer left. `change` raises to
    refuse, or returns None when there is nothing to change."""
    stores = ctx.stores.reverification
    for attempt in range(RESULT_ATTEMPTS):
        before = await stores.result(key)
        assert before is not None
        after = change(before)
        if after is None:
            return before
        try:
            await stores.replace_result(before, after, stamp or ctx.stamp(), action=action, roster=roster)
        except ConcurrentWrite:
            await asyncio.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # let the winner project first
            continue
        return replace(after, version=before.version + 1)
    raise ConcurrentWrite("reverification_school", key, 0)


async def supervised_schools(ctx: Session, department_code: str) -> list[str]:
    """The schools whose 学籍主管部门 the department is (Art. 3)."""
    codes: list[str] = []
    after: str | None = None
    while True:
        page = await ctx.stores.schools.page(
            EVERY_SCHOOL, area_code=None, kind=None, supervisor_code=department_code, after=after, first=100
        )
        codes += [s.code for s in page.items]
        if not page.has_next:
            return codes
        after = page.keys[-1]


OPEN_REVERIFICATION_CODES = declared(*ROLE_CODES, *TERM_CODES, *rules.OPEN_CODES, "CAMPAIGN_EXISTS")


async def open_reverification(
    ctx: Session, term_code: str, schools_due: date | None, department_due: date | None
) -> tuple[Campaign, list[SchoolResult]]:
    access.require_reverification_department(ctx.account)
    term = parse_term(term_code)
    assert ctx.account.scope_code is not None
    campaign, results = rules.open_campaign(
        ctx.account,
        term,
        await supervised_schools(ctx, ctx.account.scope_code),
        now=datetime.now(UTC),
        calendar=await working_calendar(ctx.stores),
        schools_due=schools_due,
        department_due=department_due,
    )
    if not await ctx.stores.reverification.open(campaign, ctx.stamp()):  # one per term and department
        raise DomainError("term", f"your department has a re-verification for {term.code} already ({campaign.id})", "CAMPAIGN_EXISTS")
    await ctx.stores.reverification.add_results(results, ctx.stamp())
    return campaign, list(results)


CONFIRM_ROSTER_CODES = declared(*RESULT_LOOKUP_CODES, *ROLE_CODES, *rules.CONFIRM_ROSTER_CODES)


async def confirm_roster(ctx: Session, key: str, school_code: str) -> SchoolResult:
    """The school's registrar confirms the roster as it stands now, with the discrepancies
    raised; the roster (each dossier's version and state) is kept with that version."""
    campaign, result = await result_in_scope(ctx, key, school_code)
    access.require_school_registrar(ctx.account, await school_of(ctx, result))
    rules.require_changeable(result)  # before reading the whole roster
    roster = await ctx.stores.reverification.roster(result.school_code)
    now = datetime.now(UTC)
    return await change_result(
        ctx, result.id, lambda r: rules.confirm_roster(r, campaign, roster, ctx.account, now=now),
        action="SCHOOL_CONFIRMED", roster=roster,
    )


DECIDE_SCHOOL_CODES = declared(*RESULT_LOOKUP_CODES, *ROLE_CODES, *rules.DECIDE_CODES)


async def decide_school(ctx: Session, key: str, school_code: str, *, confirm: bool, comment: str | None) -> SchoolResult:
    """The supervising department confirms a school's result, or returns it with the reason."""
    campaign, result = await result_in_scope(ctx, key, school_code)
    access.require_reverification_department(ctx.account, campaign.department_code)
    calendar = await working_calendar(ctx.stores)
    now = datetime.now(UTC)
    return await change_result(
        ctx, result.id,
        lambda r: rules.decide_result(r, campaign, ctx.account, confirm=confirm, comment=comment, now=now, calendar=calendar),
        action="DEPARTMENT_CONFIRMED" if confirm else "RETURNED",
    )


CLOSE_REVERIFICATION_CODES = declared(*LOOKUP_CODES, *ROLE_CODES, *rules.CLOSE_CODES)


async def close_reverification(ctx: Session, key: str, note: str | None) -> tuple[Campaign, list[SchoolResult]]:
    """The department closes its campaign: each school's result is marked closed (each a
    claim, so no confirmation slips in after it), then the campaign. Closing again after an
    interruption finishes the marking."""
    campaign = await campaign_in_scope(ctx, key, "id")
    access.require_reverification_department(ctx.account, campaign.department_code)
    results = await ctx.stores.reverification.results(campaign.id)
    now = datetime.now(UTC)
    closed = rules.close_campaign(campaign, results, ctx.account, now=now, note=note)
    marked = [await change_result(ctx, r.id, lambda r: rules.mark_closed(r, ctx.account, now=now), action="CLOSED") for r in results]
    await ctx.stores.reverification.replace_campaign(campaign, closed, ctx.stamp(), action="CLOSED")
    return replace(closed, version=campaign.version + 1), marked


async def escalate_overdue_reverifications(stores: Stores, now: datetime) -> int:
    """Overdue steps go to the level above, once (`rules.escalate_result`): a school's
    confirmation to its department, a department's to the department above. First, an
    opening that stopped before writing every school's result is finished. Running it
    twice changes nothing more."""
    repo = stores.reverification
    stamp = Stamp.system("workflows")
    for campaign in await repo.open_campaigns():
        have = {r.school_code for r in await repo.results(campaign.id)}
        missing = [rules.first_result(campaign, code) for code in campaign.school_codes if code not in have]
        if missing:
            await repo.add_results(missing, stamp)
    escalated = 0
    for result in await repo.overdue_results(now.date()):
        moved = rules.escalate_result(result, now=now)
        if moved is None:
            continue
        try:
            await repo.replace_result(result, moved, stamp, action="ESCALATED")
        except ConcurrentWrite:
            continue  # changed meanwhile (confirmed, or escalated by another run): judged again next run
        escalated += 1
    return escalated


# -- reads --------------------------------------------------------------------------------


async def campaigns_page(ctx: Session, term_code: str | None, *, after: str | None, first: int) -> Page[Campaign]:
    """The campaigns the caller sees: a registrar those of its school; a department or an
    auditor those of the departments in its area; nobody else any."""
    a = ctx.account
    term = parse_term(term_code).code if term_code is not None else None
    if a.disabled or a.scope_code is None:
        return Page([], [], False, 0)
    if a.role is Role.SCHOOL_REGISTRAR:
        return await ctx.stores.reverification.campaigns(within=None, school_code=a.scope_code, term_code=term, after=after, first=first)
    if a.is_department or a.role is Role.AUDITOR:
        return await ctx.stores.reverification.campaigns(within=a.scope_code, school_code=None, term_code=term, after=after, first=first)
    return Page([], [], False, 0)


async def results_in_view(ctx: Session, campaign: Campaign) -> list[SchoolResult]:
    """The results of a campaign the caller sees (a registrar its own school's only)."""
    results = await ctx.stores.reverification.results(campaign.id)
    return [r for r in results if access.may_see_reverification_school(ctx.account, campaign.department_code, r.school_code)]


async def escalations_page(ctx: Session, *, after: str | None, first: int) -> Page[SchoolResult]:
    """The results escalated to the caller's department: overdue schools it supervises,
    and overdue departments below it."""
    a = ctx.account
    if a.disabled or not a.is_department or a.scope_code is None:
        return Page([], [], False, 0)
    return await ctx.stores.reverification.escalated_to(a.scope_code, after=after, first=first)


async def roster_page(
    ctx: Session, result: SchoolResult, *, grade: int | None, class_name: str | None, after: str | None, first: int
) -> Page[StudentRow]:
    """The roster of a result the caller sees (its students are in the caller's scope), of
    one grade or class when given (a class name in its stored spelling)."""
    name = normalised_class_name(class_name) if class_name is not None else None
    return await ctx.stores.reverification.roster_page(result.school_code, grade=grade, class_name=name, after=after, first=first)

