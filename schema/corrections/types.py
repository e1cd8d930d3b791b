from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain import corrections as c
from schema.students.types import IdDocKindType, SexType

CorrectionStateType = strawberry.enum(c.CorrectionState, name="CorrectionState")
DecisionType = strawberry.enum(c.Decision, name="Decision")


@strawberry.type(description="The requested values; identity numbers masked.")
class CorrectionChanges:
    name: str | None
    former_name: str | None
    sex: SexType | None  # type: ignore[valid-type]
    birth_date: date | None
    id_document_kind: IdDocKindType | None  # type: ignore[valid-type]
    id_number: str | None


@strawberry.type
class CorrectionDecision:
    step: str
    decision: DecisionType  # type: ignore[valid-type]
    by: str
    role: str
    at: datetime
    comment: str | None


@strawberry.type(description="A request to correct key basic data (Art. 10).")
class Correction:
    id: strawberry.ID
    number: str
    school_code: str
    changes: CorrectionChanges
    reason: str
    evidence: list[str]
    state: CorrectionStateType  # type: ignore[valid-type]
    requested_by: str
    requested_at: datetime
    decisions: list[CorrectionDecision]

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
