"""Administering accounts (R-A4; Art. 3, 21, 22): creating, disabling, re-enabling, and
recording the filing (备案) with the level above. Who may do what is `domain/access.py`;
every change is a version in the account's transition log. `scripts/admin create-admin`
creates the first admin through `create`, the one write path for a new account."""

from __future__ import annotations

from datetime import date

from domain.access import (
    ROLE_CODES,
    may_see_account,
    require_account_administrator,
    require_account_manager,
    require_filing_recorder,
    require_training_recorder,
)
from domain.accounts import NEW_ACCOUNT_CODES, Account, Role, login_of, new_account
from domain.error_codes import declared
from domain.errors import DomainError, NotFound
from domain.jurisdiction import School
from domain.ports import AccountStore, Page, Stamp
from domain.text import MULTI_LINE, TEXT_CODES, optional_text, required_text
from application.session import Session

REFERENCE_LENGTH = 100  # approval and filing references
LOGIN_TAKEN_CODES = declared("LOGIN_TAKEN")  # `create`
REACH_CODES = declared("NOT_FOUND")  # `account_in_reach`, `scope_in_reach`


async def create(accounts: AccountStore, account: Account, stamp: Stamp) -> Account:
    """Store a new account (version 1), or LOGIN_TAKEN."""
    created = await accounts.create(account, stamp)
    if created is None:
        raise DomainError("login", f"the login {account.login!r} is taken", "LOGIN_TAKEN")
    return created


async def account_in_reach(ctx: Session, login: str) -> tuple[Account, School | None]:
    """The account and, for a registrar, its school — when the caller may see them."""
    target = await ctx.stores.accounts.get(login_of(login))
    school = None
    if target is not None and target.role is Role.SCHOOL_REGISTRAR and target.scope_code is not None:
        (school,) = await ctx.stores.schools.get_many([target.scope_code])
    if target is None or not may_see_account(ctx.account, target, school):
        raise NotFound("login", "account")
    return target, school


async def scope_in_reach(ctx: Session, account: Account) -> School | None:
    """A new account's scope, when the caller sees it: the school of a registrar (returned),
    or a loaded area the caller sees."""
    code = account.scope_code
    if code is None:
        return None
    if account.role is Role.SCHOOL_REGISTRAR:
        school = await ctx.stores.schools.get(code, ctx.school_scope)
        if school is None:
            raise NotFound("scopeCode", "school")
        return school
    (area,) = await ctx.stores.areas.get_many([code])
    if area is None or not (await ctx.area_scope()).contains(code):
        raise NotFound("scopeCode", "area")
    return None


CREATE_ACCOUNT_CODES = declared(*ROLE_CODES, *NEW_ACCOUNT_CODES, *REACH_CODES, *LOGIN_TAKEN_CODES)


async def create_account(
    ctx: Session, login: str, name: str, role: Role, scope_code: str | None, phone: str | None
) -> tuple[Account, School | None]:
    require_account_administrator(ctx.account)
    account = new_account(login, name, role, scope_code, phone)
    school = await scope_in_reach(ctx, account)
    require_account_manager(ctx.account, account, school)
    return await create(ctx.stores.accounts, account, ctx.stamp()), school


SET_DISABLED_CODES = declared(*ROLE_CODES, *TEXT_CODES, *REACH_CODES, "NOTHING_TO_CHANGE")


async def set_disabled(ctx: Session, login: str, disabled: bool, reason: str | None) -> tuple[Account, School | None]:
    """Disable or re-enable an account: a new version; the next request it makes is refused
    (or accepted again), since every request reads the account (api/auth.py)."""
    require_account_administrator(ctx.account)
    reason = optional_text("reason", reason, max_length=MULTI_LINE, multi_line=True)
    target, school = await account_in_reach(ctx, login)
    require_account_manager(ctx.account, target, school)
    if target.disabled == disabled:
        raise DomainError("login", "the account is disabled already" if disabled else "the account is enabled already", "NOTHING_TO_CHANGE")
    updated = await ctx.stores.accounts.set_disabled(target.login, disabled, ctx.stamp(), reason=reason)
    assert updated is not None
    return updated, school


RECORD_FILING_CODES = declared(*ROLE_CODES, *TEXT_CODES, "DATE_IN_FUTURE", *REACH_CODES)


async def record_filing(ctx: Session, login: str, filed_on: date, reference: str) -> tuple[Account, School | None]:
    """Art. 22: the account holder's details were filed (备案) with the level above, on a
    day, under a reference; recorded by that level."""
    require_account_administrator(ctx.account)
    reference = required_text("reference", reference, max_length=REFERENCE_LENGTH)
    if filed_on > date.today():
        raise DomainError("filedOn", "a filing is recorded once it has been made", "DATE_IN_FUTURE")
    target, school = await account_in_reach(ctx, login)
    require_filing_recorder(ctx.account, target, school)
    updated = await ctx.stores.accounts.record_filing(target.login, filed_on, reference, ctx.stamp())
    assert updated is not None
    return updated, school


RECORD_TRAINING_CODES = declared("NOT_FOUND", *ROLE_CODES, "TRAINING_DATE_IN_FUTURE")


async def record_training(session: Session, login: str, completed_on: date) -> tuple[Account, School]:
    """Art. 22 (先培训后上岗): the registrar's supervising department records the training;
    the registrar is looked up in the caller's scope. The trained account and its school."""
    registrar = await session.stores.accounts.get(login)
    if registrar is None or registrar.role is not Role.SCHOOL_REGISTRAR or registrar.scope_code is None:
        raise NotFound("login", "registrar")
    school = await session.stores.schools.get(registrar.scope_code, session.school_scope)
    if school is None:
        raise NotFound("login", "registrar")
    require_training_recorder(session.account, school)
    if completed_on > date.today():
        raise DomainError("completedOn", "training cannot be completed in the future", "TRAINING_DATE_IN_FUTURE")
    updated = await session.stores.accounts.record_training(login, completed_on, session.stamp())
    assert updated is not None
    return updated, school


async def accounts_at(session: Session, scope_code: str | None, *, after: str | None, first: int) -> Page[Account]:
    """The accounts of one school or area (None: the admins) for whoever administers them:
    the admin everywhere, a department inside its area (R-A4). Anything else is empty, as
    for a scope the caller does not see (Art. 24)."""
    actor = session.account
    if actor.role is not Role.ADMIN and not actor.is_department:
        return Page([], [], False, 0)
    school = None
    if scope_code is None:
        if actor.role is not Role.ADMIN:
            return Page([], [], False, 0)
    elif len(scope_code) == 10:
        school = await session.stores.schools.get(scope_code, session.school_scope)
        if school is None:
            return Page([], [], False, 0)
    elif not (await session.area_scope()).contains(scope_code):
        return Page([], [], False, 0)
    page = await session.stores.accounts.page(scope_code, after=after, first=first)
    shown = [(a, k) for a, k in zip(page.items, page.keys, strict=True) if may_see_account(actor, a, school)]
    return Page([a for a, _ in shown], [k for _, k in shown], page.has_next, page.total)
