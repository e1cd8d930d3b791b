"""Status-change cases as the frontend sees them: steps, deadlines, timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from domain.workflows import engine as e
from domain.workflows.definitions import DEFINITIONS

CaseKindType = strawberry.enum(e.CaseKind, name="CaseKind", description="Status changes of Art. 11-16, and the record of a disciplinary sanction (Art. 11(4)), which bars a transfer and never changes the status. None expels, suspends as a punishment, forces a transfer or a repeated grade.")
CaseStateType = strawberry.enum(e.CaseState, name="CaseState")
CaseDecisionType = strawberry.enum(e.Decision, name="CaseDecision", description="FORCE: the level above approves an overdue, escalated step.")
PartyType = strawberry.enum(e.Party, name="CaseParty")


@strawberry.type(description="One step of a case, in order.")
class CaseStep:
    name: str
    party: PartyType  # type: ignore[valid-type]
    responsible_code: str | None = strawberry.field(description="School identifier or department area code.")
    deadline_working_days: int | None
    state: str = strawberry.field(description="DONE, CURRENT or PENDING.")
    receiving_code: str | None = strawberry.field(
        default=None,
        description="A handover step: the department (area code) it hands over to, e.g. the household-registration "
        "county of a migrant child who dropped out (Art. 14(2)).",
    )
    holds_business: bool = strawberry.field(
        default=True,
        description="False: while the case waits at this step it is not the student's open business, so other "
        "business (e.g. a resumption) can be opened.",
    )


@strawberry.type(description="One entry of a case's timeline: who decided what, when, why, with which evidence.")
class CaseEvent:
    at: datetime
    actor: str
    role: str
    action: str
    step: str | None
    comment: str | None
    evidence: list[str]


@strawberry.type(description="A status-change case (business) of one student.")
class Case:
    case: strawberry.Private[e.Case]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.case.id)

    @strawberry.field
    def kind(self) -> CaseKindType:  # type: ignore[valid-type]
        return self.case.kind

    @strawberry.field(description="The article the case applies.")
    def article(self) -> str:
        return DEFINITIONS[self.case.kind].article

    @strawberry.field
    def number(self) -> str:
        return self.case.number

    @strawberry.field
    def state(self) -> CaseStateType:  # type: ignore[valid-type]
        return self.case.state

    @strawberry.field
    def grounds(self) -> str | None:
        return self.case.grounds

    @strawberry.field
    def params(self) -> JSON:
        out: dict[str, Any] = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.case.params.items()}
        return out  # type: ignore[return-value]

    @strawberry.field(description="The schools and departments of the case, by party.")
    def parties(self) -> JSON:
        return dict(self.case.parties)  # type: ignore[return-value]

    @strawberry.field(description="e.g. OUTSIDE_TRANSFER_WINDOW: approving needs an override reason.")
    def warnings(self) -> list[str]:
        return list(self.case.warnings)

    @strawberry.field
    def steps(self) -> list[CaseStep]:
        steps = e.active_steps(DEFINITIONS[self.case.kind], self.case.grounds, self.case.params)
        done = len(steps) if self.case.state is e.CaseState.COMPLETED else self.case.step
        return [
            CaseStep(
                name=s.name,
                party=s.party,
                responsible_code=self.case.parties.get(s.party.value),
                deadline_working_days=s.deadline_days,
                state="DONE" if i < done else ("CURRENT" if i == done and self.case.state is e.CaseState.OPEN else "PENDING"),
                receiving_code=self.case.parties.get(s.receiving.value) if s.receiving else None,
                holds_business=s.holds_business,
            )
            for i, s in enumerate(steps)
        ]

    @strawberry.field(
        description="When the current step is due: working days (Chinese calendar), or a date by rule, such as the "
        "end of term for a migrant child's handover (Art. 14(2))."
    )
    def due(self) -> date | None:
        return self.case.due

    @strawberry.field(description="True when the due date runs through a year whose holiday schedule is not published yet.")
    def due_provisional(self) -> bool:
        return self.case.provisional

    @strawberry.field
    def overdue(self) -> bool:
        return self.case.state is e.CaseState.OPEN and self.case.due is not None and self.case.due < date.today()

    @strawberry.field(description="The department the overdue step was escalated to; it may FORCE the step.")
    def escalated_to(self) -> str | None:
        return self.case.escalated_to

    @strawberry.field
    def opened_by(self) -> str:
        return self.case.opened_by

    @strawberry.field
    def opened_at(self) -> datetime:
        return self.case.opened_at

    @strawberry.field(description="Document ids offered as evidence.")
    def evidence(self) -> list[str]:
        return list(self.case.evidence)

    @strawberry.field(description="Every event, oldest first.")
    def timeline(self) -> list[CaseEvent]:
        return [
            CaseEvent(at=x.at, actor=x.actor, role=x.role, action=x.action, step=x.step, comment=x.comment, evidence=list(x.evidence))
            for x in self.case.events
        ]


@strawberry.type(description="A reminder to a school, e.g. a suspension that has run out (Art. 13(3)).")
class Reminder:
    id: strawberry.ID
    kind: str
    school_code: str
    number: str
    due: date
    message: str


@strawberry.type(description="A year of the working calendar.")
class CalendarYear:
    year: int
    published: bool = strawberry.field(description="False: no State Council schedule known; deadlines in it are provisional.")
    source: str
    days_off: list[date]
    workdays: list[date] = strawberry.field(description="Weekend days that are working days (调休).")


