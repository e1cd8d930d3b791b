"""Accounts (people who sign in)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from domain.accounts import Account, Role
from pymongo.errors import DuplicateKeyError

from domain.ports import Stamp
from storage.mongo import Collections, Doc
from storage.transitions import TransitionLog


def _to_doc(account: Account) -> Doc:
    return {
        "name": account.name,
        "role": account.role.value,
        "scope_code": account.scope_code,
        "trained_on": datetime.combine(account.trained_on, time(), UTC) if account.trained_on else None,
        "phone": account.phone,
        "disabled": account.disabled,
    }


def _from_doc(doc: Doc) -> Account:
    trained = doc.get("trained_on")
    return Account(
        login=doc["_id"],
        name=doc["name"],
        role=Role(doc["role"]),
        scope_code=doc.get("scope_code"),
        trained_on=trained.date() if trained else None,
        phone=doc.get("phone"),
        disabled=bool(doc.get("disabled")),
    )


class AccountRepository:
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
