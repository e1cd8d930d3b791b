"""Archive sections (2)-(6) of Art. 6: entries validated against versioned schemas that the
province publishes (R-B6)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from domain import access
from domain.errors import DomainError
from domain.ports import SectionEntry as DomainSectionEntry
from domain.ports import SectionSchema as DomainSectionSchema
from domain.sections import Section, check_schema, clean_entry, validate_entry
from schema.context import Info
from schema.errors import Outcome, audited, error_codes
from schema.students import usecases
from schema.students.types import SectionEntry, SectionType

PublishSectionSchemaErrorCode = error_codes("PublishSectionSchemaErrorCode", "INVALID_SCHEMA", "CONFLICT")
AddSectionEntryErrorCode = error_codes(
    "AddSectionEntryErrorCode", "INVALID_STUDENT_NUMBER", "SECTION_ENTRY_INVALID", "NO_SCHEMA", "INVALID_VALUE"
)


def entry_id(recorded_at: datetime) -> str:
    """Entry ids sort by the time of recording, so a dossier's entries page in that order."""
    return f"{recorded_at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"


@strawberry.input
class PublishSectionSchemaInput:
    section: SectionType  # type: ignore[valid-type]
    schema: JSON = strawberry.field(description="A JSON Schema (draft 2020-12) describing one entry (an object).")


@strawberry.type
class PublishSectionSchemaSuccess:
    section: SectionType  # type: ignore[valid-type]
    version: int


@strawberry.type
class PublishSectionSchemaError:
    field: str | None
    message: str
    code: PublishSectionSchemaErrorCode  # type: ignore[valid-type]


PublishSectionSchemaResult = Annotated[
    PublishSectionSchemaSuccess | PublishSectionSchemaError, strawberry.union("PublishSectionSchemaResult")
]


@strawberry.input
class AddSectionEntryInput:
    number: str
    section: SectionType  # type: ignore[valid-type]
    data: JSON = strawberry.field(
        description="The entry, valid against the section's current schema. Strings are one line (`description` "
        "may have line breaks), without control characters, at most 2000 characters."
    )


@strawberry.type
class AddSectionEntrySuccess:
    entry: SectionEntry


@strawberry.type
class AddSectionEntryError:
    field: str | None
    message: str
    code: AddSectionEntryErrorCode  # type: ignore[valid-type]


AddSectionEntryResult = Annotated[AddSectionEntrySuccess | AddSectionEntryError, strawberry.union("AddSectionEntryResult")]


@strawberry.type
class SectionMutations:
    @strawberry.mutation(description="The province publishes a new version of a section's schema (no code change).")
    async def publish_section_schema(self, info: Info, input: PublishSectionSchemaInput) -> PublishSectionSchemaResult:
        ctx = info.context
        section = Section(input.section)

        async def body() -> Outcome[PublishSectionSchemaSuccess]:
            access.require_schema_publisher(ctx.account)
            schema = cast(dict[str, Any], input.schema)
            if not isinstance(schema, dict):
                raise DomainError("schema", "a JSON Schema is an object", "INVALID_SCHEMA")
            check_schema(schema)
            latest = await ctx.stores.sections.latest(section)
            version = (latest.version if latest else 0) + 1
            published = DomainSectionSchema(section, version, schema, ctx.account.login, datetime.now(UTC))
            if not await ctx.stores.sections.publish(published):
                raise DomainError("section", "another version was published meanwhile; reload", "CONFLICT")
            return Outcome(PublishSectionSchemaSuccess(section=section, version=version), details={"version": version})

        return await audited(
            ctx,
            action="mutation:publishSectionSchema",
            target=("section", section.value),
            errors=(PublishSectionSchemaError, PublishSectionSchemaErrorCode),
            body=body,
        )

    @strawberry.mutation(description="Add an entry to an archive section of a dossier (the school's registrar).")
    async def add_section_entry(self, info: Info, input: AddSectionEntryInput) -> AddSectionEntryResult:
        ctx = info.context
        section = Section(input.section)

        async def body() -> Outcome[AddSectionEntrySuccess]:
            row, school = await usecases.student_in_scope(ctx, input.number)
            access.require_school_registrar(ctx.account, school)
            schema = await ctx.stores.sections.latest(section)
            if schema is None:
                raise DomainError("section", "this section has no published schema", "NO_SCHEMA")
            data = clean_entry(input.data)
            validate_entry(section, schema.version, schema.schema, data)
            now = datetime.now(UTC)
            entry = DomainSectionEntry(
                id=entry_id(now),
                dossier_id=row.dossier.id,
                section=section,
                schema_version=schema.version,
                data=cast(dict[str, Any], data),
                recorded_by=ctx.account.login,
                recorded_at=now,
            )
            await ctx.stores.sections.add_entry(entry)
            return Outcome(
                AddSectionEntrySuccess(entry=SectionEntry.of(entry)),
                school_code=school.code,
                details={"section": section.value, "schemaVersion": schema.version},
            )

        return await audited(
            ctx,
            action="mutation:addSectionEntry",
            target=("student", input.number),
            errors=(AddSectionEntryError, AddSectionEntryErrorCode),
            body=body,
        )
