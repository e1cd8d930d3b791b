"""Every index the application relies on, declared in one place and created at start-up
(idempotent: creating an existing index with the same spec is a no-op)."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

from storage.mongo import Collections

INDEXES: dict[str, list[IndexModel]] = {
    "areas": [IndexModel([("parent_code", ASCENDING), ("_id", ASCENDING)], name="parent_code")],
    "schools": [
        IndexModel([("supervisor_code", ASCENDING), ("_id", ASCENDING)], name="supervisor"),
        IndexModel([("area_code", ASCENDING), ("_id", ASCENDING)], name="area"),
        IndexModel([("city_code", ASCENDING), ("_id", ASCENDING)], name="city"),
        IndexModel([("province_code", ASCENDING), ("_id", ASCENDING)], name="province"),
        IndexModel([("kind", ASCENDING), ("_id", ASCENDING)], name="kind"),
    ],
    "accounts": [IndexModel([("scope_code", ASCENDING), ("role", ASCENDING)], name="scope_role")],
    "audit": [
        IndexModel([("at", DESCENDING)], name="at"),
        IndexModel([("actor", ASCENDING), ("at", DESCENDING)], name="actor_at"),
        IndexModel([("target_type", ASCENDING), ("target_id", ASCENDING), ("at", DESCENDING)], name="target_at"),
        IndexModel([("school_code", ASCENDING), ("at", DESCENDING)], name="school_at"),
    ],
}


async def ensure_indexes(collections: Collections) -> None:
    # One createIndexes command per index: FerretDB 1.24.2 drops the connection (a Go
    # panic, "slice bounds out of range") when one command re-creates several existing
    # indexes, which every restart does. One at a time is idempotent on both servers.
    for name, models in INDEXES.items():
        collection = getattr(collections, name)
        for model in models:
            await collection.create_indexes([model])
