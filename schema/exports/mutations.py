"""Requesting a bulk export and deciding it (Art. 24: 非经学籍主管教育行政部门书面批准，学籍信息
一律不得向外提供). The written approval is attached with POST /uploads?exportRequest=ID."""

from __future__ import annotations

from typing import Annotated

import strawberry

from application import exports as usecases
from schema.context import Info
from schema.docs import describe_error
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited
from schema.exports.types import ExportFieldType, ExportFormatType, ExportRequest
from schema.students.types import StudentStateType


@strawberry.enum(description="Stable codes of requestExport errors: exactly the ones it can return.")
class RequestExportErrorCode(ErrorCode, codes=(*usecases.REQUEST_EXPORT_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of approveExport errors: exactly the ones it can return.")
class ApproveExportErrorCode(ErrorCode, codes=(*usecases.DECIDE_EXPORT_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="A bulk export of dossiers for a stated purpose: one school or one area, the fields wanted.")
class RequestExportInput:
    purpose: str = strawberry.field(description="What the export is for and who receives it (up to 2,000 characters).")
    school_code: str | None = strawberry.field(
        default=None, description="One school (学校标识码); give this or `areaCode`. A registrar gives its own school."
    )
    area_code: str | None = strawberry.field(
        default=None, description="One area within yours (6-digit division code), for departments; or `schoolCode`."
    )
    grade: int | None = strawberry.field(default=None, description="Only students of this grade (1-9).")
    student_state: StudentStateType | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only students in this status state."
    )
    fields: list[ExportFieldType] = strawberry.field(description="The fields wanted, at least one.")  # type: ignore[valid-type]
    full_fields: list[ExportFieldType] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list, description="Identifiers among `fields` wanted unmasked; the approval must name them too."
    )
    format: ExportFormatType = strawberry.field(description="XLSX or CSV.")  # type: ignore[valid-type]


@strawberry.type(description="The request is recorded; attach the written approval, then the department decides.")
class RequestExportSuccess:
    request: ExportRequest = strawberry.field(description="The new request, REQUESTED.")


@strawberry.type
class RequestExportError:
    field: str | None
    message: str
    code: RequestExportErrorCode


RequestExportResult = Annotated[
    RequestExportSuccess | RequestExportError,
    strawberry.union("RequestExportResult", description="What `requestExport` returns: the request, or the typed error."),
]
describe_error(RequestExportError, "requestExport")


@strawberry.input(description="The department's decision on an export request (Art. 24).")
class ApproveExportInput:
    id: strawberry.ID = strawberry.field(description="The request's id.")
    approve: bool = strawberry.field(description="True approves (the written approval must be attached); false refuses.")
    fields: list[ExportFieldType] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The fields approved, among those requested; null approves all of them."
    )
    full_fields: list[ExportFieldType] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The identifiers given unmasked, among those asked for in full; null gives none."
    )
    reason: str | None = strawberry.field(default=None, description="Why; required to refuse (up to 2,000 characters).")


@strawberry.type(description="The request is approved or refused; the decision is in the audit trail.")
class ApproveExportSuccess:
    request: ExportRequest = strawberry.field(description="The request as decided.")


@strawberry.type
class ApproveExportError:
    field: str | None
    message: str
    code: ApproveExportErrorCode


ApproveExportResult = Annotated[
    ApproveExportSuccess | ApproveExportError,
    strawberry.union("ApproveExportResult", description="What `approveExport` returns: the decided request, or the typed error."),
]
describe_error(ApproveExportError, "approveExport")


@strawberry.type
class ExportMutations:
    @strawberry.mutation(
        description="A registrar (its own school) or a department (a school it sees, an area within its own) asks for a "
        "bulk export of dossiers for a stated purpose (Art. 24, R-A6)."
    )
    async def request_export(
        self, info: Info, input: Annotated[RequestExportInput, strawberry.argument(description="What is asked for.")]
    ) -> RequestExportResult:
        ctx = info.context

        async def body() -> Outcome[RequestExportSuccess]:
            ask = usecases.ExportAsk(
                purpose=input.purpose,
                school_code=input.school_code,
                area_code=input.area_code,
                grade=input.grade,
                state=input.student_state,
                fields=tuple(input.fields),
                full_fields=tuple(input.full_fields),
                format=input.format,
            )
            request = await usecases.request_export(ctx, ask)
            details = {"id": request.id, "fields": [f.value for f in request.fields], "department": request.department_code}
            return Outcome(RequestExportSuccess(request=ExportRequest(request=request)), school_code=request.scope.filed_under, details=details)

        return await audited(
            ctx,
            action="mutation:requestExport",
            target=("export_request", input.school_code or input.area_code or "-"),
            errors=(RequestExportError, RequestExportErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="The department in charge of the export's records (学籍主管部门) approves it, naming the fields and the "
        "identifiers given in full, or refuses it with the reason; never the requester (Art. 24)."
    )
    async def approve_export(
        self, info: Info, input: Annotated[ApproveExportInput, strawberry.argument(description="The decision on the request.")]
    ) -> ApproveExportResult:
        ctx = info.context

        async def body() -> Outcome[ApproveExportSuccess]:
            decided = await usecases.decide_export(
                ctx,
                str(input.id),
                approve=input.approve,
                fields=None if input.fields is None else tuple(input.fields),
                full_fields=None if input.full_fields is None else tuple(input.full_fields),
                reason=input.reason,
            )
            details = {
                "state": decided.state.value,
                "fields": [f.value for f in decided.approved_fields],
                "full_fields": [f.value for f in decided.approved_full_fields],
            }
            return Outcome(ApproveExportSuccess(request=ExportRequest(request=decided)), school_code=decided.scope.filed_under, details=details)

        return await audited(
            ctx,
            action="mutation:approveExport",
            target=("export_request", str(input.id)),
            errors=(ApproveExportError, ApproveExportErrorCode),
            body=body,
        )
