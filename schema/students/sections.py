"""Archive sections (2)-(6) of Art. 6: entries validated against versioned schemas that the
province publishes (R-B6)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from application import sections
from application.sections import ADD_SECTION_ENTRY_CODES, PUBLISH_SECTION_SCHEMA_CODES
from domain.sections import Section
from schema.context import Info
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited
from schema.docs import describe_error
from schema.students.types import SectionEntry, SectionType


@strawberry.enum(description="Stable codes of publishSectionSchema errors: exactly the ones it can return.")
class PublishSectionSchemaErrorCode(ErrorCode, codes=(*PUBLISH_SECTION_SCHEMA_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of addSectionEntry errors: exactly the ones it can return.")
class AddSectionEntryErrorCode(ErrorCode, codes=(*ADD_SECTION_ENTRY_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="A new version of an archive section's schema.")
class PublishSectionSchemaInput:
    section: SectionType = strawberry.field(description="The archive section the schema is for.")  # type: ignore[valid-type]
    schema: JSON = strawberry.field(description="A JSON Schema (draft 2020-12) describing one entry (an object).")


@strawberry.type(description="The schema was published; new entries of the section must satisfy it.")
class PublishSectionSchemaSuccess:
    section: SectionType = strawberry.field(description="The archive section.")  # type: ignore[valid-type]
    version: int = strawberry.field(description="The version number it was published as (the previous one + 1).")


@strawberry.type
class PublishSectionSchemaError:
    field: str | None
    message: str
    code: PublishSectionSchemaErrorCode


PublishSectionSchemaResult = Annotated[
    PublishSectionSchemaSuccess | PublishSectionSchemaError, strawberry.union("PublishSectionSchemaResult", description="What `publishSectionSchema` returns: the published version, or the typed error.")
]
describe_error(PublishSectionSchemaError, "publishSectionSchema")


@strawberry.input(description="A new entry of an archive section of one dossier.")
class AddSectionEntryInput:
    number: str = strawberry.field(description="The student number (or an alias).")
    section: SectionType = strawberry.field(description="The archive section (Art. 6 (2)-(6)).")  # type: ignore[valid-type]
    data: JSON = strawberry.field(
        description="The entry, valid against the section's current schema. Strings are one line (`description` "
        "may have line breaks), without control characters, at most 2000 characters."
    )


@strawberry.type(description="The entry was recorded, with the schema version that validated it.")
class AddSectionEntrySuccess:
    entry: SectionEntry = strawberry.field(description="The recorded entry.")


@strawberry.type
class AddSectionEntryError:
    field: str | None
    message: str
    code: AddSectionEntryErrorCode


AddSectionEntryResult = Annotated[AddSectionEntrySuccess | AddSectionEntryError, strawberry.union("AddSectionEntryResult", description="What `addSectionEntry` returns: the recorded entry, or the typed error.")]
describe_error(AddSectionEntryError, "addSectionEntry")


@strawberry.type
class SectionMutations:
    @strawberry.mutation(
        description="The province department (省级统筹, Art. 3) publishes a new version of a section's schema, so a field "
        "can be added without a code change (R-B6). Earlier entries keep the version they were validated with."
    )
    async def publish_section_schema(
        self, info: Info, input: Annotated[PublishSectionSchemaInput, strawberry.argument(description="The schema to publish.")]
    ) -> PublishSectionSchemaResult:
        ctx = info.context
        section = Section(input.section)

        async def body() -> Outcome[PublishSectionSchemaSuccess]:
            version = await sections.publish_schema(ctx, section, input.schema)
            return Outcome(PublishSectionSchemaSuccess(section=section, version=version), details={"version": version})

        return await audited(
            ctx,
            action="mutation:publishSectionSchema",
            target=("section", section.value),
            errors=(PublishSectionSchemaError, PublishSectionSchemaErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="Add an entry to an archive section of a dossier (Art. 6 (2)-(6)), by the registrar of the "
        "student's school; it must satisfy the section's current schema."
    )
    async def add_section_entry(
        self, info: Info, input: Annotated[AddSectionEntryInput, strawberry.argument(description="The entry to record.")]
    ) -> AddSectionEntryResult:
        ctx = info.context
        section = Section(input.section)

        async def body() -> Outcome[AddSectionEntrySuccess]:
            entry, school = await sections.add_entry(ctx, input.number, section, input.data)
            return Outcome(
                AddSectionEntrySuccess(entry=SectionEntry.of(entry)),
                school_code=school.code,
                details={"section": section.value, "schemaVersion": entry.schema_version},
            )

        return await audited(
            ctx,
            action="mutation:addSectionEntry",
            target=("student", input.number),
            errors=(AddSectionEntryError, AddSectionEntryErrorCode),
            body=body,
        )
