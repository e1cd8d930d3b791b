"""Loading the official lists of areas and schools (R-A1..R-A3): the admin only. The rules
and the writes are `application/reference_lists.py`, shared with `scripts/admin`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from domain.access import ROLE_CODES, require_admin
from domain.errors import DomainError
from domain.reference_lists import AreaRow, ListReport, RowOutcome, SchoolRow
from schema.context import Info
from schema.docs import describe_error
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited
from application import reference_lists as lists
from schema.jurisdiction.list_types import ImportAreasInput, ImportSchoolsInput, ListImportReport

IMPORT_CODES = (*ROLE_CODES, *lists.IMPORT_LIST_CODES, *RACE_CODES)
REPORT = "The per-row report when the code is ROWS_REFUSED (nothing was written); null otherwise."


@strawberry.enum(description="Stable codes of importAreas errors: exactly the ones it can return.")
class ImportAreasErrorCode(ErrorCode, codes=IMPORT_CODES):
    ...


@strawberry.enum(description="Stable codes of importSchools errors: exactly the ones it can return.")
class ImportSchoolsErrorCode(ErrorCode, codes=IMPORT_CODES):
    ...


@strawberry.type(description="The list was loaded; the report says what each row did.")
class ImportAreasSuccess:
    report: ListImportReport = strawberry.field(description="Created, changed and unchanged rows, and areas not in the list.")


@strawberry.type
class ImportAreasError:
    field: str | None
    message: str
    code: ImportAreasErrorCode
    refused_list: ListImportReport | None = strawberry.field(description=REPORT)


@strawberry.type(description="The list was loaded; the report says what each row did.")
class ImportSchoolsSuccess:
    report: ListImportReport = strawberry.field(description="Created, changed and unchanged rows, and schools not in the list.")


@strawberry.type
class ImportSchoolsError:
    field: str | None
    message: str
    code: ImportSchoolsErrorCode
    refused_list: ListImportReport | None = strawberry.field(description=REPORT)


ImportAreasResult = Annotated[
    ImportAreasSuccess | ImportAreasError,
    strawberry.union("ImportAreasResult", description="What `importAreas` returns: the report, or the typed error."),
]
ImportSchoolsResult = Annotated[
    ImportSchoolsSuccess | ImportSchoolsError,
    strawberry.union("ImportSchoolsResult", description="What `importSchools` returns: the report, or the typed error."),
]
describe_error(ImportAreasError, "importAreas")
describe_error(ImportSchoolsError, "importSchools")


def report_of(error: DomainError) -> dict[str, Any]:
    """The report a ROWS_REFUSED error carries, for the error type's `refusedList` field."""
    report = getattr(error, "report", None)
    return {"refused_list": ListImportReport.of(report) if isinstance(report, ListReport) else None}


def audit_details(report: ListReport, source: str | None) -> dict[str, Any]:
    return {
        "effectiveOn": report.effective_on.isoformat(),
        "source": source,
        **{outcome.value.lower(): report.count(outcome) for outcome in RowOutcome},
        "notInList": len(report.not_in_list),
    }


@strawberry.type
class ListMutations:
    @strawberry.mutation(
        description="The admin loads a GB/T 2260 list (areas and their names). Idempotent: an unchanged row writes "
        "nothing, a renamed area gets a new version with the effective date. With any refused row nothing is written. "
        "Areas are never deleted. Audited."
    )
    async def import_areas(
        self, info: Info, input: Annotated[ImportAreasInput, strawberry.argument(description="The list and its date.")]
    ) -> ImportAreasResult:
        ctx = info.context

        async def body() -> Outcome[ImportAreasSuccess]:
            require_admin(ctx.account)
            source = lists.check_request(len(input.rows), input.effective_on, input.source, date.today())
            rows = [AreaRow(r.row or i + 1, r.code, r.name) for i, r in enumerate(input.rows)]
            report = await lists.import_areas(ctx.stores.areas, ctx.stamp(), rows, effective_on=input.effective_on, source=source)
            return Outcome(ImportAreasSuccess(report=ListImportReport.of(report)), details=audit_details(report, source))

        return await audited(
            ctx,
            action="mutation:importAreas",
            target=("area_list", f"{len(input.rows)} rows"),
            errors=(ImportAreasError, ImportAreasErrorCode),
            body=body,
            extra=report_of,
        )

    @strawberry.mutation(
        description="The admin loads the national school list (学校名录): identifier, name, kind, public or private, "
        "county and supervising department. Idempotent: an unchanged row writes nothing; a changed name, kind, "
        "ownership or supervisor is a new version with the effective date (`School.history`). With any refused row "
        "nothing is written. Schools missing from the list are reported, never removed. Audited."
    )
    async def import_schools(
        self, info: Info, input: Annotated[ImportSchoolsInput, strawberry.argument(description="The list and its date.")]
    ) -> ImportSchoolsResult:
        ctx = info.context

        async def body() -> Outcome[ImportSchoolsSuccess]:
            require_admin(ctx.account)
            source = lists.check_request(len(input.rows), input.effective_on, input.source, date.today())
            rows = [
                SchoolRow(r.row or i + 1, r.code, r.name, r.kind, r.ownership, r.area_code, r.supervisor_code or "")
                for i, r in enumerate(input.rows)
            ]
            report = await lists.import_schools(
                ctx.stores.areas, ctx.stores.schools, ctx.stamp(), rows, effective_on=input.effective_on, source=source
            )
            return Outcome(ImportSchoolsSuccess(report=ListImportReport.of(report)), details=audit_details(report, source))

        return await audited(
            ctx,
            action="mutation:importSchools",
            target=("school_list", f"{len(input.rows)} rows"),
            errors=(ImportSchoolsError, ImportSchoolsErrorCode),
            body=body,
            extra=report_of,
        )
