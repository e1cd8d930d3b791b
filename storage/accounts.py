"""Accounts (people who sign in)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from domain.accounts import Account, Role
from storage.mongo import Collections, Doc


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
    def __init__(self, collections: Collections) -> None:
        self._c = collections.accounts

    async def insert_if_missing(self, account: Account) -> bool:
        """Seed an account without touching one that already exists (its training, say)."""
        result = await self._c.update_one(
            {"_id": account.login}, {"$setOnInsert": {**_to_doc(account), "version": 1}}, upsert=True
        )
        return result.upserted_id is not None

    async def get(self, login: str) -> Account | None:
        doc = await self._c.find_one({"_id": login})
        return _from_doc(doc) if doc else None

    async def registrars_of(self, school_codes: list[str]) -> list[Account]:
        """The current (not disabled) registrars of these schools."""
        query = {"scope_code": {"$in": school_codes}, "role": Role.SCHOOL_REGISTRAR.value, "disabled": False}
        return [_from_doc(d) async for d in self._c.find(query).sort("_id", 1)]

    async def record_training(self, login: str, on: date) -> Account | None:
        await self._c.update_one(
            {"_id": login},
            {"$set": {"trained_on": datetime.combine(on, time(), UTC)}, "$inc": {"version": 1}},
        )
        return await self.get(login)
