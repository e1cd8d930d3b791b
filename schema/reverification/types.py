"""A term's re-verification (复核, Art. 23) as the frontend sees it: the campaign, each
school's progress and roster, and the discrepancies and tasks. Personal identifiers in
discrepancies are masked for whoever may not read them (Art. 24)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from application import reverification as usecases
from application.reverification_tasks import tasks
from domain.access import may_read_personal
from domain.dossier import mask_text
from domain.errors import DomainError
from domain.reverification import records as r
from domain.reverification.discrepancies import expected_follow_ups, is_task
from domain.terms import parse_term
from schema.context import Info
from schema.docs import SCHOOL_CODE
from schema.inputs import bad_input
from schema.jurisdiction.types import School
from schema.reverification.enums import (
    CampaignStateType,
    DiscrepancyKindType,
    DiscrepancyStateType,
    DossierFieldType,
    FollowUpKindType,
    ResultStateType,
)
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor
from schema.students.types import IdDocKindType, SexType, Student

@strawberry.type(description="A term of a school year (学期), as Art. 23 counts re-verifications: one every term.")
class Term:
    code: str = strawberry.field(description="The term's code: the school year, then 1 (autumn) or 2 (spring), e.g. 2026-2027-1.")
    starts_on: date = strawberry.field(description="Its first day, the holiday before it included (ISO 8601 date).")
    ends_on: date = strawberry.field(description="Its last day: 31 January (autumn) or 15 July (spring).")

    @classmethod
    def of(cls, code: str) -> Term:
        term = parse_term(code)
        return cls(code=term.code, starts_on=term.starts, ends_on=term.ends)


@strawberry.type(description="A step of a school's re-verification: who did what, when, with what comment.")
class ReverificationEvent:
    at: datetime = strawberry.field(description="When it happened (ISO 8601 date and time, UTC).")
    actor: str = strawberry.field(description="Login of the account that acted, or `system` for the daily job.")
    role: str = strawberry.field(description="The actor's Role at the time, or SYSTEM.")
    action: str = strawberry.field(
        description="SCHOOL_CONFIRMED, DEPARTMENT_CONFIRMED, RETURNED, ESCALATED (overdue, sent to the level above) "
        "or CLOSED (the campaign closed)."
    )
    comment: str | None = strawberry.field(description="The comment given: the reason of a return, what an escalation was.")


@strawberry.type(description="A child a school reports as attending without a dossier there.")
class ReportedChild:
    name: str = strawberry.field(description="The child's full name as the school reported it.")
    sex: SexType = strawberry.field(description="The child's sex.")  # type: ignore[valid-type]
    birth_date: date = strawberry.field(description="The child's date of birth (ISO 8601 date).")
    id_document_kind: IdDocKindType | None = strawberry.field(  # type: ignore[valid-type]
        description="The kind of identity document the school gave; null when none."
    )
    id_number: str | None = strawberry.field(
        description="Its number: in full for the school's registrar and its supervising department, masked for others "
        "(Art. 24); null when none."
    )
    enrolled_at_school_code: str | None = strawberry.field(
        description="The school holding the child's status elsewhere, found by that identity: a transfer or placement "
        "to this school is due (Art. 11, 12). Null when none was found."
    )


@strawberry.type(description="How a discrepancy stopped being open, by whom and when.")
class DiscrepancyResolution:
    state: DiscrepancyStateType = strawberry.field(description="WITHDRAWN, LINKED or WAIVED.")  # type: ignore[valid-type]
    by: str = strawberry.field(description="Login of the account that withdrew, linked or waived it.")
    role: str = strawberry.field(description="That account's Role.")
    at: datetime = strawberry.field(description="When (ISO 8601 date and time, UTC).")
    business_kind: FollowUpKindType | None = strawberry.field(description="LINKED: the kind of business.")  # type: ignore[valid-type]
    business_id: str | None = strawberry.field(
        description="LINKED: the case or correction id, or the student number of the enrolled or updated dossier."
    )
    business_version: int | None = strawberry.field(
        description="LINKED to a DOSSIER_UPDATE: the dossier's version that carries the change."
    )
    reason: str | None = strawberry.field(description="WAIVED: why the department found no business needed.")


def _masked(value: str | None, personal: bool, field: r.DossierField | None) -> str | None:
    if value is None or personal or field not in r.PERSONAL_FIELDS:
        return value
    if field is r.DossierField.ID_NUMBER:
        return _mask_number(value)
    return mask_text(value)


def _mask_number(value: str) -> str:
    """As `IdDocument.masked`: the first 6 and last 4 characters of long numbers."""
    if len(value) >= 15:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    return value[:1] + "*" * max(len(value) - 3, 0) + value[-2:]


async def _personal(info: Info, school_code: str) -> bool:
    school = await info.context.loaders.school.load(school_code)
    return school is not None and may_read_personal(info.context.account, school)


@strawberry.type(
    description="A discrepancy a school flagged while re-verifying its roster, and, once the department confirmed "
    "the school's result, the task it became. Seen by the school and by whoever sees its re-verification."
)
class ReverificationDiscrepancy:
    discrepancy: strawberry.Private[r.Discrepancy]
    result: strawberry.Private[r.SchoolResult]

    @strawberry.field(description="The discrepancy's id; pass it to link, waive or withdraw it.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.discrepancy.id)

    @strawberry.field(description="What was found.")
    def kind(self) -> DiscrepancyKindType:  # type: ignore[valid-type]
        return self.discrepancy.kind

    @strawberry.field(description="Where it stands.")
    def state(self) -> DiscrepancyStateType:  # type: ignore[valid-type]
        return self.discrepancy.state

    @strawberry.field(description="The school that flagged it (学校标识码).")
    def school_code(self) -> str:
        return self.result.school_code

    @strawberry.field(description="The re-verification it belongs to (`ReverificationCampaign.id`).")
    def campaign_id(self) -> strawberry.ID:
        return strawberry.ID(self.result.campaign_id)

    @strawberry.field(description="LEFT_WITHOUT_CHANGE and DATA_WRONG: the student number (学籍号) of the roster's student.")
    def number(self) -> str | None:
        return self.discrepancy.number

    @strawberry.field(description="DATA_WRONG: the field that is wrong.")
    def field(self) -> DossierFieldType | None:  # type: ignore[valid-type]
        return self.discrepancy.field

    @strawberry.field(
        description="DATA_WRONG: the dossier's value when it was flagged (identifiers, addresses and phones masked for "
        "whoever may not read them, Art. 24)."
    )
    async def recorded_value(self, info: Info) -> str | None:
        personal = await _personal(info, self.result.school_code)
        return _masked(self.discrepancy.recorded_value, personal, self.discrepancy.field)

    @strawberry.field(description="DATA_WRONG: the value the school says is right (masked like `recordedValue`).")
    async def correct_value(self, info: Info) -> str | None:
        personal = await _personal(info, self.result.school_code)
        return _masked(self.discrepancy.correct_value, personal, self.discrepancy.field)

    @strawberry.field(description="PRESENT_WITHOUT_DOSSIER: the child as the school reported it.")
    async def child(self, info: Info) -> ReportedChild | None:
        c = self.discrepancy.child
        if c is None:
            return None
        document = c.id_document
        number = document.number if document else None
        if number is not None and not await _personal(info, self.result.school_code):
            number = document.masked if document else None
        return ReportedChild(
            name=c.name, sex=c.sex, birth_date=c.birth_date, id_document_kind=document.kind if document else None,
            id_number=number, enrolled_at_school_code=c.enrolled_at,
        )

    @strawberry.field(description="The school's note on it; null when none.")
    def note(self) -> str | None:
        return self.discrepancy.note

    @strawberry.field(description="Login of the registrar who flagged it.")
    def raised_by(self) -> str:
        return self.discrepancy.raised_by

    @strawberry.field(description="When it was flagged (ISO 8601 date and time, UTC).")
    def raised_at(self) -> datetime:
        return self.discrepancy.raised_at

    @strawberry.field(description="The kinds of business that resolve it (see `FollowUpKind`).")
    def expected_follow_ups(self) -> list[FollowUpKindType]:  # type: ignore[valid-type]
        return list(expected_follow_ups(self.discrepancy))

    @strawberry.field(description="True when it is a task: open, in a result the department confirmed.")
    def is_task(self) -> bool:
        return is_task(self.result, self.discrepancy)

    @strawberry.field(description="How it stopped being open; null while it is open.")
    def resolution(self) -> DiscrepancyResolution | None:
        x = self.discrepancy.resolution
        if x is None:
            return None
        return DiscrepancyResolution(
            state=x.state, by=x.by, role=x.role, at=x.at, business_kind=x.business_kind, business_id=x.business_id,
            business_version=x.business_version, reason=x.reason,
        )


def discrepancies_of(result: r.SchoolResult, items: list[r.Discrepancy]) -> list[ReverificationDiscrepancy]:
    return [ReverificationDiscrepancy(discrepancy=d, result=result) for d in items]


@strawberry.type(
    description="One school's part of a re-verification: its progress, its roster, the steps taken and the "
    "discrepancies it flagged. Seen by the school's registrar and by whoever sees the re-verification."
)
class ReverificationSchool:
    result: strawberry.Private[r.SchoolResult]

    @strawberry.field(description="The id of this school's part: the campaign's id and the school identifier.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.result.id)

    @strawberry.field(description="The re-verification it belongs to (`ReverificationCampaign.id`).")
    def campaign_id(self) -> strawberry.ID:
        return strawberry.ID(self.result.campaign_id)

    @strawberry.field(description="The term re-verified, e.g. 2026-2027-1.")
    def term_code(self) -> str:
        return self.result.term_code

    @strawberry.field(description=SCHOOL_CODE)
    def school_code(self) -> str:
        return self.result.school_code

    @strawberry.field(description="The school itself.")
    async def school(self, info: Info) -> School | None:
        found = await info.context.loaders.school.load(self.result.school_code)
        return School.of(found) if found else None

    @strawberry.field(description="The supervising department that decides it (area code).")
    def department_code(self) -> str:
        return self.result.department_code

    @strawberry.field(description="Its progress: not started, school confirmed, department confirmed or returned.")
    def state(self) -> ResultStateType:  # type: ignore[valid-type]
        return self.result.state

    @strawberry.field(
        description="When its current step is due: the school's confirmation (the campaign's `schoolsDue`, or at least "
        "5 working days after a return), then the department's (`departmentDue`). Null when done or closed."
    )
    def due(self) -> date | None:
        return self.result.due

    @strawberry.field(description="True when its current step is past its due date.")
    def overdue(self) -> bool:
        return self.result.due is not None and self.result.due < date.today()

    @strawberry.field(
        description="Area code of the department its overdue step was escalated to by the daily job: the school's "
        "department for the school's step, the department above for the department's. Null when not escalated."
    )
    def escalated_to(self) -> str | None:
        return self.result.escalated_to

    @strawberry.field(description="True once the campaign closed: nothing is confirmed or flagged any more.")
    def closed(self) -> bool:
        return self.result.closed

    @strawberry.field(description="How many students the roster had when the school last confirmed it; null before.")
    def roster_size(self) -> int | None:
        return self.result.roster_size

    @strawberry.field(
        description="SHA-256 (hex) over the roster the school last confirmed: each dossier with its version and state, "
        "as kept in the transition log with that confirmation. Null before."
    )
    def roster_digest(self) -> str | None:
        return self.result.roster_digest

    @strawberry.field(description="Login of the registrar who last confirmed the roster; null before.")
    def school_confirmed_by(self) -> str | None:
        event = self.result.last("SCHOOL_CONFIRMED")
        return event.actor if event else None

    @strawberry.field(description="When the school last confirmed its roster (ISO 8601 date and time, UTC).")
    def school_confirmed_at(self) -> datetime | None:
        event = self.result.last("SCHOOL_CONFIRMED")
        return event.at if event else None

    @strawberry.field(description="Login of the department account that confirmed the result; null before.")
    def department_confirmed_by(self) -> str | None:
        event = self.result.last("DEPARTMENT_CONFIRMED")
        return event.actor if event else None

    @strawberry.field(description="When the department confirmed the result (ISO 8601 date and time, UTC).")
    def department_confirmed_at(self) -> datetime | None:
        event = self.result.last("DEPARTMENT_CONFIRMED")
        return event.at if event else None

    @strawberry.field(description="The reason of the last return, while the result is RETURNED; null otherwise.")
    def return_reason(self) -> str | None:
        event = self.result.last("RETURNED")
        return event.comment if event and self.result.state is r.ResultState.RETURNED else None

    @strawberry.field(description="Every step, oldest first: confirmations, returns, escalations, the closing.")
    def timeline(self) -> list[ReverificationEvent]:
        return [ReverificationEvent(at=e.at, actor=e.actor, role=e.role, action=e.action, comment=e.comment) for e in self.result.events]

    @strawberry.field(description="The discrepancies the school flagged, oldest first; only those in `state` when given.")
    def discrepancies(
        self,
        state: Annotated[
            DiscrepancyStateType | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only discrepancies in this state; null for all."),
        ] = None,
    ) -> list[ReverificationDiscrepancy]:
        items = [d for d in self.result.discrepancies if state is None or d.state is r.DiscrepancyState(state)]
        return discrepancies_of(self.result, items)

    @strawberry.field(description="The open discrepancies once the department confirmed the result: the tasks.")
    def tasks(self) -> list[ReverificationDiscrepancy]:
        return discrepancies_of(self.result, tasks(self.result))

    @strawberry.field(
        description="The roster as it stands now: every student whose status the school holds in a state on the "
        "roster (ENROLLED, SUSPENDED, ABROAD, DROPPED_OUT), by student id; one grade or class at a time keeps a big "
        "school's pages quick. " + FORWARD_ONLY
    )
    async def roster(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        grade: Annotated[int | None, strawberry.argument(description="Only students in this grade (1-9).")] = None,
        class_name: Annotated[
            str | None, strawberry.argument(description="Only students of this class, as recorded (e.g. 一(1)班).")
        ] = None,
    ) -> Connection[Student]:
        try:
            page = await usecases.roster_page(
                info.context, self.result, grade=grade, class_name=class_name,
                after=decode_cursor("roster", after), first=check_first(first, info.context.page_size_max),
            )
        except DomainError as e:
            raise bad_input(e) from e
        return connection("roster", page.map(Student.of), after=after)


@strawberry.type(description="How many of the schools you see stand where, and how many tasks are open.")
class ReverificationProgress:
    schools: int = strawberry.field(description="Schools in the re-verification that you see.")
    not_started: int = strawberry.field(description="Schools that have not confirmed their roster.")
    school_confirmed: int = strawberry.field(description="Schools that confirmed, waiting for the department.")
    department_confirmed: int = strawberry.field(description="Schools whose result the department confirmed.")
    returned: int = strawberry.field(description="Schools whose result was returned to them.")
    overdue: int = strawberry.field(description="Schools whose current step is past its due date.")
    open_tasks: int = strawberry.field(description="Open discrepancies of results the department confirmed.")


@strawberry.type(
    description="A term's re-verification (复核, Art. 23) run by an education department over the schools it "
    "supervises (学籍主管部门, Art. 3). Seen by the departments and auditors whose area holds that department, and by "
    "the registrars of its schools (each its own school's part only)."
)
class ReverificationCampaign:
    campaign: strawberry.Private[r.Campaign]
    results: strawberry.Private[list[r.SchoolResult]]

    @strawberry.field(description="The campaign's id: the term's code and the department's area code, e.g. 2026-2027-1:410105.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.campaign.id)

    @strawberry.field(description="The term re-verified.")
    def term(self) -> Term:
        return Term.of(self.campaign.term_code)

    @strawberry.field(description="The department that runs it, by area code.")
    def department_code(self) -> str:
        return self.campaign.department_code

    @strawberry.field(description="When the schools' confirmations are due (ISO 8601 date); overdue ones go to the department.")
    def schools_due(self) -> date:
        return self.campaign.schools_due

    @strawberry.field(description="When the department's confirmations are due; overdue ones go to the department above.")
    def department_due(self) -> date:
        return self.campaign.department_due

    @strawberry.field(description="Whether it runs or is closed.")
    def state(self) -> CampaignStateType:  # type: ignore[valid-type]
        return self.campaign.state

    @strawberry.field(description="Login of the department account that opened it.")
    def opened_by(self) -> str:
        return self.campaign.opened_by

    @strawberry.field(description="When it was opened (ISO 8601 date and time, UTC).")
    def opened_at(self) -> datetime:
        return self.campaign.opened_at

    @strawberry.field(description="Login of the department account that closed it; null while open.")
    def closed_by(self) -> str | None:
        return self.campaign.closed_by

    @strawberry.field(description="When it was closed; null while open.")
    def closed_at(self) -> datetime | None:
        return self.campaign.closed_at

    @strawberry.field(description="Why it was closed with schools unconfirmed, as the department noted; null otherwise.")
    def close_note(self) -> str | None:
        return self.campaign.close_note

    @strawberry.field(description="Progress over the schools you see.")
    def progress(self) -> ReverificationProgress:
        counts = {s: sum(1 for x in self.results if x.state is s) for s in r.ResultState}
        return ReverificationProgress(
            schools=len(self.results),
            not_started=counts[r.ResultState.NOT_STARTED],
            school_confirmed=counts[r.ResultState.SCHOOL_CONFIRMED],
            department_confirmed=counts[r.ResultState.DEPARTMENT_CONFIRMED],
            returned=counts[r.ResultState.RETURNED],
            overdue=sum(1 for x in self.results if x.due is not None and x.due < date.today()),
            open_tasks=sum(len(tasks(x)) for x in self.results),
        )

    @strawberry.field(description="Each school's part you see (a registrar its own only), by school identifier.")
    def schools(self) -> list[ReverificationSchool]:
        return [ReverificationSchool(result=x) for x in self.results]

    @strawberry.field(description="The open tasks of the schools you see, by school and in the order flagged.")
    def tasks(self) -> list[ReverificationDiscrepancy]:
        return [item for x in self.results for item in discrepancies_of(x, tasks(x))]


async def campaign_of(info: Info, campaign: r.Campaign) -> ReverificationCampaign:
    return ReverificationCampaign(campaign=campaign, results=await usecases.results_in_view(info.context, campaign))
