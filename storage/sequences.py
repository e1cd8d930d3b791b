"""Where a sequence claimed by insert-unique ends, as a hint in `counters` (`_id` = the
sequence's name, `seq` = a number known to be taken). Only a hint: FerretDB applies `$max`
by reading and writing back, so two claimers may leave it behind the true end; the next
claimer then meets a few refused inserts, never a gap or a fork."""

from __future__ import annotations

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from storage.mongo import Doc


async def read_hint(hints: AsyncCollection[Doc], name: str) -> int:
    found = await hints.find_one({"_id": name})
    return int(found["seq"]) if found else 0


async def raise_hint(hints: AsyncCollection[Doc], name: str, value: int) -> None:
    try:
        await hints.update_one({"_id": name}, {"$max": {"seq": value}}, upsert=True)
    except DuplicateKeyError:  # two first claims upserting at once: the other created it
        await hints.update_one({"_id": name}, {"$max": {"seq": value}})
