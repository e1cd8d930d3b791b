"""Export requests as GraphQL types (Art. 24, R-A6)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from application import exports as usecases
from domain import exports as x
from schema.context import Info
from schema.docs import describe_values
from schema.documents.types import Document
from schema.students.types import StudentStateType

ExportFieldType = describe_values(
    strawberry.enum(
        x.ExportField,
        name="ExportField",
        description="The dossier fields an export may carry; nothing else leaves in one. NUMBER, ID_NUMBER, ADDRESS and "
        "PHONE are identifiers: masked unless the approval names them in full (R-A6).",
    ),
    {
        "NUMBER": "学籍号, the student number (an identifier: G + the ID number).",
        "NAME": "姓名, the student's name as on record.",
        "SEX": "性别, shown as 男 or 女.",
        "BIRTH_DATE": "出生日期, the birth date (ISO 8601).",
        "ID_NUMBER": "身份证件号, the identity document number (an identifier).",
        "SCHOOL_CODE": "学校标识码 of the school holding the status.",
        "GRADE": "年级, the grade (1-9).",
        "CLASS_NAME": "班级, the class as the school names it.",
        "STATE": "学籍状态, the status state (a StudentState value).",
        "ENTRY_DATE": "入学日期, the date of entry to the school.",
        "ADDRESS": "现住址, the current address (an identifier).",
        "PHONE": "联系电话, the contact phone (an identifier).",
    },
)

ExportFormatType = describe_values(
    strawberry.enum(x.ExportFormat, name="ExportFormat", description="The file format of an export."),
    {
        "XLSX": "An Excel workbook (one sheet, Chinese headers; cells are literal, never formulas).",
        "CSV": "Comma-separated UTF-8 text with a byte-order mark (Excel reads it as UTF-8).",
    },
)

ExportStateType = describe_values(
    strawberry.enum(x.ExportState, name="ExportState", description="Where an export request stands (Art. 24)."),
    {
        "REQUESTED": "Waiting for the written approval to be attached and for the department's decision.",
        "APPROVED": "Approved by the department in charge: its requester may download it.",
        "REFUSED": "Refused by the department in charge, with the reason; nothing can be downloaded.",
    },
)


@strawberry.type(description="A link to download an approved export; it works only for you, and only for minutes.")
class ExportDownloadLink:
    url: str = strawberry.field(
        description="The API path to GET with your bearer token (/exports/download?link=…); each download is audited."
    )
    expires_at: datetime = strawberry.field(description="When the link stops working (ISO 8601; 5 minutes after issue).")


@strawberry.type(
    description="A bulk export of dossiers, allowed only with the written approval of the department in charge "
    "(学籍主管教育行政部门书面批准, Art. 24): seen by its requester, the approving department and those above it."
)
class ExportRequest:
    request: strawberry.Private[x.ExportRequest]

    @strawberry.field(description="The request's id: give it to approveExport and to POST /uploads?exportRequest=.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.request.id)

    @strawberry.field(description="The login of the account that asked for the export.")
    def requester(self) -> str:
        return self.request.requester

    @strawberry.field(description="What the export is for, as the requester stated it.")
    def purpose(self) -> str:
        return self.request.purpose

    @strawberry.field(description="The school whose dossiers are exported (学校标识码), when the scope is one school.")
    def school_code(self) -> str | None:
        return self.request.scope.school_code

    @strawberry.field(description="The area whose dossiers are exported (6-digit division code), when the scope is an area.")
    def area_code(self) -> str | None:
        return self.request.scope.area_code

    @strawberry.field(description="Only students of this grade (1-9), when the request says so.")
    def grade(self) -> int | None:
        return self.request.scope.grade

    @strawberry.field(description="Only students in this status state, when the request says so.")
    def student_state(self) -> StudentStateType | None:  # type: ignore[valid-type]
        return self.request.scope.state

    @strawberry.field(description="The department that decides (its division code): the scope's 学籍主管部门.")
    def department_code(self) -> str:
        return self.request.department_code

    @strawberry.field(description="The fields the requester asked for.")
    def fields(self) -> list[ExportFieldType]:  # type: ignore[valid-type]
        return list(self.request.fields)

    @strawberry.field(description="The identifiers the requester asked for unmasked.")
    def full_fields(self) -> list[ExportFieldType]:  # type: ignore[valid-type]
        return list(self.request.full_fields)

    @strawberry.field(description="The fields the approval names; the download carries exactly these (empty until approved).")
    def approved_fields(self) -> list[ExportFieldType]:  # type: ignore[valid-type]
        return list(self.request.approved_fields)

    @strawberry.field(description="The identifiers the approval gives unmasked; every other identifier stays masked.")
    def approved_full_fields(self) -> list[ExportFieldType]:  # type: ignore[valid-type]
        return list(self.request.approved_full_fields)

    @strawberry.field(description="The file format the export is written in.")
    def format(self) -> ExportFormatType:  # type: ignore[valid-type]
        return self.request.format

    @strawberry.field(description="Where the request stands.")
    def state(self) -> ExportStateType:  # type: ignore[valid-type]
        return self.request.state

    @strawberry.field(description="When the request was made (ISO 8601).")
    def created_at(self) -> datetime:
        return self.request.created_at

    @strawberry.field(description="Who approved or refused it (login); null while undecided.")
    def decided_by(self) -> str | None:
        return self.request.decided_by

    @strawberry.field(description="When it was approved or refused (ISO 8601); null while undecided.")
    def decided_at(self) -> datetime | None:
        return self.request.decided_at

    @strawberry.field(description="The reason given with the decision (required for a refusal).")
    def decision_reason(self) -> str | None:
        return self.request.decision_reason

    @strawberry.field(
        description="The written approval documents attached (POST /uploads?exportRequest=ID&kind=APPROVAL_LETTER), "
        "oldest first; each download link of them is audited."
    )
    async def approval_documents(self, info: Info) -> list[Document]:
        found = [await info.context.stores.documents.get(d) for d in self.request.approval_documents]
        return [Document(document=d) for d in found if d is not None]

    @strawberry.field(
        description="A short-lived link to download the export: for its requester once approved, null otherwise. Each "
        "link issued and each download is audited."
    )
    async def download_url(self, info: Info) -> ExportDownloadLink | None:
        ctx = info.context
        issued = await usecases.issue_link(ctx, self.request, x.LINK_LIFETIME)
        if issued is None:
            return None
        token, expires_at = issued
        return ExportDownloadLink(url=f"/exports/download?link={token}", expires_at=expires_at)
