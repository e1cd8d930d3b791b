"""Opening, deciding and withdrawing status-change cases; the working calendar."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from domain.error_codes import declared
from domain.text import MULTI_LINE, TEXT_CODES, clean_text, identifier, optional_text
from domain.workflows.engine import CaseKind, Decision
from application import calendar
from application import cases as usecases
from application.calendar import SET_CALENDAR_YEAR_CODES
from schema.docs import describe_error
from schema.cases.types import Case, CaseDecisionType, CaseKindType, CalendarYear
from schema.context import Info
from schema.errors import OPEN_BUSINESS_ID, OPEN_BUSINESS_KIND, RACE_CODES, ErrorCode, Outcome, audited, open_business_fields
from schema.students.types import Student


@strawberry.enum(description="Stable codes of openCase errors: exactly the ones it can return.")
class OpenCaseErrorCode(ErrorCode, codes=(*usecases.OPEN_CASE_CODES, *TEXT_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of decideCase errors: exactly the ones it can return.")
class DecideCaseErrorCode(ErrorCode, codes=(*usecases.DECIDE_CASE_CODES, *TEXT_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of withdrawCase errors: exactly the ones it can return.")
class WithdrawCaseErrorCode(ErrorCode, codes=(*usecases.WITHDRAW_CASE_CODES, *TEXT_CODES, *RACE_CODES)):
    ...




@strawberry.enum(description="Stable codes of setCalendarYear errors: exactly the ones it can return.")
class SetCalendarYearErrorCode(ErrorCode, codes=(*SET_CALENDAR_YEAR_CODES, *RACE_CODES)):
    ...


def _comment(field: str, value: str | None) -> str | None:
    """Comments and reasons: multi-line free text of at most 2000 characters."""
    return optional_text(field, value, max_length=MULTI_LINE, multi_line=True)


@strawberry.input(description="What a kind needs; see each kind's article. Unused fields stay null.")
class CaseParamsInput:
    grade: int | None = strawberry.field(default=None, description="Transfer: grade at the new school; resumption, return, skip-grade: the grade to continue in.")
    from_date: date | None = strawberry.field(
        default=None, description="Suspension: its first day (ISO 8601 date); default today, or the current end."
    )
    until_date: date | None = strawberry.field(
        default=None,
        description="Suspension: last day (at most one year on; an extension ends after the current suspension). "
        "Sanction: its last day.",
    )
    informed_on: date | None = strawberry.field(
        default=None, description="Death: the day the school was informed (ISO 8601 date); the deadline counts from it."
    )
    addressees: str | None = strawberry.field(default=None, description="Dropout: the township / sub-district and county the written report went to.")
    move_status: bool | None = strawberry.field(default=None, description="Art. 12: does the status move to the new school?")
    sanction_reason: str | None = strawberry.field(
        default=None, description="Sanction (Art. 11(4)): what it is for, one line of at most 200 characters."
    )

    def to_dict(self) -> dict[str, Any]:
        names = {"grade": "grade", "from_date": "fromDate", "until_date": "untilDate", "informed_on": "informedOn", "addressees": "addressees", "move_status": "moveStatus", "sanction_reason": "sanctionReason"}
        params = {camel: getattr(self, snake) for snake, camel in names.items() if getattr(self, snake) is not None}
        for text in ("addressees", "sanctionReason"):
            if text in params:
                params[text] = clean_text(f"params.{text}", params[text])
        return params


@strawberry.input(description="A new status-change case: kind, student, grounds, parameters and evidence.")
class OpenCaseInput:
    kind: CaseKindType = strawberry.field(description="The kind of status change (its article).")  # type: ignore[valid-type]
    number: str = strawberry.field(description="The student number (or an alias).")
    grounds: str | None = strawberry.field(
        default=None,
        description="The article's grounds: TRANSFER HOUSEHOLD_MOVED, GUARDIAN_AWAY_ON_DUTY, MIGRANT_RESIDENCE_MOVED, "
        "MIGRANT_WORKER_CHILD; SUSPENSION(_EXTENSION) ILLNESS, LONG_LEAVE, OTHER_SPECIAL; SPECIAL_PLACEMENT "
        "SPECIAL_TO_REGULAR, REGULAR_TO_SPECIAL, WORK_STUDY; MISSING_REPORT MISSING, DETAINED; SANCTION_RECORD WARNING, "
        "SERIOUS_WARNING, DEMERIT, PROBATION.",
    )
    target_school_code: str | None = strawberry.field(default=None, description="Transfer: the receiving school; Art. 12: the new school.")
    params: CaseParamsInput | None = strawberry.field(default=None, description="What the kind needs; null if nothing.")
    evidence: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Ids of the student's documents offered as evidence (upload them first through POST /uploads).",
    )
    comment: str | None = strawberry.field(default=None, description="A comment, at most 2000 characters, line breaks allowed.")


@strawberry.type(description="The case was opened and waits for its first step.")
class OpenCaseSuccess:
    case: Case = strawberry.field(description="The new case, with its warnings and first due date.")


@strawberry.type
class OpenCaseError:
    field: str | None
    message: str
    code: OpenCaseErrorCode
    open_business_id: strawberry.ID | None = strawberry.field(default=None, description=OPEN_BUSINESS_ID)
    open_business_kind: str | None = strawberry.field(default=None, description=OPEN_BUSINESS_KIND)


OpenCaseResult = Annotated[OpenCaseSuccess | OpenCaseError, strawberry.union("OpenCaseResult", description="What `openCase` returns: the new case, or the typed error.")]
describe_error(OpenCaseError, "openCase")


@strawberry.input(description="A decision on the current step of a case.")
class DecideCaseInput:
    id: strawberry.ID = strawberry.field(description="The case's id.")
    decision: CaseDecisionType = strawberry.field(description="Approve, return, reject or force.")  # type: ignore[valid-type]
    comment: str | None = strawberry.field(
        default=None, description="Required to return, reject or force; at most 2000 characters, line breaks allowed."
    )
    evidence: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Ids of documents this step needs (e.g. the signed skip-grade form)."
    )
    override_reason: str | None = strawberry.field(default=None, description="Required to approve a case with warnings at the step that confirms them.")


@strawberry.type(description="The decision was recorded; the case moved on, went back or ended.")
class DecideCaseSuccess:
    case: Case = strawberry.field(description="The case after the decision.")
    student: Student | None = strawberry.field(description="The dossier, when this decision changed it.")


@strawberry.type
class DecideCaseError:
    field: str | None
    message: str
    code: DecideCaseErrorCode


DecideCaseResult = Annotated[DecideCaseSuccess | DecideCaseError, strawberry.union("DecideCaseResult", description="What `decideCase` returns: the case after the decision, or the typed error.")]
describe_error(DecideCaseError, "decideCase")


@strawberry.input(description="The open case to withdraw.")
class WithdrawCaseInput:
    id: strawberry.ID = strawberry.field(description="The case's id.")
    reason: str | None = strawberry.field(default=None, description="Why, at most 2000 characters; kept in the timeline.")


@strawberry.type(description="The case was withdrawn; the student's business is free again.")
class WithdrawCaseSuccess:
    case: Case = strawberry.field(description="The case, now WITHDRAWN.")


@strawberry.type
class WithdrawCaseError:
    field: str | None
    message: str
    code: WithdrawCaseErrorCode


WithdrawCaseResult = Annotated[WithdrawCaseSuccess | WithdrawCaseError, strawberry.union("WithdrawCaseResult", description="What `withdrawCase` returns: the withdrawn case, or the typed error.")]
describe_error(WithdrawCaseError, "withdrawCase")


@strawberry.input(description="A year's published schedule (State Council notice): days off and 调休 working weekends.")
class SetCalendarYearInput:
    year: int = strawberry.field(description="The calendar year; every date given must lie in it.")
    days_off: list[date] = strawberry.field(description="Every statutory day off of the year (ISO 8601 dates).")
    workdays: list[date] = strawberry.field(
        description="Weekend days that are working days (调休); a weekday here is INVALID_VALUE."
    )


@strawberry.type(description="The schedule was recorded; deadlines computed from now on use it.")
class SetCalendarYearSuccess:
    calendar_year: CalendarYear = strawberry.field(description="The year as now recorded (published, source `override`).")


@strawberry.type
class SetCalendarYearError:
    field: str | None
    message: str
    code: SetCalendarYearErrorCode


SetCalendarYearResult = Annotated[SetCalendarYearSuccess | SetCalendarYearError, strawberry.union("SetCalendarYearResult", description="What `setCalendarYear` returns: the recorded year, or the typed error.")]
describe_error(SetCalendarYearError, "setCalendarYear")


@strawberry.type
class CaseMutations:
    @strawberry.mutation(
        description="Open a status-change case (学籍异动, Art. 11-16), by the registrar of the opening school (the "
        "receiving school for a transfer, else the student's school). One open business per student."
    )
    async def open_case(
        self, info: Info, input: Annotated[OpenCaseInput, strawberry.argument(description="The case to open.")]
    ) -> OpenCaseResult:
        ctx = info.context

        async def body() -> Outcome[OpenCaseSuccess]:
            case = await usecases.open_status_case(
                ctx,
                kind=CaseKind(input.kind),
                number=input.number,
                grounds=identifier(input.grounds) if input.grounds is not None else None,
                target_code=identifier(input.target_school_code) if input.target_school_code is not None else None,
                params=input.params.to_dict() if input.params else {},
                evidence=tuple(str(x) for x in input.evidence),
                comment=_comment("comment", input.comment),
            )
            return Outcome(
                OpenCaseSuccess(case=Case(case=case)),
                school_code=case.parties.get("STUDENT_SCHOOL"),
                details={"case": case.id, "kind": case.kind.value, "warnings": list(case.warnings)},
            )

        return await audited(
            ctx, action="mutation:openCase", target=("student", input.number), errors=(OpenCaseError, OpenCaseErrorCode), body=body,
            extra=open_business_fields,
        )

    @strawberry.mutation(
        description="Decide the current step, by its party: approve, return (to the previous step), reject; or force, "
        "by the level above once the step is overdue and escalated (Art. 11(3))."
    )
    async def decide_case(
        self, info: Info, input: Annotated[DecideCaseInput, strawberry.argument(description="The decision to record.")]
    ) -> DecideCaseResult:
        ctx = info.context

        async def body() -> Outcome[DecideCaseSuccess]:
            case, dossier = await usecases.decide_case(
                ctx,
                str(input.id),
                Decision(input.decision),
                comment=_comment("comment", input.comment),
                evidence=tuple(str(x) for x in input.evidence),
                override_reason=_comment("overrideReason", input.override_reason),
            )
            student = None
            if dossier is not None:
                row = await ctx.stores.students.by_number(dossier.number, ctx.student_scope_key)
                student = Student.of(row) if row else None
            return Outcome(
                DecideCaseSuccess(case=Case(case=case), student=student),
                school_code=case.parties.get("STUDENT_SCHOOL"),
                details={"decision": Decision(input.decision).value, "state": case.state.value},
            )

        return await audited(
            ctx, action="mutation:decideCase", target=("case", str(input.id)), errors=(DecideCaseError, DecideCaseErrorCode), body=body
        )

    @strawberry.mutation(description="The party that opened a case withdraws it while it is open.")
    async def withdraw_case(
        self, info: Info, input: Annotated[WithdrawCaseInput, strawberry.argument(description="The case to withdraw.")]
    ) -> WithdrawCaseResult:
        ctx = info.context

        async def body() -> Outcome[WithdrawCaseSuccess]:
            case = await usecases.withdraw_case(ctx, str(input.id), _comment("reason", input.reason))
            return Outcome(WithdrawCaseSuccess(case=Case(case=case)), school_code=case.parties.get("STUDENT_SCHOOL"))

        return await audited(
            ctx, action="mutation:withdrawCase", target=("case", str(input.id)), errors=(WithdrawCaseError, WithdrawCaseErrorCode), body=body
        )

    @strawberry.mutation(
        description="The admin records a year's published holiday schedule (overrides the built-in one), so that "
        "deadlines in it stop being provisional."
    )
    async def set_calendar_year(
        self, info: Info, input: Annotated[SetCalendarYearInput, strawberry.argument(description="The year's schedule.")]
    ) -> SetCalendarYearResult:
        ctx = info.context

        async def body() -> Outcome[SetCalendarYearSuccess]:
            schedule = await calendar.set_year(ctx, input.year, input.days_off, input.workdays)
            return Outcome(
                SetCalendarYearSuccess(
                    calendar_year=CalendarYear(
                        year=schedule.year, published=True, source=schedule.source,
                        days_off=sorted(schedule.days_off), workdays=sorted(schedule.workdays),
                    )
                ),
                details={"year": input.year},
            )

        return await audited(
            ctx, action="mutation:setCalendarYear", target=("calendar", str(input.year)), errors=(SetCalendarYearError, SetCalendarYearErrorCode), body=body
        )
