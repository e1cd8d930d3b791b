"""One definition per kind of status change (Art. 11-16).

There is deliberately no kind that expels, suspends as a punishment, transfers a student
on the school's own initiative or makes a student repeat a grade: Art. 11(4), 14(1) and 15
forbid them, so the system has no way to do them. A sanction (SANCTION_RECORD) only bars a
transfer while it lasts (Art. 11(4)); it never changes the status."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from domain.dossier import Dossier, StudentState
from domain.enrolment import GRADES
from domain.error_codes import declared
from domain.errors import DomainError
from domain.evidence import EvidenceKind as K
from domain.identity import IdDocKind
from domain.jurisdiction import SchoolKind
from domain.terms import term_end
from domain.workflows.engine import (
    Case,
    CaseKind,
    Definition,
    EvidenceRule,
    Facts,
    Guard,
    Party,
    Step,
)

P = Party


class TransferGrounds(StrEnum):
    """Art. 11(1): the four cases in which a transfer shall be granted."""

    HOUSEHOLD_MOVED = "HOUSEHOLD_MOVED"  # 户籍跨省、市、县迁移或县内跨学区、乡镇迁移
    GUARDIAN_AWAY_ON_DUTY = "GUARDIAN_AWAY_ON_DUTY"  # 因公出国(境)、支边、现役军人, 子女投靠亲属
    MIGRANT_RESIDENCE_MOVED = "MIGRANT_RESIDENCE_MOVED"  # 流动人口子女居住地迁移
    MIGRANT_WORKER_CHILD = "MIGRANT_WORKER_CHILD"  # 进城务工人员随迁子女到流入地就学


class SuspensionGrounds(StrEnum):
    """Art. 13(1)."""

    ILLNESS = "ILLNESS"  # 因病停课治疗休养超过学期总学时三分之一 (county-level hospital diagnosis)
    LONG_LEAVE = "LONG_LEAVE"  # 连续请假超过学期总学时三分之一
    OTHER_SPECIAL = "OTHER_SPECIAL"  # 其他特殊原因


class PlacementGrounds(StrEnum):
    """Art. 12."""

    SPECIAL_TO_REGULAR = "SPECIAL_TO_REGULAR"  # 特殊教育学校学生转入普通学校随班就读
    REGULAR_TO_SPECIAL = "REGULAR_TO_SPECIAL"  # 随班就读残疾学生转入特殊教育学校
    WORK_STUDY = "WORK_STUDY"  # 进入工读学校


class PersonAway(StrEnum):
    """Art. 16: reasons a student left school whose status can never be cancelled."""

    MISSING = "MISSING"  # 失踪
    DETAINED = "DETAINED"  # 被刑事拘留


TERM_STARTS = ((9, 1), (3, 1))  # autumn and spring terms
TRANSFER_WINDOW_DAYS = 61  # Art. 11(3): normally within two months of the start of term
SUSPENSION_TERM = timedelta(days=365)  # Art. 13(3): normally one year


# What the guards below refuse when a case is opened (`Definition.guards`).
GUARD_CODES = declared(
    "WRONG_STATE", "SUSPENDED", "UNDER_SANCTION", "SAME_SCHOOL", "GRADE_NOT_OFFERED", "INVALID_TARGET", "DISABILITY_REQUIRED",
    "DECISION_REQUIRED", "INVALID_VALUE", "TOO_LONG", "NOT_AN_EXTENSION", "HOUSEHOLD_PLACE_REQUIRED", "NOT_SANCTIONED",
    "CROSSES_STAGE",
)


def _state_in(*states: StudentState) -> Any:
    def guard(f: Facts) -> None:
        if f.dossier.status.state not in states:
            allowed = ", ".join(s.value for s in states)
            raise DomainError("number", f"the student is {f.dossier.status.state.value}; this needs {allowed}", "WRONG_STATE")

    return guard


def _not_suspended_or_sanctioned(f: Facts) -> None:
    # Art. 11(4): 学生休学期间以及受处分期间不予转学.
    if f.dossier.status.state is StudentState.SUSPENDED:
        raise DomainError("number", "no transfer while suspended (Art. 11(4))", "SUSPENDED")
    if f.dossier.sanction_until is not None and f.dossier.sanction_until >= f.today:
        raise DomainError("number", "no transfer while under disciplinary sanction (Art. 11(4))", "UNDER_SANCTION")


def _another_school(f: Facts) -> None:
    if f.target is not None and f.target.code == f.school.code:
        raise DomainError("targetSchoolCode", "the student is already at this school", "SAME_SCHOOL")


def _target_offers_grade(f: Facts) -> None:
    if f.target is None:
        return
    grade = f.params.get("grade", f.dossier.status.grade)
    offered = GRADES[f.target.kind]
    if not offered.first <= grade <= offered.last:
        raise DomainError("params.grade", f"{f.target.name} has no grade {grade}", "GRADE_NOT_OFFERED")


def _outside_window(f: Facts) -> str | None:
    """Art. 11(3): transfers normally happen within two months of the start of a term."""
    for month, day in TERM_STARTS:
        for year in (f.today.year, f.today.year - 1):
            start = date(year, month, day)
            if start <= f.today <= start + timedelta(days=TRANSFER_WINDOW_DAYS):
                return None
    return "OUTSIDE_TRANSFER_WINDOW"


def _cross_province(params: dict[str, Any]) -> bool:
    return bool(params.get("crossProvince"))


def _transfer_facts(f: Facts) -> dict[str, Any]:
    assert f.target is not None
    return {"crossProvince": f.target.province_code != f.school.province_code}


def _transfer_effect(d: Dossier, case: Case) -> Dossier:
    """The dossier moves with the student (same number); the sending school keeps a
    read-only copy (Art. 19)."""
    target = case.parties[P.TARGET_SCHOOL.value]
    status = replace(d.status, school_code=target, grade=case.params.get("grade", d.status.grade), state=StudentState.ENROLLED)
    former = tuple(dict.fromkeys((*d.former_school_codes, d.status.school_code)))
    return replace(d, status=status, former_school_codes=former, attending_school_code=None)


TRANSFER = Definition(
    kind=CaseKind.TRANSFER,
    article="Art. 11",
    title="转学",
    # The guardian applies to the receiving school first (Art. 11(2)); the sending school can
    # never open a transfer: a school may not order a student to transfer (Art. 11(4)).
    opened_by=P.TARGET_SCHOOL,
    grounds=tuple(g.value for g in TransferGrounds),
    needs_target=True,
    params=("grade",),
    derive=_transfer_facts,
    guards=(_not_suspended_or_sanctioned, _another_school, _target_offers_grade, _state_in(StudentState.ENROLLED)),
    warnings=(_outside_window,),
    steps=(
        # Art. 11(3): each party has 10 working days.
        # The receiving school holds the guardian's application (and, across provinces, the
        # status certificate of the original school, 学籍证明) and uploads them to the case.
        Step(
            "RECEIVING_SCHOOL",
            P.TARGET_SCHOOL,
            10,
            evidence=(EvidenceRule(K.STATUS_APPLICATION), EvidenceRule(K.TRANSFER_CERTIFICATE, when=_cross_province)),
        ),
        Step("RECEIVING_DEPARTMENT", P.TARGET_SUPERVISOR, 10, confirms_warnings=True),
        Step("SENDING_SCHOOL", P.STUDENT_SCHOOL, 10),
        Step("SENDING_DEPARTMENT", P.STUDENT_SUPERVISOR, 10),
    ),
    effect=_transfer_effect,
)


def _placement_guard(f: Facts) -> None:
    g, target = f.grounds, f.target
    assert target is not None
    if g == PlacementGrounds.SPECIAL_TO_REGULAR and not (
        f.school.kind is SchoolKind.SPECIAL_EDUCATION and target.kind is not SchoolKind.SPECIAL_EDUCATION
    ):
        raise DomainError("targetSchoolCode", "from a special-education school to a regular school", "INVALID_TARGET")
    if g == PlacementGrounds.REGULAR_TO_SPECIAL and target.kind is not SchoolKind.SPECIAL_EDUCATION:
        raise DomainError("targetSchoolCode", "to a special-education school", "INVALID_TARGET")
    if g == PlacementGrounds.WORK_STUDY and target.kind is not SchoolKind.WORK_STUDY:
        raise DomainError("targetSchoolCode", "to a work-study school", "INVALID_TARGET")
    if g in (PlacementGrounds.SPECIAL_TO_REGULAR, PlacementGrounds.REGULAR_TO_SPECIAL) and f.dossier.flags.disability is None:
        raise DomainError("number", "record the student's disability type first", "DISABILITY_REQUIRED")
    if not isinstance(f.params.get("moveStatus"), bool):
        raise DomainError("params.moveStatus", "say whether the status moves or stays (Art. 12)", "DECISION_REQUIRED")


def _placement_effect(d: Dossier, case: Case) -> Dossier:
    """Art. 12: the status moves to the new school, or stays and the student attends there."""
    target = case.parties[P.TARGET_SCHOOL.value]
    if case.params.get("moveStatus"):
        moved = _transfer_effect(d, case)
        inclusive = case.grounds == PlacementGrounds.SPECIAL_TO_REGULAR
        return replace(moved, flags=replace(moved.flags, inclusive_education=inclusive))
    inclusive = case.grounds == PlacementGrounds.SPECIAL_TO_REGULAR
    return replace(d, attending_school_code=target, flags=replace(d.flags, inclusive_education=inclusive))


SPECIAL_PLACEMENT = Definition(
    kind=CaseKind.SPECIAL_PLACEMENT,
    article="Art. 12",
    title="特殊教育 / 随班就读 / 工读安置",
    # The original school decides with the guardians whether the status moves (Art. 12).
    opened_by=P.STUDENT_SCHOOL,
    grounds=tuple(g.value for g in PlacementGrounds),
    needs_target=True,
    params=("moveStatus",),
    guards=(_another_school, _placement_guard, _state_in(StudentState.ENROLLED)),
    steps=(
        Step("ORIGINAL_SCHOOL", P.STUDENT_SCHOOL, 10),
        Step("ADMITTING_SCHOOL", P.TARGET_SCHOOL, 10),
    ),
    effect=_placement_effect,
)


def _illness(params: dict[str, Any]) -> bool:
    return params.get("grounds") == SuspensionGrounds.ILLNESS


def _suspension_until(f: Facts) -> None:
    # An extension continues the current suspension: its year counts from the current end.
    current = f.dossier.suspension_until if f.dossier.status.state is StudentState.SUSPENDED else None
    start = f.params.get("fromDate", current or f.today)
    until = f.params.get("untilDate")
    if not isinstance(until, date) or until <= start:
        raise DomainError("params.untilDate", "the suspension ends after it starts", "INVALID_VALUE")
    if until - start > SUSPENSION_TERM:
        raise DomainError(
            "params.untilDate", "a suspension is for at most one year; extend it by a new application (Art. 13(3))", "TOO_LONG"
        )


def _extends_current(f: Facts) -> None:
    """Art. 13(3): 休学期满仍不能复学的 … 申请延长休学期限 — an extension ends after the
    current suspension does."""
    current = f.dossier.suspension_until
    until = f.params.get("untilDate")
    if current is not None and isinstance(until, date) and until <= current:
        raise DomainError(
            "params.untilDate",
            f"the suspension already runs until {current.isoformat()}; an extension ends after that (Art. 13(3))",
            "NOT_AN_EXTENSION",
        )


def _suspend(d: Dossier, case: Case) -> Dossier:
    status = replace(d.status, state=StudentState.SUSPENDED)  # Art. 13: status kept
    return replace(d, status=status, suspension_until=case.params["untilDate"], suspension_grounds=case.grounds)


SUSPENSION_EVIDENCE = (
    EvidenceRule(K.STATUS_APPLICATION),  # the guardian's written application
    EvidenceRule(K.MEDICAL_CERTIFICATE, when=_illness),  # county-level-or-higher hospital diagnosis
)

def _suspension(
    kind: CaseKind, article: str, title: str, state: StudentState, guards: tuple[Guard, ...] = ()
) -> Definition:
    """Suspension and its extension differ only in the state they start from (and the
    extension ends later than the suspension it extends); each needs its own application
    and evidence for its own period (Art. 13(2), (3))."""
    return Definition(
        kind=kind,
        article=article,
        title=title,
        opened_by=P.STUDENT_SCHOOL,
        grounds=tuple(g.value for g in SuspensionGrounds),
        params=("fromDate", "untilDate"),
        open_evidence=SUSPENSION_EVIDENCE,
        guards=(_state_in(state), *guards, _suspension_until),
        steps=(Step("SCHOOL_REVIEW", P.STUDENT_SCHOOL, 10), Step("DEPARTMENT_CONFIRMATION", P.STUDENT_SUPERVISOR, 10)),
        effect=_suspend,
    )


SUSPENSION = _suspension(CaseKind.SUSPENSION, "Art. 13", "休学", StudentState.ENROLLED)
SUSPENSION_EXTENSION = _suspension(
    CaseKind.SUSPENSION_EXTENSION, "Art. 13(3)", "延长休学", StudentState.SUSPENDED, (_extends_current,)
)


def _resumption_guard(f: Facts) -> None:
    grade = f.params.get("grade")
    offered = GRADES[f.school.kind]
    if not isinstance(grade, int) or not offered.first <= grade <= offered.last:
        raise DomainError("params.grade", f"a grade the school has ({offered.first}-{offered.last})", "GRADE_NOT_OFFERED")
    # 按照接续学业原则安排就读年级: the grade continues the studies, never an earlier one.
    if grade < f.dossier.status.grade:
        raise DomainError("params.grade", "the grade continues the student's studies (Art. 13(3), 15)", "GRADE_NOT_OFFERED")


def _after_illness(params: dict[str, Any]) -> bool:
    return params.get("suspendedFor") == SuspensionGrounds.ILLNESS


def _resume(d: Dossier, case: Case) -> Dossier:
    status = replace(d.status, state=StudentState.ENROLLED, grade=case.params["grade"])
    return replace(d, status=status, suspension_until=None, suspension_grounds=None)


RESUMPTION = Definition(
    kind=CaseKind.RESUMPTION,
    article="Art. 13(3)",
    title="复学",
    opened_by=P.STUDENT_SCHOOL,
    params=("grade",),
    derive=lambda f: {"suspendedFor": f.dossier.suspension_grounds},
    # A student suspended for illness brings a recovery certificate from a county-level hospital.
    open_evidence=(EvidenceRule(K.STATUS_APPLICATION), EvidenceRule(K.RECOVERY_CERTIFICATE, when=_after_illness)),
    guards=(_state_in(StudentState.SUSPENDED, StudentState.DROPPED_OUT), _resumption_guard),
    steps=(Step("SCHOOL_REVIEW", P.STUDENT_SCHOOL, 10), Step("DEPARTMENT_CONFIRMATION", P.STUDENT_SUPERVISOR, 10)),
    effect=_resume,
)


def _abroad(d: Dossier, case: Case) -> Dossier:
    return replace(d, status=replace(d.status, state=StudentState.ABROAD))


ABROAD = Definition(
    kind=CaseKind.ABROAD,
    article="Art. 13(4)",
    title="出境就读",
    opened_by=P.STUDENT_SCHOOL,
    open_evidence=(EvidenceRule(K.STATUS_APPLICATION),),
    guards=(_state_in(StudentState.ENROLLED),),
    steps=(Step("SCHOOL_RECORD", P.STUDENT_SCHOOL, 10),),
    effect=_abroad,
)

RETURN_FROM_ABROAD = Definition(
    kind=CaseKind.RETURN_FROM_ABROAD,
    article="Art. 13(4)",
    title="回国接续学籍",
    opened_by=P.STUDENT_SCHOOL,
    params=("grade",),
    guards=(_state_in(StudentState.ABROAD), _resumption_guard),
    steps=(Step("SCHOOL_RECORD", P.STUDENT_SCHOOL, 10),),
    effect=_resume,  # the same dossier continues
)


def _migrant(params: dict[str, Any]) -> bool:
    return bool(params.get("migrantChild"))


def household_county(d: Dossier) -> str | None:
    """The division code of the student's household registration (户籍所在地): the
    recorded household place, else the region code of a resident ID number."""
    if d.basic.household_place:
        return d.basic.household_place
    if d.id_document.kind is IdDocKind.RESIDENT_ID and d.id_document.number:
        return d.id_document.number[:6]
    return None


def _dropout_guard(f: Facts) -> None:
    addressees = f.params.get("addressees")
    if not isinstance(addressees, str) or not addressees.strip():
        raise DomainError(
            "params.addressees", "name the township / sub-district and county the report went to (Art. 14)", "INVALID_VALUE"
        )
    if f.dossier.flags.migrant_child and household_county(f.dossier) is None:
        raise DomainError(
            "number",
            "record the household registration place first: a migrant child's archive is handed over to its "
            "department at the end of term (Art. 14(2))",
            "HOUSEHOLD_PLACE_REQUIRED",
        )


def _household_department(f: Facts) -> dict[Party, str]:
    county = household_county(f.dossier) if f.dossier.flags.migrant_child else None
    return {P.HOUSEHOLD_DEPARTMENT: county} if county else {}


def _dropped_out(d: Dossier, case: Case) -> Dossier:
    return replace(d, status=replace(d.status, state=StudentState.DROPPED_OUT))  # status kept (Art. 14)


def _unchanged(d: Dossier, case: Case) -> Dossier:
    return d


DROPOUT_REPORT = Definition(
    kind=CaseKind.DROPOUT_REPORT,
    article="Art. 14",
    title="辍学报告",
    opened_by=P.STUDENT_SCHOOL,
    params=("addressees",),
    derive=lambda f: {"migrantChild": f.dossier.flags.migrant_child},
    more_parties=_household_department,
    guards=(_state_in(StudentState.ENROLLED), _dropout_guard),
    steps=(
        Step("SCHOOL_REPORT", P.STUDENT_SCHOOL, 10),
        Step("DEPARTMENT_ACKNOWLEDGES", P.STUDENT_SUPERVISOR, 10, effect=_dropped_out),
        # Art. 14(2): for a migrant child the department hands the electronic archive to the
        # department of the household-registration county at the end of the term. Art.
        # 14(2) also wants the school to bring the child back meanwhile (努力使其复学), so
        # this step does not hold the student's business: a resumption can be opened.
        Step(
            "END_OF_TERM_HANDOVER",
            P.STUDENT_SUPERVISOR,
            None,
            when=_migrant,
            due_rule=term_end,
            holds_business=False,
            receiving=P.HOUSEHOLD_DEPARTMENT,
        ),
    ),
    effect=_unchanged,
)


class SanctionKind(StrEnum):
    """受处分 (Art. 11(4)): the disciplinary sanctions a compulsory-education school may give.
    None of them suspends or expels: Art. 14(1) forbids 停学, 退学 and 开除, so a sanction
    never changes the status state; while it lasts the student may not transfer."""

    WARNING = "WARNING"  # 警告
    SERIOUS_WARNING = "SERIOUS_WARNING"  # 严重警告
    DEMERIT = "DEMERIT"  # 记过
    PROBATION = "PROBATION"  # 留校察看 (on probation, staying at school)


SANCTION_REASON_MAX = 200
SANCTION_TERM = timedelta(days=366)  # a sanction runs for a school year at most


def _sanction_guard(f: Facts) -> None:
    until = f.params.get("untilDate")
    if not isinstance(until, date) or until < f.today:
        raise DomainError("params.untilDate", "the last day of the sanction, not in the past", "INVALID_VALUE")
    if until - f.today > SANCTION_TERM:
        raise DomainError("params.untilDate", "a sanction runs for at most a year", "TOO_LONG")
    reason = f.params.get("sanctionReason")
    if not isinstance(reason, str) or not reason.strip():
        raise DomainError("params.sanctionReason", "say what the sanction is for", "INVALID_VALUE")


def _sanctioned(d: Dossier, case: Case) -> Dossier:
    return replace(d, sanction_until=case.params["untilDate"])  # the state is never touched (Art. 14(1))


SANCTION_RECORD = Definition(
    kind=CaseKind.SANCTION_RECORD,
    article="Art. 11(4)",
    title="记录处分",
    # The school proposes, with its written decision; the supervising department records it.
    opened_by=P.STUDENT_SCHOOL,
    grounds=tuple(g.value for g in SanctionKind),
    params=("untilDate", "sanctionReason"),
    open_evidence=(EvidenceRule(K.SANCTION_DECISION),),
    guards=(_state_in(StudentState.ENROLLED, StudentState.SUSPENDED), _sanction_guard),
    steps=(Step("SCHOOL_PROPOSES", P.STUDENT_SCHOOL, 10), Step("DEPARTMENT_RECORDS", P.STUDENT_SUPERVISOR, 10)),
    effect=_sanctioned,
)


def _under_sanction(f: Facts) -> None:
    if f.dossier.sanction_until is None or f.dossier.sanction_until < f.today:
        raise DomainError("number", "the student is under no sanction", "NOT_SANCTIONED")


def _sanction_ended(d: Dossier, case: Case) -> Dossier:
    return replace(d, sanction_until=None)


SANCTION_END = Definition(
    kind=CaseKind.SANCTION_END,
    article="Art. 11(4)",
    title="解除处分",
    opened_by=P.STUDENT_SCHOOL,
    open_evidence=(EvidenceRule(K.SANCTION_DECISION),),  # the school's decision to lift it
    guards=(_under_sanction,),
    steps=(Step("SCHOOL_PROPOSES", P.STUDENT_SCHOOL, 10), Step("DEPARTMENT_RECORDS", P.STUDENT_SUPERVISOR, 10)),
    effect=_sanction_ended,
)


def _skip_guard(f: Facts) -> None:
    target = f.params.get("grade")
    current = f.dossier.status.grade
    if not isinstance(target, int) or target <= current:
        raise DomainError("params.grade", "skipping goes to a higher grade", "INVALID_VALUE")
    primary = range(1, 7)
    if (current in primary) != (target in primary):
        raise DomainError("params.grade", "skipping never crosses from primary to junior secondary (Art. 15)", "CROSSES_STAGE")
    offered = GRADES[f.school.kind]
    if not offered.first <= target <= offered.last:
        raise DomainError("params.grade", "the school has no such grade; skipping stays inside it (Art. 15)", "GRADE_NOT_OFFERED")


def _skip(d: Dossier, case: Case) -> Dossier:
    target = case.params["grade"]
    skipped = tuple(range(d.status.grade + 1, target))  # counted as completed (Art. 15)
    return replace(d, status=replace(d.status, grade=target), skipped_grades=(*d.skipped_grades, *skipped))


SKIP_GRADE = Definition(
    kind=CaseKind.SKIP_GRADE,
    article="Art. 15",
    title="跳级",
    opened_by=P.STUDENT_SCHOOL,
    params=("grade",),
    open_evidence=(EvidenceRule(K.STATUS_APPLICATION),),  # the guardian's written application
    guards=(_state_in(StudentState.ENROLLED), _skip_guard),
    steps=(
        # The school approves and seals the form; the scanned image of it is uploaded.
        Step("SCHOOL_APPROVAL", P.STUDENT_SCHOOL, 10, evidence=(EvidenceRule(K.SKIP_GRADE_FORM, image_only=True),)),
        Step("DEPARTMENT_APPROVAL", P.STUDENT_SUPERVISOR, 10),
    ),
    effect=_skip,
)


def _informed(f: Facts) -> None:
    informed = f.params.get("informedOn")
    if not isinstance(informed, date) or informed > f.today:
        raise DomainError("params.informedOn", "the day the school was informed, not in the future", "INVALID_VALUE")


def _deceased(d: Dossier, case: Case) -> Dossier:
    return replace(d, status=replace(d.status, state=StudentState.DECEASED), missing=False)


DEATH = Definition(
    kind=CaseKind.DEATH,
    article="Art. 16",
    title="死亡注销",
    opened_by=P.STUDENT_SCHOOL,
    params=("informedOn",),
    open_evidence=(EvidenceRule(K.DEATH_CERTIFICATE),),
    guards=(_state_in(*(s for s in StudentState if s not in (StudentState.DECEASED, StudentState.GRADUATED))), _informed),
    # The school deregisters within 10 working days of being informed (the first step's
    # deadline counts from `informedOn`); the department cancels the status.
    steps=(Step("SCHOOL_DEREGISTERS", P.STUDENT_SCHOOL, 10), Step("DEPARTMENT_CANCELS", P.STUDENT_SUPERVISOR, 10)),
    effect=_deceased,
)


def _missing(d: Dossier, case: Case) -> Dossier:
    return replace(d, missing=True)  # the status stays; nothing can cancel it (Art. 16)


MISSING_REPORT = Definition(
    kind=CaseKind.MISSING_REPORT,
    article="Art. 16",
    title="失踪 / 被刑事拘留报告",
    opened_by=P.STUDENT_SCHOOL,
    grounds=tuple(g.value for g in PersonAway),
    guards=(_state_in(*(s for s in StudentState if s not in (StudentState.DECEASED, StudentState.GRADUATED))),),
    steps=(Step("SCHOOL_REPORT", P.STUDENT_SCHOOL, 10), Step("DEPARTMENT_ACKNOWLEDGES", P.STUDENT_SUPERVISOR, 10)),
    effect=_missing,
)

DEFINITIONS: dict[CaseKind, Definition] = {
    d.kind: d
    for d in (
        TRANSFER,
        SPECIAL_PLACEMENT,
        SUSPENSION,
        SUSPENSION_EXTENSION,
        RESUMPTION,
        ABROAD,
        RETURN_FROM_ABROAD,
        DROPOUT_REPORT,
        SKIP_GRADE,
        DEATH,
        MISSING_REPORT,
        SANCTION_RECORD,
        SANCTION_END,
    )
}
