"""The MongoDB connection (PyMongo's async API) and the collections we use.

Only what both FerretDB 1.24 and MongoDB 7+ support is used: inserts that fail on a
duplicate `_id` (the one atomic primitive both share: see `storage/transitions.py`),
plain and unique indexes, equality filters; no transactions, no conditional update that
must win once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]


def connect(uri: str, *, app_name: str = "xueji-archive", **options: Any) -> AsyncMongoClient[Doc]:
    options = {"serverSelectionTimeoutMS": 5000, "connectTimeoutMS": 3000, **options}
    return AsyncMongoClient(uri, appname=app_name, tz_aware=True, **options)


@dataclass(frozen=True)
class Collections:
    areas: AsyncCollection[Doc]
    schools: AsyncCollection[Doc]
    accounts: AsyncCollection[Doc]
    audit: AsyncCollection[Doc]
    audit_heads: AsyncCollection[Doc]
    audit_checkpoints: AsyncCollection[Doc]
    students: AsyncCollection[Doc]
    identities: AsyncCollection[Doc]
    counters: AsyncCollection[Doc]
    transitions: AsyncCollection[Doc]
    changes: AsyncCollection[Doc]
    student_numbers: AsyncCollection[Doc]
    corrections: AsyncCollection[Doc]
    section_schemas: AsyncCollection[Doc]
    section_entries: AsyncCollection[Doc]
    documents: AsyncCollection[Doc]
    fixity_runs: AsyncCollection[Doc]
    fixity_checks: AsyncCollection[Doc]
    reconcile_runs: AsyncCollection[Doc]
    evidence_orphans: AsyncCollection[Doc]
    cases: AsyncCollection[Doc]
    calendar_years: AsyncCollection[Doc]
    reminders: AsyncCollection[Doc]
    persisted_operations: AsyncCollection[Doc]
    intake_jobs: AsyncCollection[Doc]
    intake_rows: AsyncCollection[Doc]
    intake_runs: AsyncCollection[Doc]
    intake_claims: AsyncCollection[Doc]
    intake_results: AsyncCollection[Doc]
    reverifications: AsyncCollection[Doc]
    reverification_schools: AsyncCollection[Doc]
    promotion_plans: AsyncCollection[Doc]
    promotion_items: AsyncCollection[Doc]
    promotion_events: AsyncCollection[Doc]
    promotion_outcomes: AsyncCollection[Doc]
    archive_handovers: AsyncCollection[Doc]
    export_requests: AsyncCollection[Doc]
    export_links: AsyncCollection[Doc]
    school_handovers: AsyncCollection[Doc]
    school_handover_items: AsyncCollection[Doc]

    @classmethod
    def of(cls, db: AsyncDatabase[Doc]) -> Collections:
        return cls(
            areas=db["areas"],
            schools=db["schools"],
            accounts=db["accounts"],
            audit=db["audit_events"],
            audit_heads=db["audit_heads"],
            audit_checkpoints=db["audit_checkpoints"],
            students=db["students"],
            identities=db["identities"],
            counters=db["counters"],
            transitions=db["transitions"],
            changes=db["changes"],
            student_numbers=db["student_numbers"],
            corrections=db["corrections"],
            section_schemas=db["section_schemas"],
            section_entries=db["section_entries"],
            documents=db["documents"],
            fixity_runs=db["fixity_runs"],
            fixity_checks=db["fixity_checks"],
            reconcile_runs=db["reconcile_runs"],
            evidence_orphans=db["evidence_orphans"],
            cases=db["cases"],
            calendar_years=db["calendar_years"],
            reminders=db["reminders"],
            persisted_operations=db["persisted_operations"],
            intake_jobs=db["intake_jobs"],
            intake_rows=db["intake_rows"],
            intake_runs=db["intake_runs"],
            intake_claims=db["intake_claims"],
            intake_results=db["intake_results"],
            reverifications=db["reverifications"],
            reverification_schools=db["reverification_schools"],
            promotion_plans=db["promotion_plans"],
            promotion_items=db["promotion_items"],
            promotion_events=db["promotion_events"],
            promotion_outcomes=db["promotion_outcomes"],
            archive_handovers=db["archive_handovers"],
            export_requests=db["export_requests"],
            export_links=db["export_links"],
            school_handovers=db["school_handovers"],
            school_handover_items=db["school_handover_items"],
        )
