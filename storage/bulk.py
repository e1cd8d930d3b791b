"""Unordered bulk inserts that let the unique `_id`s refuse what is there already: the
building block of bulk imports (`StudentRepository.import_new`,
`SectionRepository.import_entries`), which write the same documents as the one-at-a-time
paths, many per round trip."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from storage.mongo import Doc

DUPLICATE_KEY = 11000


async def insert_unordered(collection: AsyncCollection[Doc], docs: Sequence[Doc]) -> set[int]:
    """Insert every document that does not collide with a unique key; the positions of
    those refused as duplicates. Any other write error is raised."""
    if not docs:
        return set()
    try:
        await collection.insert_many(list(docs), ordered=False)
    except BulkWriteError as e:
        errors = e.details.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors) or e.details.get("writeConcernErrors"):
            raise
        return {int(error["index"]) for error in errors}
    return set()
