"""The year-end change (Art. 17): the dry run, its confirmation, and progression placements."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from application import promotion as usecases
from schema.context import Info
from schema.docs import SCHOOL_CODE, STUDENT_NUMBER_ARG, describe_error
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited
from schema.promotion.types import YearEndPlan
from schema.students.types import Student


@strawberry.enum(description="Stable codes of planYearEnd errors: exactly the ones it can return.")
class PlanYearEndErrorCode(ErrorCode, codes=(*usecases.PLAN_YEAR_END_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of runPromotion errors: exactly the ones it can return.")
class RunPromotionErrorCode(ErrorCode, codes=(*usecases.RUN_PROMOTION_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of recordProgression errors: exactly the ones it can return.")
class RecordProgressionErrorCode(ErrorCode, codes=(*usecases.RECORD_PROGRESSION_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="What the year-end dry run covers.")
class PlanYearEndInput:
    effective_date: date = strawberry.field(
        description="The day the change takes effect (ISO 8601, June to August): graduates graduate on it."
    )
    school_codes: list[str] | None = strawberry.field(
        default=None,
        description="The schools (10-digit identifiers) you run the change for; null: your school (a registrar) or "
        "every school your department supervises.",
    )
    grades: list[int] | None = strawberry.field(default=None, description="The grades (1-9) to move; null: every grade.")


@strawberry.type(description="The dry run is kept as a plan: nothing has changed yet; confirm it with runPromotion.")
class PlanYearEndSuccess:
    plan: YearEndPlan = strawberry.field(description="The plan: counts per school and grade, and the exceptions.")


@strawberry.type
class PlanYearEndError:
    field: str | None
    message: str
    code: PlanYearEndErrorCode


PlanYearEndResult = Annotated[
    PlanYearEndSuccess | PlanYearEndError,
    strawberry.union("PlanYearEndResult", description="What `planYearEnd` returns: the plan, or the typed error."),
]
describe_error(PlanYearEndError, "planYearEnd")


@strawberry.input(description="The year-end plan to run.")
class RunPromotionInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan's id (`YearEndPlan.id`) from planYearEnd.")


@strawberry.type(description="The plan's job runs in the background: poll `yearEndPlan` for its progress.")
class RunPromotionSuccess:
    plan: YearEndPlan = strawberry.field(description="The plan and its job's progress as it stands.")


@strawberry.type
class RunPromotionError:
    field: str | None
    message: str
    code: RunPromotionErrorCode


RunPromotionResult = Annotated[
    RunPromotionSuccess | RunPromotionError,
    strawberry.union("RunPromotionResult", description="What `runPromotion` returns: the running plan, or the typed error."),
]
describe_error(RunPromotionError, "runPromotion")


@strawberry.input(description="One primary graduate admitted to the junior school.")
class ProgressionPlacementInput:
    number: str = strawberry.field(description=STUDENT_NUMBER_ARG)
    class_name: str = strawberry.field(description="The class at the junior school, e.g. 初一(3)班 (1-20 characters).")


@strawberry.input(description="The junior school's admission list of primary graduates (升学, Art. 17).")
class RecordProgressionInput:
    school_code: str = strawberry.field(description="The receiving junior school: " + SCHOOL_CODE)
    entry_date: date = strawberry.field(description="The day they enter grade 7 there (ISO 8601), not before graduating.")
    placements: list[ProgressionPlacementInput] = strawberry.field(description="1 to 500 graduates with their classes.")


@strawberry.type(description="The graduates continue their dossiers at the junior school in grade 7.")
class RecordProgressionSuccess:
    students: list[Student] = strawberry.field(
        description="The students placed by this call (those placed here before are left out)."
    )


@strawberry.type
class RecordProgressionError:
    field: str | None
    message: str
    code: RecordProgressionErrorCode


RecordProgressionResult = Annotated[
    RecordProgressionSuccess | RecordProgressionError,
    strawberry.union("RecordProgressionResult", description="What `recordProgression` returns: the placed students, or the typed error."),
]
describe_error(RecordProgressionError, "recordProgression")


@strawberry.type
class PromotionMutations:
    @strawberry.mutation(
        description="The year-end dry run (Art. 17): for the chosen schools and grades, which students would move up a "
        "grade, which graduate (the school's last grade), and which are left as they are and why. Kept as a plan with "
        "the exact dossier versions it covers; nothing changes until runPromotion. A school's registrar for its school, "
        "or the supervising department for its schools."
    )
    async def plan_year_end(
        self, info: Info, input: Annotated[PlanYearEndInput, strawberry.argument(description="What the plan covers.")]
    ) -> PlanYearEndResult:
        ctx = info.context

        async def body() -> Outcome[PlanYearEndSuccess]:
            plan = await usecases.plan_year_end(ctx, input.school_codes, input.grades, input.effective_date)
            return Outcome(
                PlanYearEndSuccess(plan=YearEndPlan.of(await usecases.status(ctx.stores, plan))),
                details={"plan": plan.id, "fingerprint": plan.fingerprint, "schools": list(plan.school_codes),
                         "promoted": plan.promoted, "graduated": plan.graduated, "excepted": len(plan.exceptions)},
            )

        return await audited(
            ctx, action="mutation:planYearEnd", target=("year_end_plan", "new"), errors=(PlanYearEndError, PlanYearEndErrorCode), body=body
        )

    @strawberry.mutation(
        description="Confirm a year-end plan and run exactly it, in the background: each student moves from the "
        "dossier version the plan was made on, once; a dossier changed since is listed in `stale`, not moved. "
        "Confirming again resumes a job whose process stopped (nobody is moved twice). Who may plan every school of "
        "the plan may confirm it."
    )
    async def run_promotion(
        self, info: Info, input: Annotated[RunPromotionInput, strawberry.argument(description="The plan to run.")]
    ) -> RunPromotionResult:
        ctx = info.context

        async def body() -> Outcome[RunPromotionSuccess]:
            plan, first = await usecases.run_promotion(ctx, str(input.plan_id))
            return Outcome(
                RunPromotionSuccess(plan=YearEndPlan.of(await usecases.status(ctx.stores, plan))),
                details={"plan": plan.id, "fingerprint": plan.fingerprint, "effectiveDate": plan.effective_date.isoformat(),
                         "schools": list(plan.school_codes), "grades": list(plan.grades), "promoted": plan.promoted,
                         "graduated": plan.graduated, "excepted": len(plan.exceptions), "firstConfirmation": first},
            )

        return await audited(
            ctx, action="mutation:runPromotion", target=("year_end_plan", str(input.plan_id)),
            errors=(RunPromotionError, RunPromotionErrorCode), body=body,
        )

    @strawberry.mutation(
        description="Progression (升学, Art. 17, 19): the junior school places primary graduates from its admission "
        "list. Each keeps the same student number and dossier, now in grade 7 there; the primary school keeps a "
        "read-only copy. Every placement is checked first; one that is wrong refuses the list and changes nothing. "
        "The receiving school's registrar or its supervising department."
    )
    async def record_progression(
        self, info: Info, input: Annotated[RecordProgressionInput, strawberry.argument(description="The admission list.")]
    ) -> RecordProgressionResult:
        ctx = info.context

        async def body() -> Outcome[RecordProgressionSuccess]:
            placements = [usecases.Placement(p.number, p.class_name) for p in input.placements]
            placed = await usecases.record_progression(ctx, input.school_code, input.entry_date, placements)
            return Outcome(
                RecordProgressionSuccess(students=[Student.of(r) for r in placed]),
                school_code=input.school_code,
                details={"placed": [r.dossier.number for r in placed]},
            )

        return await audited(
            ctx, action="mutation:recordProgression", target=("school", input.school_code),
            errors=(RecordProgressionError, RecordProgressionErrorCode), body=body,
        )
