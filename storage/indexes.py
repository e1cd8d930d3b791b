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
    "accounts": [IndexModel([("scope_code", ASCENDING), ("role", ASCENDING), ("_id", ASCENDING)], name="scope_role")],
    "audit": [
        IndexModel([("scope_keys", ASCENDING), ("_id", DESCENDING)], name="scope"),
        IndexModel([("actor", ASCENDING), ("_id", DESCENDING)], name="actor"),
        IndexModel([("target_type", ASCENDING), ("target_id", ASCENDING), ("_id", DESCENDING)], name="target"),
    ],
    "students": [
        # Every scoped list: one scope token (an array element), then keyset order.
        IndexModel([("scope_keys", ASCENDING), ("_id", ASCENDING)], name="scope"),
        # A school's lists by grade and class (the registrar's and the department's daily view).
        IndexModel([("school_code", ASCENDING), ("grade", ASCENDING), ("class_name", ASCENDING), ("_id", ASCENDING)], name="class"),
        IndexModel([("dup_keys", ASCENDING)], name="dup_keys"),
        IndexModel([("state", ASCENDING), ("suspension_until", ASCENDING)], name="suspensions"),
    ],
    # `identities`, `student_numbers` and `counters` are read by `_id` only.
    "transitions": [
        IndexModel([("aggregate_id", ASCENDING), ("aggregate", ASCENDING)], name="aggregate"),
        IndexModel([("aggregate", ASCENDING), ("at", ASCENDING)], name="aggregate_at"),
    ],
    "corrections": [IndexModel([("dossier_id", ASCENDING), ("requested_at", ASCENDING)], name="dossier")],
    "section_schemas": [IndexModel([("section", ASCENDING), ("version", DESCENDING)], name="section_version")],
    "documents": [
        IndexModel([("dossier_id", ASCENDING), ("created_at", ASCENDING)], name="dossier"),
        IndexModel([("stored", ASCENDING), ("_id", ASCENDING)], name="stored"),
        IndexModel([("pending", ASCENDING)], name="pending"),
    ],
    "cases": [
        IndexModel([("dossier_id", ASCENDING), ("opened_at", ASCENDING)], name="dossier"),
        IndexModel([("scope_keys", ASCENDING), ("_id", ASCENDING)], name="scope"),
        IndexModel([("inbox_keys", ASCENDING), ("_id", ASCENDING)], name="inbox"),
        IndexModel([("state", ASCENDING), ("escalated_to", ASCENDING), ("due", ASCENDING)], name="due"),
    ],
    "reminders": [IndexModel([("scope_keys", ASCENDING), ("due", ASCENDING)], name="scope_due")],
    "fixity_runs": [
        IndexModel([("started_at", DESCENDING)], name="started"),
        IndexModel([("finished_at", ASCENDING), ("started_at", DESCENDING)], name="unfinished"),
    ],
    "section_entries": [
        IndexModel([("dossier_id", ASCENDING), ("recorded_at", ASCENDING), ("_id", ASCENDING)], name="dossier"),
        IndexModel([("dossier_id", ASCENDING), ("section", ASCENDING), ("recorded_at", ASCENDING), ("_id", ASCENDING)], name="dossier_section"),
    ],
}

# Small reference collections read whole (a few dozen documents at most).
WHOLE_READS = frozenset({"calendar_years"})


async def ensure_indexes(collections: Collections) -> None:
    # One createIndexes command per index: FerretDB 1.24.2 drops the connection (a Go
    # panic, "slice bounds out of range") when one command re-creates several existing
    # indexes, which every restart does. One at a time is idempotent on both servers.
    for name, models in INDEXES.items():
        collection = getattr(collections, name)
        for model in models:
            await collection.create_indexes([model])
