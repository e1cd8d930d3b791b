"""Year-end promotion and graduation as one job (Art. 17, 19; R-D1), and progression from
primary to junior secondary. The rules are in `domain/promotion.py`.

- **Plan** (`plan_year_end`): a dry run over the chosen schools and grades, kept with an id
  and the fingerprint of exactly which dossier versions it covers; nothing is changed.
- **Run** (`run_promotion`): the confirmation runs exactly that plan, as a job in the
  background. Each student is moved by claiming the version after the planned one
  (`PromotionStore.apply`), so a dossier changed since the plan is reported, never moved
  blindly, and a run stopped anywhere and run again (or two at once) moves every student
  exactly once. Progress is the number of students dealt with.
- **Progression** (`record_progression`): the junior school (its registrar or supervising
  department) places primary graduates from its admission list; `unplaced_graduates` lists
  those not placed within the term they graduated in."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from itertools import groupby

from application.reverification import supervised_schools
from application.session import Session, Stores
from domain import access
from domain import promotion as rules
from domain.access import ROLE_CODES
from domain.accounts import Role
from domain.dossier import Dossier, normalised_class_name
from domain.error_codes import declared
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.jurisdiction import School, validate_school_code
from domain.ports import Change, Page, Stamp, StudentRow
from domain.promotion import YearEndPlan
from domain.student_number import NUMBER_CODES, normalise_number
from domain.text import TEXT_CODES

log = logging.getLogger(__name__)
BATCH = 500


class JobState(StrEnum):
    PLANNED = "PLANNED"  # a dry run, not confirmed
    RUNNING = "RUNNING"  # confirmed; students are being moved
    DONE = "DONE"  # every student of the plan moved or reported stale


@dataclass(frozen=True)
class YearEndStatus:
    plan: YearEndPlan
    state: JobState
    confirmed_by: str | None
    confirmed_at: datetime | None
    finished_at: datetime | None
    done: int  # students dealt with (moved or stale)
    moved: int
    stale: tuple[str, ...]  # numbers of the dossiers changed since the plan, not moved





# -- who, for which schools ---------------------------------------------------------------

SCHOOLS_CODES = declared("INVALID_VALUE", "INVALID_SCHOOL_CODE", "NOT_FOUND", *ROLE_CODES)  # `chosen_schools`


async def chosen_schools(ctx: Session, codes: Sequence[str] | None) -> list[School]:
    """The schools a plan covers: those given, each one the caller may run the year-end
    change of; none given: the caller's school (a registrar) or every school its
    department supervises."""
    account = ctx.account
    access.require_writer(account)
    if codes is None:
        if account.role is Role.SCHOOL_REGISTRAR and account.scope_code is not None:
            codes = [account.scope_code]
        elif account.is_department and account.scope_code is not None:
            codes = await supervised_schools(ctx, account.scope_code)
        else:
            raise PermissionDenied("only a school's registrar or its supervising department runs its year-end change (Art. 17)")
    if not codes:
        raise DomainError("schoolCodes", "choose at least one school (your department supervises none)", "INVALID_VALUE")
    schools: list[School] = []
    for i, given in enumerate(dict.fromkeys(codes)):
        code = validate_school_code(given, f"schoolCodes.{i}")
        school = await ctx.loaders.school.load(code)
        if school is None or not ctx.school_scope.contains(school):
            raise NotFound(f"schoolCodes.{i}", "school")
        access.require_year_end_runner(account, school)
        schools.append(school)
    return schools


PLAN_YEAR_END_CODES = declared(*rules.EFFECTIVE_DATE_CODES, *rules.GRADES_CODES, *SCHOOLS_CODES)


async def plan_year_end(ctx: Session, school_codes: Sequence[str] | None, grades: Sequence[int] | None, effective_date: date) -> YearEndPlan:
    """The dry run: what the change would do, kept for its confirmation. Changes nothing."""
    day = rules.check_effective_date(effective_date)
    chosen = rules.check_grades(grades)
    schools = await chosen_schools(ctx, school_codes)
    students: list[tuple[School, Dossier]] = []
    for school in schools:
        students += [(school, d) for d in await ctx.stores.promotion.school_dossiers(school.code)]
    plan = rules.make_plan(uuid.uuid4().hex, ctx.account.login, datetime.now(UTC), day, chosen, students)
    await ctx.stores.promotion.save(plan)
    return plan


# -- reading a plan -----------------------------------------------------------------------

LOOKUP_CODES = declared("NOT_FOUND")  # `plan_in_scope`


async def plan_in_scope(ctx: Session, plan_id: str, field: str = "planId") -> YearEndPlan:
    """A plan, if the caller sees every school it covers (who may run it, and the auditors
    of their area); anyone else is told it does not exist."""
    plan = await ctx.stores.promotion.plan(plan_id.strip()) if plan_id.strip() else None
    if plan is None or not plan.school_codes:
        raise NotFound(field, "year-end plan")
    for code in plan.school_codes:
        school = await ctx.loaders.school.load(code)
        if school is None or not access.may_see_year_end(ctx.account, school):
            raise NotFound(field, "year-end plan")
    return plan


async def status(stores: Stores, plan: YearEndPlan) -> YearEndStatus:
    events = await stores.promotion.events(plan.id)
    outcomes = await stores.promotion.outcomes(plan.id)
    confirmed, finished = events.get("confirmed"), events.get("finished")
    state = JobState.DONE if finished else JobState.RUNNING if confirmed else JobState.PLANNED
    stale = tuple(sorted(number for number, outcome in outcomes.values() if outcome == "STALE"))
    return YearEndStatus(
        plan=plan,
        state=state,
        confirmed_by=confirmed[0] if confirmed else None,
        confirmed_at=confirmed[1] if confirmed else None,
        finished_at=finished[1] if finished else None,
        done=len(outcomes),
        moved=len(outcomes) - len(stale),
        stale=stale,
    )


# -- the run ------------------------------------------------------------------------------

RUN_PROMOTION_CODES = declared(*LOOKUP_CODES, *ROLE_CODES)


async def run_promotion(ctx: Session, plan_id: str) -> tuple[YearEndPlan, bool]:
    """Confirm a plan and start (or resume) its job; whether this was its first
    confirmation. Who may run the change of every school it covers may confirm it."""
    plan = await plan_in_scope(ctx, plan_id)
    for code in plan.school_codes:
        school = await ctx.loaders.school.load(code)
        assert school is not None  # plan_in_scope loaded it
        access.require_year_end_runner(ctx.account, school)
    first = await ctx.stores.promotion.confirm(plan.id, ctx.stamp())
    start(ctx.stores, plan.id, Stamp(ctx.account.login, plan.request_id))
    return plan, first


_RUNNING: dict[str, asyncio.Task[None]] = {}


def start(stores: Stores, plan_id: str, stamp: Stamp, *, batch: int = BATCH) -> None:
    """Run the plan's job in the background of this process, unless it runs here already."""
    running = _RUNNING.get(plan_id)
    if running is not None and not running.done():
        return
    task = asyncio.create_task(run_job(stores, plan_id, stamp, batch=batch))
    _RUNNING[plan_id] = task
    task.add_done_callback(_ended)


def _ended(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("year-end job stopped; confirm the plan again to resume it", exc_info=task.exception())


async def resume_unfinished(stores: Stores) -> list[str]:
    """Start again, in this process, every confirmed plan whose job has not finished (the
    process running it stopped): an API process does this when it starts. Two processes
    resuming the same plan move nobody twice. The ids of the plans resumed."""
    resumed = []
    for plan_id, confirmed_by in sorted((await stores.promotion.unfinished()).items()):
        start(stores, plan_id, Stamp(confirmed_by, f"promotion-{plan_id}"))
        resumed.append(plan_id)
    return resumed


async def run_job(stores: Stores, plan_id: str, stamp: Stamp, *, batch: int = BATCH) -> None:
    """Move every student of the plan not dealt with yet, school by school; then mark the
    plan done. Safe to stop anywhere and run again, or to run twice at once."""
    if "finished" in await stores.promotion.events(plan_id):
        return
    plan = await stores.promotion.plan(plan_id, with_moves=True)
    assert plan is not None
    done = await stores.promotion.outcomes(plan_id)
    pending = [m for m in plan.moves if m.dossier_id not in done]
    for _, moves in groupby(pending, key=lambda m: m.school_code):
        await stores.promotion.apply(plan, list(moves), stamp, batch=batch)
    await stores.promotion.finish(plan_id, stamp)


# -- progression (升学) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    number: str
    class_name: str


PLACEMENT_LIST_CODES = declared("INVALID_VALUE")  # `check_placements`


def check_placements(placements: Sequence[Placement]) -> list[tuple[str, str]]:
    """Each placement's number and class name as stored, checked before anything is looked up."""
    if not 1 <= len(placements) <= rules.MAX_PLACEMENTS:
        raise DomainError("placements", f"give 1 to {rules.MAX_PLACEMENTS} placements at a time", "INVALID_VALUE")
    checked = []
    for i, p in enumerate(placements):
        number = normalise_number(p.number, f"placements.{i}.number")
        checked.append((number, normalised_class_name(p.class_name, f"placements.{i}.className")))
    return checked


RECORD_PROGRESSION_CODES = declared(
    "INVALID_SCHOOL_CODE", "NOT_FOUND", *ROLE_CODES, *rules.RECEIVING_SCHOOL_CODES, *PLACEMENT_LIST_CODES,
    *NUMBER_CODES, *rules.PLACEMENT_CODES, *TEXT_CODES, "CONFLICT",
)


async def record_progression(ctx: Session, school_code: str, entry_date: date, placements: Sequence[Placement]) -> list[StudentRow]:
    """Place primary graduates at the junior school that admits them: the same dossier and
    number continue there in grade 7 (Art. 17, 19). Every placement is checked before any
    is written; one that is wrong refuses the list and changes nothing. A graduate placed
    here already is left as is (the same list twice places nobody twice)."""
    code = validate_school_code(school_code, "schoolCode")
    checked = check_placements(placements)
    school = await ctx.loaders.school.load(code)
    if school is None or not ctx.school_scope.contains(school):
        raise NotFound("schoolCode", "school")
    access.require_progression_recorder(ctx.account, school)
    rules.check_receiving_school(school)
    planned: list[tuple[Dossier, Dossier]] = []
    seen: set[str] = set()
    for i, (number, class_name) in enumerate(checked):
        field = f"placements.{i}.number"
        row = await ctx.stores.students.by_number(number, None)
        if row is None:
            raise NotFound(field, "student")
        before = row.dossier
        if before.id in seen:
            raise DomainError(field, f"{before.number} is in the list twice", "INVALID_VALUE")
        seen.add(before.id)
        if not rules.placement_needed(before, school, field):
            continue
        if before.graduated_on is not None and entry_date < before.graduated_on:
            raise DomainError("entryDate", "the entry date is before the student's graduation", "INVALID_VALUE")
        planned.append((before, rules.place(before, school, class_name, entry_date)))
    placed: list[StudentRow] = []
    for before, after in planned:
        change = Change("STATUS:PROGRESSION", rules.placement_changes(before, after), reason="progression to junior secondary (Art. 17, 19)")
        if not await ctx.stores.students.replace(before, after, ctx.stamp(), change):
            raise DomainError(None, f"{before.number} changed meanwhile; send the list again to place the rest", "CONFLICT")
        row = await ctx.stores.students.by_number(before.id, None)
        assert row is not None
        placed.append(row)
    return placed


async def unplaced_graduates(ctx: Session, area_code: str, *, after: str | None, first: int) -> Page[StudentRow]:
    """Primary graduates of the area's schools not placed within the term they graduated
    in: compulsory-education children out of school, for the departments over the area
    (and its auditors); nobody else sees any."""
    if not access.may_see_unplaced(ctx.account, area_code):
        return Page([], [], False, 0)
    return await ctx.stores.promotion.unplaced(area_code, date.today(), after=after, first=first)
