"""A school's own details: its contact and where its paper archive is kept (Art. 9)."""

from __future__ import annotations

from domain.access import ROLE_CODES, require_school_maintainer
from domain.error_codes import declared
from domain.errors import DomainError, NotFound
from domain.jurisdiction import School
from domain.text import TEXT_CODES, clean_text, identifier

from application.session import Session

MAX_TEXT = 200
UPDATE_SCHOOL_CONTACT_CODES = declared("NOT_FOUND", *ROLE_CODES, *TEXT_CODES, "NOTHING_TO_CHANGE", "VALUE_TOO_LONG")


def contact_changes(address: str | None, phone: str | None, paper_archive_location: str | None) -> dict[str, str]:
    """The details given, cleaned, by their GraphQL names; at least one."""
    given = {
        name: clean_text(name, value, max_length=None)
        for name, value in (("address", address), ("phone", phone), ("paperArchiveLocation", paper_archive_location))
        if value is not None
    }
    if not given:
        raise DomainError(None, "give at least one of address, phone, paperArchiveLocation", "NOTHING_TO_CHANGE")
    for name, value in given.items():
        if len(value) > MAX_TEXT:
            raise DomainError(name, f"at most {MAX_TEXT} characters", "VALUE_TOO_LONG")
    return given


async def update_contact(session: Session, code: str, given: dict[str, str]) -> tuple[School, School]:
    """The school before and after: its registrar or its supervising department changes it."""
    school = await session.stores.schools.get(identifier(code), session.school_scope)
    if school is None:
        raise NotFound("code", "school")
    require_school_maintainer(session.account, school)
    updated = await session.stores.schools.update_contact(
        school.code,
        session.stamp(),
        address=given.get("address"),
        phone=given.get("phone"),
        paper_archive_location=given.get("paperArchiveLocation"),
    )
    assert updated is not None
    return school, updated
