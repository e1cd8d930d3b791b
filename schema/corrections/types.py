from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain import corrections as c
from schema.docs import describe_values
from schema.students.types import IdDocKindType, SexType

CorrectionStateType = describe_values(
    strawberry.enum(
        c.CorrectionState,
        name="CorrectionState",
        description="Where an Art. 10 correction stands: the school decides first, then its supervising department.",
    ),
    {
        "PENDING_SCHOOL": "Waiting for the student's school to approve or reject it.",
        "PENDING_DEPARTMENT": "Approved by the school; waiting for its supervising department (学籍主管部门).",
        "APPLIED": "Approved by the department and applied to the dossier; old and new values are in its history.",
        "REJECTED": "Rejected by the school or the department, with the reason; the dossier is unchanged.",
        "WITHDRAWN": "Withdrawn by the school before it was decided; the dossier is unchanged.",
    },
)
DecisionType = describe_values(
    strawberry.enum(c.Decision, name="Decision", description="A decision on a step of an Art. 10 correction."),
    {
        "APPROVE": "Approve: the request goes on to the department, or is applied when the department approves.",
        "REJECT": "Reject, with the reason in `comment`: the request ends and nothing changes.",
    },
)


@strawberry.type(description="The requested values; only the fields that change are given, identity numbers masked.")
class CorrectionChanges:
    name: str | None = strawberry.field(description="The corrected full name (姓名); null when it does not change.")
    former_name: str | None = strawberry.field(description="The corrected former name (曾用名); null when unchanged.")
    sex: SexType | None = strawberry.field(description="The corrected sex; null when it does not change.")  # type: ignore[valid-type]
    birth_date: date | None = strawberry.field(description="The corrected date of birth (ISO 8601); null when unchanged.")
    id_document_kind: IdDocKindType | None = strawberry.field(  # type: ignore[valid-type]
        description="The kind of the corrected identity document; null when the identity does not change."
    )
    id_number: str | None = strawberry.field(
        description="The corrected document number, masked (first 6 and last 4 characters); null when unchanged."
    )


@strawberry.type(description="A decision taken on a correction: by which step, who, when, and why.")
class CorrectionDecision:
    step: str = strawberry.field(description="SCHOOL (the student's school) or DEPARTMENT (its supervising department).")
    decision: DecisionType = strawberry.field(description="Approved or rejected.")  # type: ignore[valid-type]
    by: str = strawberry.field(description="Login of the account that decided.")
    role: str = strawberry.field(description="That account's Role.")
    at: datetime = strawberry.field(description="When it was decided (ISO 8601 date and time, UTC).")
    comment: str | None = strawberry.field(description="The comment given; the reason when rejecting.")


@strawberry.type(
    description="A request to correct key basic data (Art. 10: name, former name, sex, birth date, identity "
    "document): entered by the school for the guardian, with the household register (居民户口簿); decided by the school, "
    "then its supervising department. Seen by whoever sees the student."
)
class Correction:
    id: strawberry.ID = strawberry.field(description="The correction's id.")
    number: str = strawberry.field(description="The student number (学籍号) as it was when the request was made.")
    school_code: str = strawberry.field(description="The student's school (学校标识码), which entered the request.")
    changes: CorrectionChanges = strawberry.field(description="The corrected values asked for.")
    reason: str = strawberry.field(description="Why the data is corrected, as the school entered it.")
    evidence: list[str] = strawberry.field(description="Ids of the documents (`Document.id`) that prove it.")
    state: CorrectionStateType = strawberry.field(description="Where the request stands.")  # type: ignore[valid-type]
    requested_by: str = strawberry.field(description="Login of the registrar who entered the request.")
    requested_at: datetime = strawberry.field(description="When it was entered (ISO 8601 date and time, UTC).")
    decisions: list[CorrectionDecision] = strawberry.field(description="The decisions taken so far, oldest first.")

    @classmethod
    def of(cls, x: c.Correction) -> Correction:
        doc = x.changes.id_document
        return cls(
            id=strawberry.ID(x.id),
            number=x.number,
            school_code=x.school_code,
            changes=CorrectionChanges(
                name=x.changes.name,
                former_name=x.changes.former_name,
                sex=x.changes.sex,
                birth_date=x.changes.birth_date,
                id_document_kind=doc.kind if doc else None,
                id_number=doc.masked if doc else None,
            ),
            reason=x.reason,
            evidence=list(x.evidence),
            state=x.state,
            requested_by=x.requested_by,
            requested_at=x.requested_at,
            decisions=[
                CorrectionDecision(step=r.step, decision=r.decision, by=r.by, role=r.role, at=r.at, comment=r.comment)
                for r in x.decisions
            ],
        )
