"""The archive sections of a dossier (Art. 6 (2)-(6)): schemas the province publishes, and
entries the student's school records against the current one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from application import students
from application.session import Session
from domain import access
from domain.access import ROLE_CODES
from domain.error_codes import declared
from domain.errors import DomainError
from domain.jurisdiction import School
from domain.ports import SectionEntry, SectionSchema
from domain.sections import ENTRY_CODES, SCHEMA_CODES, Section, check_schema, clean_entry, validate_entry

PUBLISH_SECTION_SCHEMA_CODES = declared(*ROLE_CODES, *SCHEMA_CODES, "CONFLICT")  # the province publishes
ADD_SECTION_ENTRY_CODES = declared(*students.LOOKUP_CODES, *ROLE_CODES, "NO_SCHEMA", *ENTRY_CODES)  # the school's registrar


async def publish_schema(session: Session, section: Section, schema: object) -> int:
    """A new version of the section's schema (R-B6); its version number."""
    access.require_schema_publisher(session.account)
    if not isinstance(schema, dict):
        raise DomainError("schema", "a JSON Schema is an object", "INVALID_SCHEMA")
    check_schema(schema)
    latest = await session.stores.sections.latest(section)
    version = (latest.version if latest else 0) + 1
    published = SectionSchema(section, version, cast(dict[str, Any], schema), session.account.login, datetime.now(UTC))
    if not await session.stores.sections.publish(published):
        raise DomainError("section", "another version was published meanwhile; reload", "CONFLICT")
    return version


def entry_id(recorded_at: datetime) -> str:
    """Entry ids sort by the time of recording, so a dossier's entries page in that order."""
    return f"{recorded_at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"


async def add_entry(session: Session, number: str, section: Section, data: object) -> tuple[SectionEntry, School]:
    """An entry valid against the section's current schema, by the registrar of the student's school."""
    row, school = await students.student_in_scope(session, number)
    access.require_school_registrar(session.account, school)
    schema = await session.stores.sections.latest(section)
    if schema is None:
        raise DomainError("section", "this section has no published schema", "NO_SCHEMA")
    cleaned = clean_entry(data)
    validate_entry(section, schema.version, schema.schema, cleaned)
    now = datetime.now(UTC)
    entry = SectionEntry(
        id=entry_id(now),
        dossier_id=row.dossier.id,
        section=section,
        schema_version=schema.version,
        data=cast(dict[str, Any], cleaned),
        recorded_by=session.account.login,
        recorded_at=now,
    )
    await session.stores.sections.add_entry(entry)
    return entry, school
