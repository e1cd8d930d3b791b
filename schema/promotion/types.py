"""Year-end plans and their jobs as the frontend sees them (Art. 17; `domain/promotion.py`)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from application.promotion import JobState, YearEndStatus
from domain import promotion as rules
from schema.docs import SCHOOL_CODE, describe_values

YearEndJobStateType = describe_values(
    strawberry.enum(JobState, name="YearEndJobState", description="Where a year-end plan's job stands."),
    {
        "PLANNED": "A dry run only: nothing has changed. Confirm it with runPromotion.",
        "RUNNING": "Confirmed: students are being moved (see `done` of `total`). If it stays here without progress, "
        "the process running it stopped: the next API process to start resumes it, or confirm it again (nobody is "
        "moved twice).",
        "DONE": "Every student of the plan was moved, or reported in `stale` because the dossier changed since the plan.",
    },
)
YearEndExceptionReasonType = describe_values(
    strawberry.enum(rules.ExceptionReason, name="YearEndExceptionReason", description="Why a student is left as they are."),
    {
        "SUSPENDED": "休学 (Art. 13): the grade is decided when the student resumes.",
        "ABROAD": "出境就读 (Art. 13(4)): the status is kept, the grade unchanged.",
        "DROPPED_OUT": "辍学 (Art. 14): the status is kept through the compulsory years, the grade unchanged.",
        "MISSING": "Reported missing or detained (Art. 16): the status is kept as it is.",
        "ALREADY_GRADUATED": "The student graduated already: the status has ended here.",
        "DECEASED": "The status was cancelled on death (Art. 16).",
        "BUSINESS_OPEN": "A transfer or another case is open on the dossier: that business decides the grade; finish it "
        "first and plan again.",
        "GRADE_NOT_OFFERED": "The recorded grade is not one the school offers: correct the record, then plan again.",
    },
)


@strawberry.type(description="What the plan does in one grade of one school (the grade before the change).")
class YearEndGroup:
    school_code: str = strawberry.field(description=SCHOOL_CODE)
    grade: int = strawberry.field(description="The grade, 1-9, before the change.")
    promoted: int = strawberry.field(description="Students moving up to the next grade.")
    graduated: int = strawberry.field(description="Students graduating: the school's last grade.")
    excepted: int = strawberry.field(description="Students left as they are, each listed in `exceptions` with why.")


@strawberry.type(description="A student of the chosen grades whom the plan leaves as they are, by rule.")
class YearEndException:
    number: str = strawberry.field(description="The student number (学籍号).")
    school_code: str = strawberry.field(description=SCHOOL_CODE)
    grade: int = strawberry.field(description="The student's grade, unchanged by the plan.")
    reason: YearEndExceptionReasonType = strawberry.field(description="The rule that keeps the student as they are.")  # type: ignore[valid-type]


@strawberry.type(
    description="A year-end plan (正常升级与毕业, Art. 17): a dry run over chosen schools and grades, kept with the "
    "exact dossier versions it covers, and the job that runs it once confirmed."
)
class YearEndPlan:
    id: strawberry.ID = strawberry.field(description="The plan's id, to confirm it with runPromotion.")
    made_by: str = strawberry.field(description="The login of who made the plan.")
    made_at: datetime = strawberry.field(description="When the plan was made (ISO 8601, UTC).")
    effective_date: date = strawberry.field(description="The day the change takes effect, the graduation date of graduates.")
    school_codes: list[str] = strawberry.field(description="The schools the plan covers (their 10-digit identifiers).")
    grades: list[int] = strawberry.field(description="The grades the plan covers, 1-9.")
    fingerprint: str = strawberry.field(
        description="SHA-256 (hex) of exactly which dossier versions the plan covers: every student moved or excepted, "
        "as sorted `dossierId:version` lines."
    )
    groups: list[YearEndGroup] = strawberry.field(description="Counts per school and grade, in school and grade order.")
    exceptions: list[YearEndException] = strawberry.field(description="Every student left as they are, with the reason.")
    total: int = strawberry.field(description="How many students the plan moves (promoted and graduated).")
    promoted: int = strawberry.field(description="How many move up one grade.")
    graduated: int = strawberry.field(description="How many graduate, with the effective date.")
    state: YearEndJobStateType = strawberry.field(description="Where the plan's job stands.")  # type: ignore[valid-type]
    confirmed_by: str | None = strawberry.field(description="The login of who first confirmed the plan; null while planned.")
    confirmed_at: datetime | None = strawberry.field(description="When it was first confirmed; null while planned.")
    finished_at: datetime | None = strawberry.field(description="When its job finished; null until DONE.")
    done: int = strawberry.field(description="Progress: students the job has dealt with so far, out of `total`.")
    moved: int = strawberry.field(description="Students the job has moved so far.")
    stale: list[str] = strawberry.field(
        description="Student numbers the job did not move because their dossier changed after the plan was made "
        "(another change came first): plan again for them."
    )

    @classmethod
    def of(cls, s: YearEndStatus) -> YearEndPlan:
        p = s.plan
        return cls(
            id=strawberry.ID(p.id),
            made_by=p.made_by,
            made_at=p.made_at,
            effective_date=p.effective_date,
            school_codes=list(p.school_codes),
            grades=list(p.grades),
            fingerprint=p.fingerprint,
            groups=[YearEndGroup(school_code=g.school_code, grade=g.grade, promoted=g.promoted, graduated=g.graduated, excepted=g.excepted) for g in p.groups],
            exceptions=[YearEndException(number=x.number, school_code=x.school_code, grade=x.grade, reason=x.reason) for x in p.exceptions],
            total=p.total,
            promoted=p.promoted,
            graduated=p.graduated,
            state=s.state,
            confirmed_by=s.confirmed_by,
            confirmed_at=s.confirmed_at,
            finished_at=s.finished_at,
            done=s.done,
            moved=s.moved,
            stale=list(s.stale),
        )
