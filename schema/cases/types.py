"""Status-change cases as the frontend sees them: steps, deadlines, timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from domain.workflows import engine as e
from domain.workflows.definitions import DEFINITIONS
from schema.docs import describe_values

CaseKindType = describe_values(
    strawberry.enum(
        e.CaseKind,
        name="CaseKind",
        description="Status changes of Art. 11-16, and the record of a disciplinary sanction (Art. 11(4)), which bars "
        "a transfer and never changes the status. None expels, suspends as a punishment, forces a transfer or a "
        "repeated grade.",
    ),
    {
        "TRANSFER": "转学 (Art. 11): the guardian applies to the receiving school, which opens the case; grounds "
        "HOUSEHOLD_MOVED, GUARDIAN_AWAY_ON_DUTY, MIGRANT_RESIDENCE_MOVED or MIGRANT_WORKER_CHILD; receiving school, "
        "its department, sending school, its department, 10 working days each. Not while suspended or sanctioned.",
        "SPECIAL_PLACEMENT": "特殊教育 / 随班就读 / 工读 placement (Art. 12), opened by the student's school: to or from a "
        "special-education school, or to a work-study school; `params.moveStatus` says whether the status moves "
        "or stays while the student attends there.",
        "SUSPENSION": "休学 (Art. 13): grounds ILLNESS (with a county-level hospital's diagnosis), LONG_LEAVE or "
        "OTHER_SPECIAL, with the guardian's application; at most a year (`params.fromDate`, `params.untilDate`).",
        "SUSPENSION_EXTENSION": "延长休学 (Art. 13(3)): a new application to extend a suspension that is running out; "
        "it ends after the current one and its year counts from the current end.",
        "RESUMPTION": "复学 (Art. 13(3)): back from a suspension or a dropout, in a grade that continues the studies "
        "(`params.grade`); after an illness, with a recovery certificate.",
        "ABROAD": "出境就读 (Art. 13(4)): the school records that the student studies outside the mainland; the status "
        "is kept.",
        "RETURN_FROM_ABROAD": "回国接续学籍 (Art. 13(4)): the same dossier continues on return, in `params.grade`.",
        "DROPOUT_REPORT": "辍学报告 (Art. 14): the school reports in writing (`params.addressees`) and the department "
        "acknowledges; for a migrant child the archive is then handed to the household-registration county at the "
        "end of term (Art. 14(2)). The status is kept.",
        "SKIP_GRADE": "跳级 (Art. 15): to a higher grade in the same stage (never from primary to junior secondary), "
        "with the guardian's application and the school's signed, sealed form as an image; skipped grades count as "
        "completed.",
        "DEATH": "死亡注销 (Art. 16): the school deregisters within 10 working days of being informed "
        "(`params.informedOn`), with the death certificate; the department cancels the status.",
        "MISSING_REPORT": "失踪 / 被刑事拘留 (Art. 16): grounds MISSING or DETAINED; the student is flagged and the "
        "status can never be cancelled.",
        "SANCTION_RECORD": "记录处分 (受处分, Art. 11(4)): the school proposes with its written decision, the department "
        "records it; grounds WARNING, SERIOUS_WARNING, DEMERIT or PROBATION, until `params.untilDate` (at most a "
        "year). No transfer while it lasts; the status state never changes.",
        "SANCTION_END": "解除处分 (Art. 11(4)): the school proposes lifting a sanction in force, with its decision; "
        "the department records it.",
    },
)
CaseStateType = describe_values(
    strawberry.enum(e.CaseState, name="CaseState", description="Where a case stands as a whole."),
    {
        "OPEN": "Waiting for the decision of its current step.",
        "COMPLETED": "Every step approved (or forced); its effect on the dossier is applied.",
        "REJECTED": "A party rejected it, with the reason in the timeline; the dossier is unchanged.",
        "WITHDRAWN": "The party that opened it withdrew it; the dossier is unchanged.",
    },
)
CaseDecisionType = describe_values(
    strawberry.enum(
        e.Decision,
        name="CaseDecision",
        description="A decision on a case's current step, by its party (FORCE: by the level above).",
    ),
    {
        "APPROVE": "Approve the step: the case moves to the next step, or completes and changes the dossier.",
        "RETURN": "Send the case back to the previous step, with the reason in `comment` (not from the first step).",
        "REJECT": "End the case as rejected, with the reason in `comment`.",
        "FORCE": "强制干预 (Art. 11(3)): the level above approves an overdue step escalated to it, with the reason in "
        "`comment`.",
    },
)
PartyType = describe_values(
    strawberry.enum(
        e.Party,
        name="CaseParty",
        description="Who acts in a case, relative to it; `Case.parties` maps each to a school identifier or an area "
        "code.",
    ),
    {
        "STUDENT_SCHOOL": "The school that holds the student's status now (the sending school of a transfer).",
        "STUDENT_SUPERVISOR": "That school's supervising department (学籍主管部门), by area code.",
        "TARGET_SCHOOL": "The other school of the case: the receiving school of a transfer, the admitting school of an "
        "Art. 12 placement.",
        "TARGET_SUPERVISOR": "The other school's supervising department, by area code.",
        "HOUSEHOLD_DEPARTMENT": "The education department of the county of the student's household registration, which "
        "receives a migrant child's archive after a dropout (Art. 14(2)); it sees the case.",
    },
)


@strawberry.type(description="One step of a case, in order: who decides it and in how many working days.")
class CaseStep:
    name: str = strawberry.field(
        description="The step's name, e.g. RECEIVING_SCHOOL, SENDING_DEPARTMENT, SCHOOL_REVIEW, END_OF_TERM_HANDOVER."
    )
    party: PartyType = strawberry.field(description="The party that decides this step.")  # type: ignore[valid-type]
    responsible_code: str | None = strawberry.field(
        description="That party: a school identifier (学校标识码) or a department's 6-digit area code."
    )
    deadline_working_days: int | None = strawberry.field(
        description="Its deadline in Chinese working days from the day the step is reached (Art. 11(3): 10); null "
        "when the step is due by a rule instead (the end of term)."
    )
    state: str = strawberry.field(description="DONE, CURRENT (waiting for its decision) or PENDING (not reached).")
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
    at: datetime = strawberry.field(description="When it happened (ISO 8601 date and time, UTC).")
    actor: str = strawberry.field(description="Login of the account that acted, or `system` for the scheduled jobs.")
    role: str = strawberry.field(description="The actor's Role at the time, or SYSTEM.")
    action: str = strawberry.field(
        description="OPENED, APPROVED, RETURNED, REJECTED, FORCED, WITHDRAWN, ESCALATED (overdue, sent to the level "
        "above) or COMPLETED."
    )
    step: str | None = strawberry.field(description="The step it concerns (`CaseStep.name`); null for the case as a whole.")
    comment: str | None = strawberry.field(
        description="The comment or reason given; an override reason is appended as `[override: …]`."
    )
    evidence: list[str] = strawberry.field(description="Ids of the documents offered with this event (`Document.id`).")


@strawberry.type(
    description="A status-change case (学籍异动 business) of one student: its steps, due dates and timeline. Seen by "
    "whoever sees one of its schools, and by its parties and the level it was escalated to."
)
class Case:
    case: strawberry.Private[e.Case]

    @strawberry.field(description="The case's id; pass it to `case`, `decideCase` and `withdrawCase`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.case.id)

    @strawberry.field(description="What kind of status change it is.")
    def kind(self) -> CaseKindType:  # type: ignore[valid-type]
        return self.case.kind

    @strawberry.field(description="The article of the Henan rules the case applies, e.g. `Art. 11` or `Art. 13(3)`.")
    def article(self) -> str:
        return DEFINITIONS[self.case.kind].article

    @strawberry.field(description="The student number (学籍号) of the student, as it was when the case was opened.")
    def number(self) -> str:
        return self.case.number

    @strawberry.field(description="Where the case stands as a whole.")
    def state(self) -> CaseStateType:  # type: ignore[valid-type]
        return self.case.state

    @strawberry.field(
        description="The article's grounds the case was opened on (see `OpenCaseInput.grounds`); null for kinds without."
    )
    def grounds(self) -> str | None:
        return self.case.grounds

    @strawberry.field(
        description="The case's parameters as a JSON object (dates as ISO 8601 strings): those given at opening "
        "(`grade`, `fromDate`, `untilDate`, `informedOn`, `addressees`, `moveStatus`, `sanctionReason`) and those "
        "read off the dossier (`crossProvince`, `suspendedFor`, `migrantChild`)."
    )
    def params(self) -> JSON:
        out: dict[str, Any] = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.case.params.items()}
        return out  # type: ignore[return-value]

    @strawberry.field(
        description="The schools and departments of the case: a JSON object from CaseParty name to a school "
        "identifier or an area code."
    )
    def parties(self) -> JSON:
        return dict(self.case.parties)  # type: ignore[return-value]

    @strawberry.field(
        description="Warnings found at opening: OUTSIDE_TRANSFER_WINDOW (Art. 11(3): more than two months after the "
        "start of term; the receiving department approves only with an override reason), OVERDUE_AT_OPENING."
    )
    def warnings(self) -> list[str]:
        return list(self.case.warnings)

    @strawberry.field(description="The case's steps in order, with their parties, deadlines and states.")
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

    @strawberry.field(description="True when the case is open and its current step is past its due date.")
    def overdue(self) -> bool:
        return self.case.state is e.CaseState.OPEN and self.case.due is not None and self.case.due < date.today()

    @strawberry.field(
        description="Area code of the department an overdue step was escalated to (the level above its party); it may "
        "FORCE the step. Null when not escalated."
    )
    def escalated_to(self) -> str | None:
        return self.case.escalated_to

    @strawberry.field(description="Login of the registrar who opened the case.")
    def opened_by(self) -> str:
        return self.case.opened_by

    @strawberry.field(description="When the case was opened (ISO 8601 date and time, UTC).")
    def opened_at(self) -> datetime:
        return self.case.opened_at

    @strawberry.field(description="Ids of the documents (`Document.id`) offered as evidence so far.")
    def evidence(self) -> list[str]:
        return list(self.case.evidence)

    @strawberry.field(description="Every event of the case, oldest first.")
    def timeline(self) -> list[CaseEvent]:
        return [
            CaseEvent(at=x.at, actor=x.actor, role=x.role, action=x.action, step=x.step, comment=x.comment, evidence=list(x.evidence))
            for x in self.case.events
        ]


@strawberry.type(
    description="A reminder to a school from the daily job, e.g. a suspension that has run out (Art. 13(3))."
)
class Reminder:
    id: strawberry.ID = strawberry.field(description="The reminder's id.")
    kind: str = strawberry.field(description="What it is about: SUSPENSION_ENDED (open a resumption or an extension).")
    school_code: str = strawberry.field(description="The school reminded (学校标识码).")
    number: str = strawberry.field(description="The student number the reminder is about.")
    due: date = strawberry.field(description="The day it concerns, e.g. the suspension's last day (ISO 8601 date).")
    message: str = strawberry.field(description="The reminder in words, to show as it is.")


@strawberry.type(description="A year of the working calendar that case deadlines count in (工作日).")
class CalendarYear:
    year: int = strawberry.field(description="The calendar year.")
    published: bool = strawberry.field(description="False: no State Council schedule known; deadlines in it are provisional.")
    source: str = strawberry.field(description="Where the days come from: `holidays package` or `override` (set by the admin).")
    days_off: list[date] = strawberry.field(description="Statutory holidays (ISO 8601 dates), in order.")
    workdays: list[date] = strawberry.field(description="Weekend days that are working days (调休).")


