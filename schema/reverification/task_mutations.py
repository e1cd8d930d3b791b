"""Discrepancies of a term's re-verification (Art. 23): the school raises and withdraws them
while its result is its own; once the department confirms it they are tasks, resolved by
linking the business opened for each, or waived by the department."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from application import reverification_tasks as usecases
from domain.identity import ID_DOCUMENT_CODES, Sex
from domain.reverification.records import DossierField, FollowUpKind, ReportedChild
from domain.student_number import normalise_number
from domain.text import MULTI_LINE, SHORT, TEXT_CODES, clean_text, optional_text, required_text
from schema.context import Info
from schema.docs import SCHOOL_CODE, STUDENT_NUMBER_ARG, describe_error
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited
from schema.reverification.enums import DossierFieldType, FollowUpKindType
from schema.reverification.types import ReverificationDiscrepancy, ReverificationSchool
from schema.students.inputs import IdDocumentInput
from schema.students.types import SexType


@strawberry.enum(description="Stable codes of raiseReverificationDiscrepancy errors: exactly the ones it can return.")
class RaiseReverificationDiscrepancyErrorCode(
    ErrorCode, codes=(*usecases.RAISE_DISCREPANCY_CODES, *ID_DOCUMENT_CODES, *TEXT_CODES, *RACE_CODES)
):
    ...


@strawberry.enum(description="Stable codes of withdrawReverificationDiscrepancy errors: exactly the ones it can return.")
class WithdrawReverificationDiscrepancyErrorCode(ErrorCode, codes=(*usecases.WITHDRAW_DISCREPANCY_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of linkReverificationDiscrepancy errors: exactly the ones it can return.")
class LinkReverificationDiscrepancyErrorCode(ErrorCode, codes=(*usecases.LINK_DISCREPANCY_CODES, *TEXT_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of waiveReverificationDiscrepancy errors: exactly the ones it can return.")
class WaiveReverificationDiscrepancyErrorCode(
    ErrorCode, codes=(*usecases.WAIVE_DISCREPANCY_CODES, *TEXT_CODES, *RACE_CODES)
):
    ...


NOTE = "The school's note, at most 2000 characters, line breaks allowed."


@strawberry.input(description="A roster student who no longer attends, with no change recorded (Art. 26(3), (4)).")
class LeftWithoutChangeInput:
    number: str = strawberry.field(description=STUDENT_NUMBER_ARG)
    note: str | None = strawberry.field(default=None, description=NOTE)


@strawberry.input(description="A child who attends without a dossier at this school (Art. 26(1)).")
class PresentWithoutDossierInput:
    name: str = strawberry.field(description="The child's full name, at most 50 characters.")
    sex: SexType = strawberry.field(description="The child's sex.")  # type: ignore[valid-type]
    birth_date: date = strawberry.field(description="The child's date of birth (ISO 8601 date).")
    id_document: IdDocumentInput | None = strawberry.field(
        default=None,
        description="The child's identity document, if known: it finds a status held elsewhere, and must agree with "
        "the birth date and sex.",
    )
    note: str | None = strawberry.field(default=None, description=NOTE)


@strawberry.input(description="A dossier field that is wrong, and the value that is right.")
class DataWrongInput:
    number: str = strawberry.field(description=STUDENT_NUMBER_ARG)
    field: DossierFieldType = strawberry.field(description="The field that is wrong.")  # type: ignore[valid-type]
    correct_value: str = strawberry.field(description="The right value, in the field's format (see `DossierField`).")
    note: str | None = strawberry.field(default=None, description=NOTE)


@strawberry.input(description="One discrepancy of a school's roster: give exactly one of the three kinds.")
class RaiseReverificationDiscrepancyInput:
    campaign_id: strawberry.ID = strawberry.field(description="The campaign's id (`ReverificationCampaign.id`).")
    school_code: str = strawberry.field(description=SCHOOL_CODE)
    left_without_change: LeftWithoutChangeInput | None = strawberry.field(
        default=None, description="A LEFT_WITHOUT_CHANGE discrepancy."
    )
    present_without_dossier: PresentWithoutDossierInput | None = strawberry.field(
        default=None, description="A PRESENT_WITHOUT_DOSSIER discrepancy."
    )
    data_wrong: DataWrongInput | None = strawberry.field(default=None, description="A DATA_WRONG discrepancy.")


@strawberry.type(description="The discrepancy is raised; it goes with the school's confirmation.")
class RaiseReverificationDiscrepancySuccess:
    discrepancy: ReverificationDiscrepancy = strawberry.field(description="The new discrepancy, OPEN.")
    school: ReverificationSchool = strawberry.field(description="The school's part, with it.")


@strawberry.type
class RaiseReverificationDiscrepancyError:
    field: str | None
    message: str
    code: RaiseReverificationDiscrepancyErrorCode


RaiseReverificationDiscrepancyResult = Annotated[
    RaiseReverificationDiscrepancySuccess | RaiseReverificationDiscrepancyError,
    strawberry.union(
        "RaiseReverificationDiscrepancyResult",
        description="What `raiseReverificationDiscrepancy` returns: the discrepancy, or the typed error.",
    ),
]
describe_error(RaiseReverificationDiscrepancyError, "raiseReverificationDiscrepancy")


@strawberry.input(description="A discrepancy to withdraw.")
class WithdrawReverificationDiscrepancyInput:
    id: strawberry.ID = strawberry.field(description="The discrepancy's id (`ReverificationDiscrepancy.id`).")


@strawberry.type(description="The discrepancy is withdrawn (kept on record as WITHDRAWN).")
class WithdrawReverificationDiscrepancySuccess:
    discrepancy: ReverificationDiscrepancy = strawberry.field(description="The discrepancy, WITHDRAWN.")


@strawberry.type
class WithdrawReverificationDiscrepancyError:
    field: str | None
    message: str
    code: WithdrawReverificationDiscrepancyErrorCode


WithdrawReverificationDiscrepancyResult = Annotated[
    WithdrawReverificationDiscrepancySuccess | WithdrawReverificationDiscrepancyError,
    strawberry.union(
        "WithdrawReverificationDiscrepancyResult",
        description="What `withdrawReverificationDiscrepancy` returns: the discrepancy, or the typed error.",
    ),
]
describe_error(WithdrawReverificationDiscrepancyError, "withdrawReverificationDiscrepancy")


@strawberry.input(description="The business opened for a task, to link to it.")
class LinkReverificationDiscrepancyInput:
    id: strawberry.ID = strawberry.field(description="The discrepancy's id (`ReverificationDiscrepancy.id`).")
    business_kind: FollowUpKindType = strawberry.field(description="The kind of business (see `FollowUpKind`).")  # type: ignore[valid-type]
    business_id: str = strawberry.field(
        description="The case's or correction's id; for ENROLMENT and DOSSIER_UPDATE the student number."
    )


@strawberry.type(description="The task is resolved: LINKED to its business, which is recorded.")
class LinkReverificationDiscrepancySuccess:
    discrepancy: ReverificationDiscrepancy = strawberry.field(description="The discrepancy, LINKED.")


@strawberry.type
class LinkReverificationDiscrepancyError:
    field: str | None
    message: str
    code: LinkReverificationDiscrepancyErrorCode


LinkReverificationDiscrepancyResult = Annotated[
    LinkReverificationDiscrepancySuccess | LinkReverificationDiscrepancyError,
    strawberry.union(
        "LinkReverificationDiscrepancyResult",
        description="What `linkReverificationDiscrepancy` returns: the discrepancy, or the typed error.",
    ),
]
describe_error(LinkReverificationDiscrepancyError, "linkReverificationDiscrepancy")


@strawberry.input(description="A task to waive, with the reason.")
class WaiveReverificationDiscrepancyInput:
    id: strawberry.ID = strawberry.field(description="The discrepancy's id (`ReverificationDiscrepancy.id`).")
    reason: str = strawberry.field(description="Why no business is needed, at most 2000 characters.")


@strawberry.type(description="The task is resolved: WAIVED, with the reason.")
class WaiveReverificationDiscrepancySuccess:
    discrepancy: ReverificationDiscrepancy = strawberry.field(description="The discrepancy, WAIVED.")


@strawberry.type
class WaiveReverificationDiscrepancyError:
    field: str | None
    message: str
    code: WaiveReverificationDiscrepancyErrorCode


WaiveReverificationDiscrepancyResult = Annotated[
    WaiveReverificationDiscrepancySuccess | WaiveReverificationDiscrepancyError,
    strawberry.union(
        "WaiveReverificationDiscrepancyResult",
        description="What `waiveReverificationDiscrepancy` returns: the discrepancy, or the typed error.",
    ),
]
describe_error(WaiveReverificationDiscrepancyError, "waiveReverificationDiscrepancy")


def _note(field: str, value: str | None) -> str | None:
    return optional_text(field, value, max_length=MULTI_LINE, multi_line=True)


def _reports(
    input: RaiseReverificationDiscrepancyInput,
) -> tuple[usecases.LeftReport | None, usecases.WrongDataReport | None, usecases.ChildReport | None]:
    left = wrong = child = None
    if (x := input.left_without_change) is not None:
        left = usecases.LeftReport(normalise_number(x.number), _note("leftWithoutChange.note", x.note))
    if (y := input.data_wrong) is not None:
        value = clean_text("dataWrong.correctValue", y.correct_value)
        wrong = usecases.WrongDataReport(normalise_number(y.number), DossierField(y.field), value, _note("dataWrong.note", y.note))
    if (z := input.present_without_dossier) is not None:
        reported = ReportedChild(
            name=required_text("presentWithoutDossier.name", z.name, max_length=SHORT),
            sex=Sex(z.sex),
            birth_date=z.birth_date,
            id_document=z.id_document.to_domain() if z.id_document else None,
        )
        child = usecases.ChildReport(reported, _note("presentWithoutDossier.note", z.note))
    return left, wrong, child


@strawberry.type
class ReverificationTaskMutations:
    @strawberry.mutation(
        description="The school's registrar flags a discrepancy of its roster while its result is not confirmed: a "
        "student who left without a recorded change, a child attending without a dossier, or a wrong dossier field."
    )
    async def raise_reverification_discrepancy(
        self,
        info: Info,
        input: Annotated[RaiseReverificationDiscrepancyInput, strawberry.argument(description="The discrepancy to raise.")],
    ) -> RaiseReverificationDiscrepancyResult:
        ctx = info.context

        async def body() -> Outcome[RaiseReverificationDiscrepancySuccess]:
            left, wrong, child = _reports(input)
            result, raised = await usecases.raise_discrepancy(
                ctx, str(input.campaign_id), input.school_code, left=left, wrong=wrong, child=child
            )
            return Outcome(
                RaiseReverificationDiscrepancySuccess(
                    discrepancy=ReverificationDiscrepancy(discrepancy=raised, result=result),
                    school=ReverificationSchool(result=result),
                ),
                school_code=result.school_code,
                details={"discrepancy": raised.id, "kind": raised.kind.value, "number": raised.number},
            )

        return await audited(
            ctx,
            action="mutation:raiseReverificationDiscrepancy",
            target=("reverification_school", f"{input.campaign_id}:{input.school_code}"),
            errors=(RaiseReverificationDiscrepancyError, RaiseReverificationDiscrepancyErrorCode),
            body=body,
        )

    @strawberry.mutation(description="The school's registrar withdraws a discrepancy while its result is not confirmed.")
    async def withdraw_reverification_discrepancy(
        self,
        info: Info,
        input: Annotated[WithdrawReverificationDiscrepancyInput, strawberry.argument(description="The discrepancy to withdraw.")],
    ) -> WithdrawReverificationDiscrepancyResult:
        ctx = info.context

        async def body() -> Outcome[WithdrawReverificationDiscrepancySuccess]:
            result, found = await usecases.withdraw_discrepancy(ctx, str(input.id))
            return Outcome(
                WithdrawReverificationDiscrepancySuccess(discrepancy=ReverificationDiscrepancy(discrepancy=found, result=result)),
                school_code=result.school_code,
            )

        return await audited(
            ctx,
            action="mutation:withdrawReverificationDiscrepancy",
            target=("reverification_discrepancy", str(input.id)),
            errors=(WithdrawReverificationDiscrepancyError, WithdrawReverificationDiscrepancyErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="The school's registrar or its supervising department resolves a task by linking the business "
        "opened for it (a case, a correction, a dossier update, an enrolment); the link is recorded."
    )
    async def link_reverification_discrepancy(
        self,
        info: Info,
        input: Annotated[LinkReverificationDiscrepancyInput, strawberry.argument(description="The task and its business.")],
    ) -> LinkReverificationDiscrepancyResult:
        ctx = info.context

        async def body() -> Outcome[LinkReverificationDiscrepancySuccess]:
            kind = FollowUpKind(input.business_kind)
            business_id = clean_text("businessId", input.business_id, max_length=SHORT)
            result, found = await usecases.link_discrepancy(ctx, str(input.id), kind, business_id)
            return Outcome(
                LinkReverificationDiscrepancySuccess(discrepancy=ReverificationDiscrepancy(discrepancy=found, result=result)),
                school_code=result.school_code,
                details={"businessKind": kind.value, "businessId": found.resolution.business_id if found.resolution else None},
            )

        return await audited(
            ctx,
            action="mutation:linkReverificationDiscrepancy",
            target=("reverification_discrepancy", str(input.id)),
            errors=(LinkReverificationDiscrepancyError, LinkReverificationDiscrepancyErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="The school's supervising department waives a task that needs no business, with the reason."
    )
    async def waive_reverification_discrepancy(
        self,
        info: Info,
        input: Annotated[WaiveReverificationDiscrepancyInput, strawberry.argument(description="The task and the reason.")],
    ) -> WaiveReverificationDiscrepancyResult:
        ctx = info.context

        async def body() -> Outcome[WaiveReverificationDiscrepancySuccess]:
            reason = _note("reason", input.reason)
            result, found = await usecases.waive_discrepancy(ctx, str(input.id), reason)
            return Outcome(
                WaiveReverificationDiscrepancySuccess(discrepancy=ReverificationDiscrepancy(discrepancy=found, result=result)),
                school_code=result.school_code,
            )

        return await audited(
            ctx,
            action="mutation:waiveReverificationDiscrepancy",
            target=("reverification_discrepancy", str(input.id)),
            errors=(WaiveReverificationDiscrepancyError, WaiveReverificationDiscrepancyErrorCode),
            body=body,
        )
