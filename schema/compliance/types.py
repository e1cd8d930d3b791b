"""The Art. 26 compliance report as GraphQL types (R-F2)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain import compliance as c
from schema.docs import describe_values

ComplianceFindingKindType = describe_values(
    strawberry.enum(
        c.FindingKind,
        name="ComplianceFindingKind",
        description="The failures Art. 26 lists (with Art. 24 for disclosures), as the report finds them.",
    ),
    {
        "ATTENDING_WITHOUT_DOSSIER": "Art. 26(1): a child attends without a dossier (re-verification discrepancy "
        "PRESENT_WITHOUT_DOSSIER raised in the period).",
        "CHANGE_NOT_RECORDED_IN_TIME": "Art. 26(3): a status change not recorded in time (a case step escalated as "
        "overdue in the period, or still open past its deadline).",
        "DROPOUT_NOT_REPORTED": "Art. 26(4): a dropout not reported (a LEFT_WITHOUT_CHANGE discrepancy, or an overdue "
        "dropout report).",
        "ADMITTED_WITHOUT_TRANSFER": "Art. 26(5): a child admitted without a transfer (a child without a dossier whose "
        "status is at another school, or an enrolment refused as ENROLLED_ELSEWHERE).",
        "ARCHIVE_NOT_HANDED_OVER": "Art. 26(6): an archive not handed over in time after a transfer (from the archive "
        "handovers).",
        "UNAUTHORISED_ATTEMPT": "Art. 26(7): an action refused with PERMISSION_DENIED, by an account of a school in the "
        "area.",
        "READS_OUTSIDE_PURPOSE": "Art. 24, 26(7): more full reads of dossiers by one account on one day than any "
        "business needs (more than 20).",
    },
)

ComplianceEvidenceKindType = describe_values(
    strawberry.enum(c.EvidenceKind, name="ComplianceEvidenceKind", description="What a finding's evidence link points to."),
    {
        "CASE": "A status case: read it with `case(id)`.",
        "AUDIT_EVENT": "An audit event: its id in `auditEvents` (auditors).",
        "DOCUMENT": "A scanned document: read it with `document(id)`.",
        "CORRECTION": "An Art. 10 correction: read it with `correction(id)`.",
        "DISCREPANCY": "A re-verification discrepancy, id `<campaign>:<school>:<n>`, in `reverificationSchool`.",
        "STUDENT": "A student number: read it with `student(number)`.",
        "ARCHIVE_HANDOVER": "An archive handover after a transfer: read it with `archiveHandover(id)`.",
    },
)


@strawberry.type(description="A link from a finding to the record that shows it.")
class ComplianceEvidence:
    kind: ComplianceEvidenceKindType = strawberry.field(description="What the id names.")  # type: ignore[valid-type]
    id: str = strawberry.field(description="The id or number of that record.")


@strawberry.type(description="One failure found, with its evidence.")
class ComplianceFinding:
    kind: ComplianceFindingKindType = strawberry.field(description="Which failure Art. 26 lists.")  # type: ignore[valid-type]
    label: str = strawberry.field(description="The failure in the words of Art. 26 (Chinese).")
    at: datetime = strawberry.field(description="When it happened: raised, escalated, refused or read (ISO 8601).")
    school_code: str | None = strawberry.field(description="The school it concerns (学校标识码), when known.")
    summary: str = strawberry.field(description="One line for a department head (Chinese).")
    student_number: str | None = strawberry.field(description="The student concerned (学籍号), when there is one.")
    student_name: str | None = strawberry.field(description="The student's or child's name, when there is one.")
    account: str | None = strawberry.field(description="The account whose act it is (audit trail findings).")
    evidence: list[ComplianceEvidence] = strawberry.field(description="The records that show it, to open one by one.")

    @classmethod
    def of(cls, f: c.Finding) -> ComplianceFinding:
        return cls(
            kind=f.kind, label=c.FINDING_LABELS[f.kind], at=f.at, school_code=f.school_code, summary=f.summary,
            student_number=f.student_number, student_name=f.student_name, account=f.account,
            evidence=[ComplianceEvidence(kind=e.kind, id=e.id) for e in f.evidence],
        )


@strawberry.type(description="How many findings of one kind the report has.")
class ComplianceCount:
    kind: ComplianceFindingKindType = strawberry.field(description="The kind of failure.")  # type: ignore[valid-type]
    count: int = strawberry.field(description="How many were found in the period.")


@strawberry.type(
    description="The Art. 26 compliance report of an area for a period (R-F2); also as files: GET "
    "/compliance/report.xlsx and /compliance/report.pdf?area=&from=&to=."
)
class ComplianceReport:
    area_code: str = strawberry.field(description="The area (6-digit division code).")
    start: date = strawberry.field(name="from", description="The first day of the period.")
    end: date = strawberry.field(name="to", description="The last day of the period (included).")
    generated_at: datetime = strawberry.field(description="When the report was made (ISO 8601).")
    counts: list[ComplianceCount] = strawberry.field(description="The number of findings of every kind, zeros included.")
    findings: list[ComplianceFinding] = strawberry.field(description="Every finding, by kind, then oldest first.")

    @classmethod
    def of(cls, r: c.ComplianceReport) -> ComplianceReport:
        return cls(
            area_code=r.area_code, start=r.period.start, end=r.period.end, generated_at=r.generated_at,
            counts=[ComplianceCount(kind=k, count=sum(1 for f in r.findings if f.kind is k)) for k in c.FindingKind],
            findings=[ComplianceFinding.of(f) for f in r.findings],
        )
