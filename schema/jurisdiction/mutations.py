"""Maintaining a school's contact details and paper-archive location (Art. 9)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from application import schools
from application.schools import UPDATE_SCHOOL_CONTACT_CODES
from schema.context import Info
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited
from schema.jurisdiction.types import School
from schema.docs import describe_error


@strawberry.enum(description="Stable codes of updateSchoolContact errors: exactly the ones it can return.")
class UpdateSchoolContactErrorCode(ErrorCode, codes=(*UPDATE_SCHOOL_CONTACT_CODES, *RACE_CODES)):
    ...



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
            given = schools.contact_changes(input.address, input.phone, input.paper_archive_location)
            school, updated = await schools.update_contact(ctx, input.code, given)
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
