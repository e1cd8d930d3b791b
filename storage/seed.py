"""Idempotent set-up of a database and bucket: indexes, the evidence bucket, demo data."""

from __future__ import annotations

from storage.accounts import AccountRepository
from storage.demo import ACCOUNTS, AREAS, SCHOOLS
from storage.indexes import ensure_indexes
from storage.mongo import Collections
from storage.schools import AreaRepository, SchoolRepository


async def load_demo_data(collections: Collections) -> None:
    await ensure_indexes(collections)
    areas, schools, accounts = AreaRepository(collections), SchoolRepository(collections), AccountRepository(collections)
    for area in AREAS:
        await areas.upsert(area)
    for school in SCHOOLS:
        await schools.insert_if_missing(school)
    for account in ACCOUNTS:
        await accounts.insert_if_missing(account)
