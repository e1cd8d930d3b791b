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
    "students": [
        IndexModel([("numbers", ASCENDING)], name="numbers"),  # current number and aliases
        IndexModel([("school_code", ASCENDING), ("_id", ASCENDING)], name="school"),
        IndexModel([("school_code", ASCENDING), ("grade", ASCENDING), ("class_name", ASCENDING)], name="class"),
        IndexModel([("name", ASCENDING)], name="name"),
        IndexModel([("dup_keys", ASCENDING)], name="dup_keys"),
        IndexModel([("complete", ASCENDING), ("complete_by", ASCENDING)], name="completeness"),
        IndexModel([("verification", ASCENDING), ("school_code", ASCENDING)], name="verification"),
        IndexModel([("former_school_codes", ASCENDING)], name="former_schools"),
        IndexModel([("attending_school_code", ASCENDING)], name="attending_school"),
        IndexModel([("state", ASCENDING), ("suspension_until", ASCENDING)], name="suspensions"),
    ],
    # `identities` and `counters` are keyed by `_id`: the unique index every server has.
    "dossier_history": [IndexModel([("dossier_id", ASCENDING), ("at", ASCENDING)], name="dossier_at")],
    "corrections": [IndexModel([("dossier_id", ASCENDING), ("requested_at", ASCENDING)], name="dossier")],
    "section_schemas": [IndexModel([("section", ASCENDING), ("version", DESCENDING)], name="section_version")],
    "documents": [
        IndexModel([("dossier_id", ASCENDING), ("created_at", ASCENDING)], name="dossier"),
        IndexModel([("stored", ASCENDING), ("_id", ASCENDING)], name="stored"),
        IndexModel([("versions.state", ASCENDING)], name="version_state"),
    ],
    "cases": [
        IndexModel([("dossier_id", ASCENDING), ("opened_at", ASCENDING)], name="dossier"),
        IndexModel([("school_codes", ASCENDING), ("_id", ASCENDING)], name="schools"),
        IndexModel([("state", ASCENDING), ("awaiting", ASCENDING)], name="inbox"),
        IndexModel([("state", ASCENDING), ("escalated_to", ASCENDING)], name="escalated"),
        IndexModel([("state", ASCENDING), ("due", ASCENDING)], name="due"),
    ],
    "reminders": [IndexModel([("school_code", ASCENDING), ("due", ASCENDING)], name="school_due")],
    "fixity_runs": [IndexModel([("started_at", DESCENDING)], name="started")],
    "section_entries": [IndexModel([("dossier_id", ASCENDING), ("section", ASCENDING)], name="dossier_section")],
}


async def ensure_indexes(collections: Collections) -> None:
    # One createIndexes command per index: FerretDB 1.24.2 drops the connection (a Go
    # panic, "slice bounds out of range") when one command re-creates several existing
    # indexes, which every restart does. One at a time is idempotent on both servers.
    for name, models in INDEXES.items():
        collection = getattr(collections, name)
        for model in models:
            await collection.create_indexes([model])
