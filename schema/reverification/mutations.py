"""Running a term's re-verification (复核, Art. 23): the department opens it, each school
confirms its roster, the department confirms or returns each school's result and closes it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from application import reverification as usecases
from domain.reverification.records import ResultDecision, ResultState
from domain.text import MULTI_LINE, TEXT_CODES, optional_text
from schema.context import Info
from schema.docs import SCHOOL_CODE, describe_error
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited
from schema.reverification.enums import DecisionType
from schema.reverification.types import ReverificationCampaign, ReverificationSchool, campaign_of


@strawberry.enum(description="Stable codes of openReverification errors: exactly the ones it can return.")
class OpenReverificationErrorCode(ErrorCode, codes=(*usecases.OPEN_REVERIFICATION_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of confirmReverificationRoster errors: exactly the ones it can return.")
class ConfirmReverificationRosterErrorCode(ErrorCode, codes=(*usecases.CONFIRM_ROSTER_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of decideReverificationSchool errors: exactly the ones it can return.")
class DecideReverificationSchoolErrorCode(ErrorCode, codes=(*usecases.DECIDE_SCHOOL_CODES, *TEXT_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of closeReverification errors: exactly the ones it can return.")
class CloseReverificationErrorCode(ErrorCode, codes=(*usecases.CLOSE_REVERIFICATION_CODES, *TEXT_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="A term re-verification for the schools your department supervises (Art. 3, 23).")
class OpenReverificationInput:
    term: str = strawberry.field(
        description="The term, coded like 2026-2027-1 (school year, then 1 autumn or 2 spring): the current term or the "
        "one just ended."
    )
    schools_due: date | None = strawberry.field(
        default=None,
        description="When the schools' confirmations are due (ISO 8601 date, not in the past); default 10 working days "
        "from today.",
    )
    department_due: date | None = strawberry.field(
        default=None,
        description="When your confirmations are due, after `schoolsDue`; default 10 working days after it.",
    )


@strawberry.type(description="The re-verification is open: every school you supervise has its part, NOT_STARTED.")
class OpenReverificationSuccess:
    campaign: ReverificationCampaign = strawberry.field(description="The new re-verification.")


@strawberry.type
class OpenReverificationError:
    field: str | None
    message: str
    code: OpenReverificationErrorCode


OpenReverificationResult = Annotated[
    OpenReverificationSuccess | OpenReverificationError,
    strawberry.union("OpenReverificationResult", description="What `openReverification` returns: the campaign, or the typed error."),
]
describe_error(OpenReverificationError, "openReverification")


@strawberry.input(description="A school's part of a re-verification.")
class ReverificationSchoolInput:
    campaign_id: strawberry.ID = strawberry.field(description="The campaign's id (`ReverificationCampaign.id`).")
    school_code: str = strawberry.field(description=SCHOOL_CODE)


@strawberry.type(description="The roster is confirmed, as it stands now, with the discrepancies raised; the department decides next.")
class ConfirmReverificationRosterSuccess:
    school: ReverificationSchool = strawberry.field(description="The school's part, now SCHOOL_CONFIRMED.")


@strawberry.type
class ConfirmReverificationRosterError:
    field: str | None
    message: str
    code: ConfirmReverificationRosterErrorCode


ConfirmReverificationRosterResult = Annotated[
    ConfirmReverificationRosterSuccess | ConfirmReverificationRosterError,
    strawberry.union(
        "ConfirmReverificationRosterResult",
        description="What `confirmReverificationRoster` returns: the school's part, or the typed error.",
    ),
]
describe_error(ConfirmReverificationRosterError, "confirmReverificationRoster")


@strawberry.input(description="The department's decision on a school's confirmed result.")
class DecideReverificationSchoolInput:
    campaign_id: strawberry.ID = strawberry.field(description="The campaign's id (`ReverificationCampaign.id`).")
    school_code: str = strawberry.field(description=SCHOOL_CODE)
    decision: DecisionType = strawberry.field(description="Confirm the result, or return it to the school.")  # type: ignore[valid-type]
    comment: str | None = strawberry.field(
        default=None, description="Required to return (what the school must redo); at most 2000 characters."
    )


@strawberry.type(description="The decision is recorded: DEPARTMENT_CONFIRMED (open discrepancies are tasks) or RETURNED.")
class DecideReverificationSchoolSuccess:
    school: ReverificationSchool = strawberry.field(description="The school's part after the decision.")


@strawberry.type
class DecideReverificationSchoolError:
    field: str | None
    message: str
    code: DecideReverificationSchoolErrorCode


DecideReverificationSchoolResult = Annotated[
    DecideReverificationSchoolSuccess | DecideReverificationSchoolError,
    strawberry.union(
        "DecideReverificationSchoolResult",
        description="What `decideReverificationSchool` returns: the school's part, or the typed error.",
    ),
]
describe_error(DecideReverificationSchoolError, "decideReverificationSchool")


@strawberry.input(description="The re-verification to close.")
class CloseReverificationInput:
    id: strawberry.ID = strawberry.field(description="The campaign's id (`ReverificationCampaign.id`).")
    note: str | None = strawberry.field(
        default=None,
        description="Why it closes with schools not confirmed by the department (required then); at most 2000 characters.",
    )


@strawberry.type(description="The re-verification is closed; every school's part is marked closed.")
class CloseReverificationSuccess:
    campaign: ReverificationCampaign = strawberry.field(description="The closed re-verification.")


@strawberry.type
class CloseReverificationError:
    field: str | None
    message: str
    code: CloseReverificationErrorCode


CloseReverificationResult = Annotated[
    CloseReverificationSuccess | CloseReverificationError,
    strawberry.union("CloseReverificationResult", description="What `closeReverification` returns: the campaign, or the typed error."),
]
describe_error(CloseReverificationError, "closeReverification")


def _comment(field: str, value: str | None) -> str | None:
    return optional_text(field, value, max_length=MULTI_LINE, multi_line=True)


@strawberry.type
class ReverificationMutations:
    @strawberry.mutation(
        description="An education department opens the term's re-verification (复核, Art. 23) of the schools it "
        "supervises (学籍主管部门, Art. 3): one per term and department."
    )
    async def open_reverification(
        self, info: Info, input: Annotated[OpenReverificationInput, strawberry.argument(description="The term and due dates.")]
    ) -> OpenReverificationResult:
        ctx = info.context

        async def body() -> Outcome[OpenReverificationSuccess]:
            campaign, results = await usecases.open_reverification(ctx, input.term, input.schools_due, input.department_due)
            return Outcome(
                OpenReverificationSuccess(campaign=await campaign_of(info, campaign)),
                details={"campaign": campaign.id, "schools": len(results)},
            )

        return await audited(
            ctx,
            action="mutation:openReverification",
            target=("reverification", input.term),
            errors=(OpenReverificationError, OpenReverificationErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="The school's registrar confirms its roster as it stands, with the discrepancies it raised; the "
        "roster confirmed (each dossier and its version) is kept on record."
    )
    async def confirm_reverification_roster(
        self, info: Info, input: Annotated[ReverificationSchoolInput, strawberry.argument(description="The school's part.")]
    ) -> ConfirmReverificationRosterResult:
        ctx = info.context

        async def body() -> Outcome[ConfirmReverificationRosterSuccess]:
            result = await usecases.confirm_roster(ctx, str(input.campaign_id), input.school_code)
            return Outcome(
                ConfirmReverificationRosterSuccess(school=ReverificationSchool(result=result)),
                school_code=result.school_code,
                details={"roster": result.roster_size, "digest": result.roster_digest, "discrepancies": len(result.discrepancies)},
            )

        return await audited(
            ctx,
            action="mutation:confirmReverificationRoster",
            target=("reverification_school", f"{input.campaign_id}:{input.school_code}"),
            errors=(ConfirmReverificationRosterError, ConfirmReverificationRosterErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="The school's supervising department confirms the school's result (its open discrepancies become "
        "tasks) or returns it with the reason."
    )
    async def decide_reverification_school(
        self, info: Info, input: Annotated[DecideReverificationSchoolInput, strawberry.argument(description="The decision to record.")]
    ) -> DecideReverificationSchoolResult:
        ctx = info.context

        async def body() -> Outcome[DecideReverificationSchoolSuccess]:
            confirm = ResultDecision(input.decision) is ResultDecision.CONFIRM
            comment = _comment("comment", input.comment)
            result = await usecases.decide_school(ctx, str(input.campaign_id), input.school_code, confirm=confirm, comment=comment)
            return Outcome(
                DecideReverificationSchoolSuccess(school=ReverificationSchool(result=result)),
                school_code=result.school_code,
                details={"decision": ResultDecision(input.decision).value, "state": result.state.value},
            )

        return await audited(
            ctx,
            action="mutation:decideReverificationSchool",
            target=("reverification_school", f"{input.campaign_id}:{input.school_code}"),
            errors=(DecideReverificationSchoolError, DecideReverificationSchoolErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="The department closes its re-verification: nothing is confirmed or flagged after it; open tasks "
        "are still linked or waived."
    )
    async def close_reverification(
        self, info: Info, input: Annotated[CloseReverificationInput, strawberry.argument(description="The campaign to close.")]
    ) -> CloseReverificationResult:
        ctx = info.context

        async def body() -> Outcome[CloseReverificationSuccess]:
            campaign, results = await usecases.close_reverification(ctx, str(input.id), _comment("note", input.note))
            unconfirmed = [x.school_code for x in results if x.state is not ResultState.DEPARTMENT_CONFIRMED]
            return Outcome(
                CloseReverificationSuccess(campaign=await campaign_of(info, campaign)),
                details={"unconfirmed": unconfirmed},
            )

        return await audited(
            ctx,
            action="mutation:closeReverification",
            target=("reverification", str(input.id)),
            errors=(CloseReverificationError, CloseReverificationErrorCode),
            body=body,
        )
