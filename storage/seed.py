"""Idempotent set-up of a database and bucket: indexes, the evidence bucket, demo data."""

from __future__ import annotations

from storage.accounts import AccountRepository
from storage.demo import ACCOUNTS, AREAS, SCHOOLS
from storage.indexes import ensure_indexes
from storage.mongo import Collections
from storage.schools import AreaRepository, SchoolRepository
from storage.transitions import TransitionLog


async def load_demo_data(collections: Collections) -> None:
    await ensure_indexes(collections)
    log = TransitionLog(collections)
    areas, schools, accounts = AreaRepository(collections), SchoolRepository(collections, log), AccountRepository(collections, log)
    for area in AREAS:
        await areas.insert_if_missing(area)
    for school in SCHOOLS:
        await schools.insert_if_missing(school)
    for account in ACCOUNTS:
        await accounts.insert_if_missing(account)
