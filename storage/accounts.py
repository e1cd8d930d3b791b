"""Accounts (people who sign in)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from domain.accounts import Account, Role
from pymongo.errors import DuplicateKeyError

from domain.ports import Page, ConcurrentWrite, Stamp
from storage.mongo import Collections, Doc
from storage.pages import keyset
from storage.transitions import TransitionLog


def _day(value: date | None) -> datetime | None:
    return datetime.combine(value, time(), UTC) if value else None


def _record(action: str, changes: dict[str, tuple[Any, Any]], reason: str | None = None) -> Doc:
    """The change of record logged with an account's version."""
    return {"action": action, "changes": {k: {"old": old, "new": new} for k, (old, new) in changes.items()}, "reason": reason}


def _to_doc(account: Account) -> Doc:
    return {
        "name": account.name,
        "role": account.role.value,
        "scope_code": account.scope_code,
        "trained_on": _day(account.trained_on),
        "phone": account.phone,
        "disabled": account.disabled,
        "filed_on": _day(account.filed_on),
        "filing_reference": account.filing_reference,
    }


def _from_doc(doc: Doc) -> Account:
    trained, filed = doc.get("trained_on"), doc.get("filed_on")
    return Account(
        login=doc["_id"],
        name=doc["name"],
        role=Role(doc["role"]),
        scope_code=doc.get("scope_code"),
        trained_on=trained.date() if trained else None,
        phone=doc.get("phone"),
        disabled=bool(doc.get("disabled")),
        filed_on=filed.date() if filed else None,
        filing_reference=doc.get("filing_reference"),
    )


class AccountRepository:
    """Accounts: every change a version claimed in the transition log (aggregate "account")."""

    def __init__(self, collections: Collections, log: TransitionLog) -> None:
        self._c = collections.accounts
        self._log = log

    async def insert_if_missing(self, account: Account) -> bool:
        """Seed an account without touching one that already exists (its training, say)."""
        try:
            await self._c.insert_one({"_id": account.login, **_to_doc(account)})
        except DuplicateKeyError:
            return False
        return True

    async def get(self, login: str) -> Account | None:
        doc = await self._c.find_one({"_id": login})
        return _from_doc(doc) if doc else None

    async def page(self, scope_code: str | None, *, after: str | None, first: int) -> Page[Account]:
        """The accounts scoped to exactly this school or area (None: the admins), by login."""
        query: Doc = {"scope_code": scope_code}
        total = await self._c.count_documents(query)
        docs = await self._c.find(keyset(query, after)).sort("_id", 1).limit(first + 1).to_list()
        accounts = [_from_doc(d) for d in docs[:first]]
        return Page(accounts, [a.login for a in accounts], len(docs) > first, total)

    async def registrars_of(self, school_codes: list[str]) -> list[Account]:
        """The current (not disabled) registrars of these schools."""
        codes: object = school_codes[0] if len(school_codes) == 1 else {"$in": school_codes}
        query = {"scope_code": codes, "role": Role.SCHOOL_REGISTRAR.value, "disabled": False}
        return [_from_doc(d) async for d in self._c.find(query).sort("_id", 1)]

    async def record_training(self, login: str, on: date, stamp: Stamp) -> Account | None:
        """Art. 22: a new version of the account with its training date, claimed in the log."""
        trained = datetime.combine(on, time(), UTC)
        doc = await self._log.update(
            "account", self._c, login, lambda d: {**d, "trained_on": trained}, stamp=stamp, action="TRAINING_RECORDED"
        )
        return _from_doc(doc) if doc else None

    async def create(self, account: Account, stamp: Stamp) -> Account | None:
        """Version 1 of a new account; None when the login is taken (by an account in the
        log, or one seeded before it)."""
        if await self._c.find_one({"_id": account.login}, {"_id": 1}) is not None:
            return None
        state = {"_id": account.login, **_to_doc(account)}
        listed = {k: (None, v) for k, v in _to_doc(account).items() if v is not None}
        try:
            doc = await self._log.commit(
                "account", self._c, state, expected=0, prev_hash=None, stamp=stamp, action="ACCOUNT_CREATED",
                change=_record("ACCOUNT_CREATED", listed),
            )
        except ConcurrentWrite:
            return None
        return _from_doc(doc)

    async def set_disabled(self, login: str, disabled: bool, stamp: Stamp, *, reason: str | None) -> Account | None:
        """A new version disabling or re-enabling the account (nothing when it is so already)."""
        action = "ACCOUNT_DISABLED" if disabled else "ACCOUNT_ENABLED"
        doc = await self._log.update(
            "account", self._c, login,
            lambda d: None if bool(d.get("disabled")) == disabled else {**d, "disabled": disabled},
            stamp=stamp, action=action,
            record=lambda before, after: _record(action, {"disabled": (bool(before.get("disabled")), disabled)}, reason),
        )
        return _from_doc(doc) if doc else None

    async def record_filing(self, login: str, on: date, reference: str, stamp: Stamp) -> Account | None:
        """Art. 22: a new version with the date and reference of the filing (备案) with the level above."""
        filed = _day(on)

        def record(before: Doc, after: Doc) -> Doc:
            old = before.get("filed_on")
            changes = {"filedOn": (old.date().isoformat() if old else None, on.isoformat())}
            return _record("FILING_RECORDED", {**changes, "filingReference": (before.get("filing_reference"), reference)})

        doc = await self._log.update(
            "account", self._c, login, lambda d: {**d, "filed_on": filed, "filing_reference": reference},
            stamp=stamp, action="FILING_RECORDED", record=record,
        )
        return _from_doc(doc) if doc else None
