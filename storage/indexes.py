"""Every index the application relies on, declared in one place and created at start-up
(idempotent: creating an existing index with the same spec is a no-op)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    "accounts": [
        IndexModel([("scope_code", ASCENDING), ("role", ASCENDING), ("_id", ASCENDING)], name="scope_role"),
        IndexModel([("scope_code", ASCENDING), ("_id", ASCENDING)], name="scope"),  # the accounts of one school or area
    ],
    "audit": [
        IndexModel([("scope_keys", ASCENDING), ("_id", DESCENDING)], name="scope"),
        IndexModel([("actor", ASCENDING), ("_id", DESCENDING)], name="actor"),
        # An auditor's filter by target id (its type, if given, is checked on what it yields), or by type alone.
        IndexModel([("target_id", ASCENDING), ("_id", DESCENDING)], name="target_id"),
        IndexModel([("target_type", ASCENDING), ("_id", DESCENDING)], name="target_type"),
        # The hash chains: one event per (chain, seq), whoever inserts it first.
        IndexModel([("chain", ASCENDING), ("seq", ASCENDING)], name="chain_seq", unique=True),
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
        IndexModel([("aggregate", ASCENDING), ("day", ASCENDING)], name="aggregate_day"),
        # What a request created: a resumed bulk intake finds a row's dossier by it.
        IndexModel([("request_id", ASCENDING), ("aggregate", ASCENDING), ("version", ASCENDING)], name="request"),
    ],
    # The change feed (storage/change_feed.py): one number per change, whoever inserts it
    # first; a scope's pages by block (dense scopes) or by range (sparse ones); the sweep by day.
    "changes": [
        IndexModel([("seq", ASCENDING)], name="seq", unique=True),
        IndexModel([("scope_keys", ASCENDING), ("block", ASCENDING), ("seq", ASCENDING)], name="scope_block"),
        IndexModel([("scope_keys", ASCENDING), ("seq", ASCENDING)], name="scope_seq"),
        IndexModel([("day", ASCENDING)], name="day"),
    ],
    "corrections": [IndexModel([("dossier_id", ASCENDING), ("requested_at", ASCENDING)], name="dossier")],
    "section_schemas": [IndexModel([("section", ASCENDING), ("version", DESCENDING)], name="section_version")],
    "documents": [
        IndexModel([("dossier_id", ASCENDING), ("created_at", ASCENDING)], name="dossier"),
        IndexModel([("stored", ASCENDING), ("_id", ASCENDING)], name="stored"),
        IndexModel([("pending", ASCENDING)], name="pending"),
        # An archivist's lists (legal holds, withdrawals) and stuck uploads, by one scope token.
        IndexModel([("scope_keys", ASCENDING), ("legal_hold", ASCENDING), ("_id", ASCENDING)], name="scope_legal_hold"),
        IndexModel([("scope_keys", ASCENDING), ("withdrawn", ASCENDING), ("_id", ASCENDING)], name="scope_withdrawn"),
        IndexModel([("scope_keys", ASCENDING), ("pending", ASCENDING), ("pending_since", ASCENDING)], name="scope_pending"),
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
    # The last finished reconcile run (its orphan counts). `fixity_checks` is read by `_id`
    # only; `evidence_orphans` is written by the sweep and read by no query.
    "reconcile_runs": [IndexModel([("finished", ASCENDING), ("started_at", DESCENDING)], name="finished")],
    # Bulk intake: a job's rows, claims, runs and results by job; a school's jobs; unfinished jobs.
    "intake_jobs": [
        IndexModel([("school_code", ASCENDING), ("_id", ASCENDING)], name="school"),
        IndexModel([("state", ASCENDING), ("_id", ASCENDING)], name="state"),
    ],
    "intake_rows": [IndexModel([("job_id", ASCENDING), ("_id", ASCENDING)], name="job")],
    "intake_runs": [IndexModel([("job_id", ASCENDING)], name="job")],
    "intake_claims": [IndexModel([("job_id", ASCENDING)], name="job")],
    "intake_results": [IndexModel([("job_id", ASCENDING), ("_id", ASCENDING)], name="job")],
    # Term re-verification: campaigns by the area above their department (departments and
    # auditors) or by school (registrars), open ones (the daily job); results by campaign,
    # overdue ones (the daily job) and those escalated to a department (its inbox).
    "reverifications": [
        IndexModel([("area_keys", ASCENDING), ("_id", ASCENDING)], name="area"),
        IndexModel([("school_codes", ASCENDING), ("_id", ASCENDING)], name="school"),
        IndexModel([("state", ASCENDING), ("_id", ASCENDING)], name="state"),
    ],
    "reverification_schools": [
        IndexModel([("campaign_id", ASCENDING), ("_id", ASCENDING)], name="campaign"),
        IndexModel([("escalates_after", ASCENDING)], name="escalates_after"),
        IndexModel([("escalated_to", ASCENDING), ("_id", ASCENDING)], name="escalated"),
    ],
    "section_entries": [
        IndexModel([("dossier_id", ASCENDING), ("_id", ASCENDING)], name="dossier"),
        IndexModel([("dossier_id", ASCENDING), ("section", ASCENDING), ("_id", ASCENDING)], name="dossier_section"),
    ],
    # The year-end change (Art. 17): a plan's moves, events and outcomes by plan; `promotion_plans`
    # is read by `_id` only. The primary graduates not placed in time, by the area of their school
    # (students: `school_code` alone is served by the "class" index).
    "promotion_items": [IndexModel([("plan_id", ASCENDING)], name="plan")],
    "promotion_events": [IndexModel([("plan_id", ASCENDING)], name="plan"), IndexModel([("event", ASCENDING)], name="event")],
    "promotion_outcomes": [IndexModel([("plan_id", ASCENDING)], name="plan")],
    # Archive handovers after a transfer: a scope's or a school's list (optionally by
    # state), the overdue ones (the daily job), an area's by deadline (the compliance report).
    "archive_handovers": [
        IndexModel([("scope_keys", ASCENDING), ("_id", ASCENDING)], name="scope"),
        IndexModel([("scope_keys", ASCENDING), ("state", ASCENDING), ("_id", ASCENDING)], name="scope_state"),
        IndexModel([("state", ASCENDING), ("escalated_to", ASCENDING), ("due", ASCENDING)], name="due"),
        IndexModel([("scope_keys", ASCENDING), ("due", ASCENDING)], name="scope_due"),
    ],
    # Export requests (Art. 24): a requester's own, and those of the departments in an area;
    # `export_links` are read by `_id` only.
    "export_requests": [
        IndexModel([("requester", ASCENDING), ("_id", ASCENDING)], name="requester"),
        IndexModel([("area_keys", ASCENDING), ("_id", ASCENDING)], name="area"),
    ],
    "school_handovers": [IndexModel([("state", ASCENDING), ("_id", ASCENDING)], name="state")],
    "school_handover_items": [IndexModel([("handover_id", ASCENDING), ("state", ASCENDING), ("_id", ASCENDING)], name="handover_state")],
}
INDEXES["students"] += [
    IndexModel([(field, ASCENDING), ("state", ASCENDING), ("_id", ASCENDING), ("placement_due", ASCENDING)], name=f"promotion_unplaced_{field}")
    for field in ("area_code", "city_code", "province_code")
]

# Collections whose name differs from their attribute in `Collections`.
COLLECTION_ATTRIBUTES = {"audit_events": "audit"}

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


# -- which declared index serves a query shape (checked by a test for MongoDB) -----------

RANGE_OPERATORS = frozenset({"$gt", "$gte", "$lt", "$lte", "$ne", "$in", "$nin", "$not", "$exists", "$regex"})


@dataclass(frozen=True)
class QueryShape:
    """What a query asks of an index: fields compared for equality, the sort, and fields
    compared by range (or by an operator an index can only scan through)."""

    collection: str
    equality: frozenset[str]
    sort: tuple[tuple[str, int], ...]
    ranges: frozenset[str]

    @classmethod
    def of(cls, collection: str, filter: dict[str, Any], sort: dict[str, int] | None = None) -> QueryShape:
        equality: set[str] = set()
        ranges: set[str] = set()
        for field_name, value in filter.items():
            if field_name == "$and":
                for part in value:
                    inner = cls.of(collection, part)
                    equality |= inner.equality
                    ranges |= inner.ranges
            elif field_name.startswith("$"):
                ranges.add(field_name)  # $or and friends: no index serves them here
            elif isinstance(value, dict) and any(k.startswith("$") for k in value):
                (equality if set(value) == {"$eq"} else ranges).add(field_name)
            else:
                equality.add(field_name)
        return cls(collection, frozenset(equality), tuple((sort or {}).items()), frozenset(ranges - equality))


def _index_fields(model: IndexModel) -> list[tuple[str, int]]:
    return [(k, int(v)) for k, v in model.document["key"].items()]


def serving_index(shape: QueryShape) -> str | None:
    """The name of a declared index that serves the shape by the equality-sort-range rule:
    a prefix of equality fields (at least one, or none when the index starts with the
    sort), then the sort fields in order (one direction, or all reversed), then ranges.
    Equality fields outside the index are checked on the documents it yields. "_id" when
    the default `_id` index serves it; None when nothing does (a collection scan or an
    in-memory sort)."""
    if "$or" in shape.ranges:
        return None
    if "_id" in shape.equality:
        return "_id"
    declared = INDEXES.get(COLLECTION_ATTRIBUTES.get(shape.collection, shape.collection), [])
    candidates = [("_id", [("_id", 1)])] + [(str(m.document["name"]), _index_fields(m)) for m in declared]
    for name, fields in candidates:
        i, used_equality = 0, False
        while i < len(fields) and fields[i][0] in shape.equality:
            i, used_equality = i + 1, True
        sort_ok = True
        if shape.sort:
            wanted = list(shape.sort)
            given = fields[i : i + len(wanted)]
            same = [(f, d) for f, d in given] == wanted
            reversed_ = [(f, -d) for f, d in given] == wanted
            sort_ok = same or reversed_
            if sort_ok:
                i += len(wanted)
        if not sort_ok:
            continue
        if used_equality or (shape.sort and not shape.equality):
            return name
        if not shape.sort and i < len(fields) and fields[i][0] in shape.ranges:
            return name
    return None
