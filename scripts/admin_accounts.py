"""`scripts/admin create-admin`: the first admin of a fresh deployment, from ADMIN_LOGIN and
ADMIN_NAME (no defaults; the account has no password: its tokens come from the identity
provider, whose configured claim, JWT_ACCOUNT_CLAIM, names the login, or from
`scripts/token LOGIN` where a signing key is configured). Written to the configured
database through the same path as `createAccount` (`schema.accounts.usecases.create`) and
audited. Idempotent: with the admin there already, nothing changes and it says so."""

from __future__ import annotations

import os

from api.settings import Settings
from domain.accounts import Role, new_account
from domain.errors import DomainError
from application import accounts as usecases
from scripts.admin_db import audit, command_stamp, opened
from storage.accounts import AccountRepository
from storage.transitions import TransitionLog

ACTION = "command:createAdmin"


async def create_admin(settings: Settings) -> int:
    login, name = os.environ.get("ADMIN_LOGIN", "").strip(), os.environ.get("ADMIN_NAME", "").strip()
    if not login or not name:
        print("set ADMIN_LOGIN (the login the identity provider's tokens name) and ADMIN_NAME; nothing changed")
        return 2
    try:
        account = new_account(login, name, Role.ADMIN, None)
    except DomainError as e:
        print(f"{'ADMIN_LOGIN' if e.field == 'login' else 'ADMIN_NAME'}: {e.code}: {e.message}; nothing changed")
        return 2
    stamp = command_stamp()
    async with opened(settings) as collections:
        accounts = AccountRepository(collections, TransitionLog(collections))
        existing = await accounts.get(account.login)
        if existing is not None and existing.role is Role.ADMIN and not existing.disabled:
            print(f"the admin {existing.login} ({existing.name}) exists already; nothing changed")
            return 0
        if existing is not None:
            state = "a disabled admin" if existing.role is Role.ADMIN else f"an account of role {existing.role.value}"
            print(f"the login {existing.login} belongs to {state}; nothing changed")
            return 1
        try:
            created = await usecases.create(accounts, account, stamp)
        except DomainError as e:  # LOGIN_TAKEN: created meanwhile
            await audit(collections, stamp, ACTION, ("account", account.login), e.code)
            print(f"{e.code}: {e.message}; nothing changed")
            return 1
        await audit(collections, stamp, ACTION, ("account", created.login), details={"role": "ADMIN", "name": created.name})
    print(f"created the admin {created.login} ({created.name}); its tokens come from the identity provider")
    return 0
