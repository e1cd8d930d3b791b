"""Maintaining a school's contact details and paper-archive location (Art. 9)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.access import ROLE_CODES, require_school_maintainer
from domain.error_codes import declared
from domain.errors import DomainError, NotFound
from domain.text import TEXT_CODES, clean_text, identifier
from schema.context import Info
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited
from schema.jurisdiction.types import School
from schema.docs import describe_error

UPDATE_SCHOOL_CONTACT_CODES = declared("NOT_FOUND", *ROLE_CODES, *TEXT_CODES, "NOTHING_TO_CHANGE", "VALUE_TOO_LONG")


@strawberry.enum(description="Stable codes of updateSchoolContact errors: exactly the ones it can return.")
class UpdateSchoolContactErrorCode(ErrorCode, codes=(*UPDATE_SCHOOL_CONTACT_CODES, *RACE_CODES)):
    ...


MAX_TEXT = 200


@strawberry.input(description="New contact details of a school; give at least one, the others stay as they are.")
class UpdateSchoolContactInput:
    code: str = strawberry.field(description="The school's 10-digit identifier (学校标识码).")
    address: str | None = strawberry.field(default=None, description="The postal address, one line of at most 200 characters.")
    phone: str | None = strawberry.field(default=None, description="The contact phone, one line of at most 200 characters.")
    paper_archive_location: str | None = strawberry.field(
        default=None, description="Where the paper archive files are kept (room, cabinet)."
    )


@strawberry.type(description="The contact details were changed; before and after are in the audit trail.")
class UpdateSchoolContactSuccess:
    school: School = strawberry.field(description="The school as it now is.")


@strawberry.type
class UpdateSchoolContactError:
    field: str | None
    message: str
    code: UpdateSchoolContactErrorCode


UpdateSchoolContactResult = Annotated[UpdateSchoolContactSuccess | UpdateSchoolContactError, strawberry.union("UpdateSchoolContactResult", description="What `updateSchoolContact` returns: the updated school, or the typed error.")]
describe_error(UpdateSchoolContactError, "updateSchoolContact")


def _check(input: UpdateSchoolContactInput) -> dict[str, str]:
    given = {
        name: clean_text(name, value, max_length=None)
        for name, value in (
            ("address", input.address),
            ("phone", input.phone),
            ("paperArchiveLocation", input.paper_archive_location),
        )
        if value is not None
    }
    if not given:
        raise DomainError(None, "give at least one of address, phone, paperArchiveLocation", "NOTHING_TO_CHANGE")
    for name, value in given.items():
        if len(value) > MAX_TEXT:
            raise DomainError(name, f"at most {MAX_TEXT} characters", "VALUE_TOO_LONG")
    return given


@strawberry.type
class JurisdictionMutations:
    @strawberry.mutation(
        description="The school's registrar or its supervising department updates its contact details and the location "
        "of its paper archive (Art. 9)."
    )
    async def update_school_contact(
        self, info: Info, input: Annotated[UpdateSchoolContactInput, strawberry.argument(description="The new details.")]
    ) -> UpdateSchoolContactResult:
        ctx = info.context

        async def body() -> Outcome[UpdateSchoolContactSuccess]:
            school = await ctx.stores.schools.get(identifier(input.code), ctx.school_scope)
            if school is None:
                raise NotFound("code", "school")
            require_school_maintainer(ctx.account, school)
            given = _check(input)
            updated = await ctx.stores.schools.update_contact(
                school.code,
                ctx.stamp(),
                address=given.get("address"),
                phone=given.get("phone"),
                paper_archive_location=given.get("paperArchiveLocation"),
            )
            assert updated is not None
            before = {"address": school.address, "phone": school.phone, "paperArchiveLocation": school.paper_archive_location}
            return Outcome(
                UpdateSchoolContactSuccess(school=School.of(updated)),
                school_code=school.code,
                details={"before": {k: before[k] for k in given}, "after": given},
            )

        return await audited(
            ctx,
            action="mutation:updateSchoolContact",
            target=("school", input.code),
            errors=(UpdateSchoolContactError, UpdateSchoolContactErrorCode),
            body=body,
        )
