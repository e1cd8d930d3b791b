"""The workflow engine on pure objects: order of steps, actors, evidence, warnings,
escalation and forcing; and a property test over random sequences of operations."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.accounts import Account, Role
from domain.calendar import WorkingCalendar
from domain.dossier import BasicData, Dossier, Flags, SchoolStatus, StudentState
from domain.errors import DomainError
from domain.evidence import EvidenceKind
from domain.identity import IdDocKind, Sex, parse_id_document
from domain.jurisdiction import Ownership, School, SchoolKind
from domain.workflows.definitions import DEFINITIONS
from domain.workflows.engine import (
    Case,
    CaseKind,
    CaseState,
    Decision,
    EvidenceFact,
    Facts,
    Outcome,
    active_steps,
    decide,
    escalate,
    open_case,
)

CAL = WorkingCalendar()
NOW = datetime(2026, 9, 28, 9, tzinfo=UTC)
A = School("2141010501", "A小学", SchoolKind.PRIMARY, Ownership.PUBLIC, "410105", "410105")
B = School("2141010201", "B小学", SchoolKind.PRIMARY, Ownership.PUBLIC, "410102", "410102")
SCHOOLS = {A.code: A, B.code: B}
T = date(2026, 1, 1)


def reg(school: School) -> Account:
    return Account(f"r{school.code}", "r", Role.SCHOOL_REGISTRAR, school.code, T)


def dept(code: str) -> Account:
    role = {4: Role.CITY_DEPARTMENT, 2: Role.PROVINCE_DEPARTMENT}.get(len(code.rstrip("0")), Role.COUNTY_DEPARTMENT)
    return Account(f"d{code}", "d", role, code)


def dossier(school: School = A, grade: int = 3) -> Dossier:
    return Dossier(
        id="G1",
        number="G1",
        aliases=(),
        id_document=parse_id_document(IdDocKind.NONE_YET, None),
        basic=BasicData("王小明", Sex.MALE, date(2017, 3, 1)),
        guardians=(),
        flags=Flags(),
        status=SchoolStatus(school.code, grade, "三(1)班", date(2023, 9, 1), "1", "1"),
    )


APPLICATION = EvidenceFact("doc-app", EvidenceKind.STATUS_APPLICATION, "application/pdf")


def transfer(d: Dossier | None = None, now: datetime = NOW) -> Case:
    d = d or dossier()
    facts = Facts(d, SCHOOLS[d.status.school_code], B if d.status.school_code == A.code else A, "HOUSEHOLD_MOVED", {}, now.date())
    receiving = B if d.status.school_code == A.code else A
    return open_case(DEFINITIONS[CaseKind.TRANSFER], facts, reg(receiving), case_id="case-1", now=now, calendar=CAL, evidence=(), comment=None)


def step(
    case: Case,
    account: Account,
    decision: Decision = Decision.APPROVE,
    *,
    comment: str | None = None,
    evidence: tuple[EvidenceFact, ...] = (),
    override_reason: str | None = None,
) -> Outcome:
    return decide(
        DEFINITIONS[case.kind], case, account, decision, now=NOW, calendar=CAL,
        comment=comment, evidence=evidence, override_reason=override_reason,
    )


def test_transfer_runs_in_the_order_of_article_11_and_moves_the_dossier() -> None:
    case = transfer()
    assert case.due == date(2026, 10, 16)  # ten working days across National Day (调休 Saturday included)
    with pytest.raises(DomainError) as e:
        step(case, reg(A))  # the sending school cannot go first
    assert e.value.code == "WRONG_ACTOR"
    with pytest.raises(DomainError) as e:
        step(case, reg(B))  # the receiving school needs the guardian's application
    assert e.value.code == "EVIDENCE_REQUIRED"
    case = step(case, reg(B), evidence=(APPLICATION,)).case
    with pytest.raises(DomainError):
        step(case, dept("410105"))  # the sending department cannot go second
    case = step(case, dept("410102")).case
    case = step(case, reg(A)).case
    done = step(case, dept("410105"))
    assert done.case.state is CaseState.COMPLETED
    moved = dossier()
    for effect in done.effects:
        moved = effect(moved, done.case)
    assert moved.status.school_code == B.code and moved.number == "G1" and moved.former_school_codes == (A.code,)


def test_sending_school_cannot_open_and_suspended_students_do_not_transfer() -> None:
    facts = Facts(dossier(), A, B, "HOUSEHOLD_MOVED", {}, NOW.date())
    with pytest.raises(DomainError) as e:
        open_case(DEFINITIONS[CaseKind.TRANSFER], facts, reg(A), case_id="c", now=NOW, calendar=CAL, evidence=(), comment=None)
    assert e.value.code == "WRONG_OPENER"
    suspended = dossier()
    suspended = replace(suspended, status=replace(suspended.status, state=StudentState.SUSPENDED))
    with pytest.raises(DomainError) as e:
        transfer(suspended)
    assert e.value.code == "SUSPENDED"
    sanctioned = replace(dossier(), sanction_until=date(2026, 12, 31))
    with pytest.raises(DomainError) as e:
        transfer(sanctioned)
    assert e.value.code == "UNDER_SANCTION"


def test_outside_the_window_the_receiving_department_overrides_with_a_reason() -> None:
    late = datetime(2026, 11, 27, 9, tzinfo=UTC)
    case = transfer(now=late)
    assert case.warnings == ("OUTSIDE_TRANSFER_WINDOW",)
    case = step(case, reg(B), evidence=(APPLICATION,)).case
    with pytest.raises(DomainError) as e:
        step(case, dept("410102"))
    assert e.value.code == "OVERRIDE_REQUIRED"
    assert step(case, dept("410102"), override_reason="随军家属, 部队调令").case.step == 2


def test_overdue_steps_escalate_once_and_the_level_above_forces_with_a_reason() -> None:
    case = transfer()
    assert escalate(DEFINITIONS[case.kind], case, now=NOW) is None  # not yet overdue
    later = datetime(2026, 10, 19, tzinfo=UTC)
    escalated = escalate(DEFINITIONS[case.kind], case, now=later)
    assert escalated is not None and escalated.escalated_to == "410102"  # the receiving school's department
    assert escalate(DEFINITIONS[case.kind], escalated, now=later) is None  # idempotent
    with pytest.raises(DomainError) as e:
        step(escalated, dept("410102"), Decision.FORCE)
    assert e.value.code == "REASON_REQUIRED"
    with pytest.raises(DomainError) as e:
        step(escalated, dept("410105"), Decision.FORCE, comment="x")
    assert e.value.code == "WRONG_ACTOR"
    forced = step(escalated, dept("410102"), Decision.FORCE, comment="学校逾期未审核", evidence=(APPLICATION,)).case
    assert forced.step == 1 and forced.events[-1].action == "FORCED" and forced.escalated_to is None


def test_return_goes_back_one_step_with_its_reason() -> None:
    case = step(transfer(), reg(B), evidence=(APPLICATION,)).case
    back = step(case, dept("410102"), Decision.RETURN, comment="证明材料不清晰").case
    assert back.step == 0 and back.events[-1].comment == "证明材料不清晰"
    with pytest.raises(DomainError) as e:
        step(back, reg(B), Decision.RETURN, comment="x")
    assert e.value.code == "CANNOT_RETURN"


NO_PUNISHMENT = ("EXPEL", "DISMISS", "PUNISH", "REPEAT", "FORCE_TRANSFER", "WITHDRAW_STATUS")


def test_no_kind_expels_punishes_forces_a_transfer_or_a_repeated_grade() -> None:
    for kind in CaseKind:
        assert not any(word in kind.value for word in NO_PUNISHMENT)
    assert DEFINITIONS[CaseKind.TRANSFER].opened_by.value == "TARGET_SCHOOL"


# -- property: no sequence of allowed operations breaks the status invariants ------------

ACTIONS: list[Decision | str] = [*Decision, "WITHDRAW"]
ops = st.lists(
    st.tuples(
        st.sampled_from(list(CaseKind)),
        st.sampled_from(ACTIONS),
        st.integers(min_value=1, max_value=9),
    ),
    max_size=25,
)


def _facts_for(kind: CaseKind, d: Dossier, grade: int) -> Facts:
    school = SCHOOLS[d.status.school_code]
    other = B if school is A else A
    by_kind: dict[CaseKind, dict[str, object]] = {
        CaseKind.SUSPENSION: {"untilDate": NOW.date() + timedelta(days=200)},
        CaseKind.SUSPENSION_EXTENSION: {"untilDate": NOW.date() + timedelta(days=300)},
        CaseKind.RESUMPTION: {"grade": grade},
        CaseKind.RETURN_FROM_ABROAD: {"grade": grade},
        CaseKind.SKIP_GRADE: {"grade": grade},
        CaseKind.DROPOUT_REPORT: {"addressees": "某街道办事处、金水区教育局"},
        CaseKind.DEATH: {"informedOn": NOW.date()},
        CaseKind.SPECIAL_PLACEMENT: {"moveStatus": True},
    }
    params = by_kind.get(kind, {})
    grounds = {
        CaseKind.TRANSFER: "HOUSEHOLD_MOVED",
        CaseKind.SUSPENSION: "OTHER_SPECIAL",
        CaseKind.SUSPENSION_EXTENSION: "OTHER_SPECIAL",
        CaseKind.MISSING_REPORT: "MISSING",
        CaseKind.SPECIAL_PLACEMENT: "WORK_STUDY",
    }.get(kind)
    target = other if DEFINITIONS[kind].needs_target else None
    return Facts(d, school, target, grounds, params, NOW.date())


ALL_EVIDENCE = tuple(EvidenceFact(f"doc-{k.value}", k, "image/jpeg") for k in EvidenceKind)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_no_sequence_of_allowed_operations_breaks_the_status(sequence: list[tuple[CaseKind, Decision | str, int]]) -> None:
    d = dossier()
    open_case_: Case | None = None
    for kind, action, grade in sequence:
        definition = DEFINITIONS[kind]
        if open_case_ is None:
            facts = _facts_for(kind, d, grade)
            opener_school = facts.target if definition.opened_by.value == "TARGET_SCHOOL" else facts.school
            assert opener_school is not None
            try:
                open_case_ = open_case(definition, facts, reg(opener_school), case_id="case-x", now=NOW, calendar=CAL, evidence=ALL_EVIDENCE, comment=None)
            except DomainError:
                pass
            continue
        current = open_case_
        cdef = DEFINITIONS[current.kind]
        if action == "WITHDRAW":
            open_case_ = None
            continue
        s = active_steps(cdef, current.grounds, current.params)[current.step]
        code = current.parties[s.party.value]
        actor = reg(SCHOOLS[code]) if s.party.is_school else dept(code)
        decision = Decision(str(action)) if action != Decision.FORCE else Decision.APPROVE
        try:
            outcome = step(current, actor, decision, comment="理由", evidence=ALL_EVIDENCE, override_reason="理由")
        except DomainError:
            continue
        for effect in outcome.effects:
            d = effect(d, outcome.case)
        open_case_ = outcome.case if outcome.case.state is CaseState.OPEN else None
        # invariants after every decision
        assert d.status.school_code in SCHOOLS  # exactly one school, a real one
        assert not (d.missing and d.status.state is StudentState.DECEASED)  # never cancelled while missing
        assert d.number == "G1"  # the number never changes
        assert d.status.school_code not in d.former_school_codes


def _extension(current_until: date, until: date) -> Case:
    suspended = replace(
        dossier(),
        status=replace(dossier().status, state=StudentState.SUSPENDED),
        suspension_until=current_until,
        suspension_grounds="ILLNESS",
    )
    facts = Facts(suspended, A, None, "LONG_LEAVE", {"untilDate": until}, NOW.date())
    return open_case(
        DEFINITIONS[CaseKind.SUSPENSION_EXTENSION], facts, reg(A), case_id="case-x", now=NOW, calendar=CAL,
        evidence=(APPLICATION,), comment=None,
    )


@pytest.mark.parametrize("days", [0, -1, -120])
def test_an_extension_ends_after_the_current_suspension(days: int) -> None:
    current = NOW.date() + timedelta(days=60)
    with pytest.raises(DomainError) as e:
        _extension(current, current + timedelta(days=days))
    assert (e.value.code, e.value.field) == ("NOT_AN_EXTENSION", "params.untilDate")


def test_an_extension_is_for_at_most_a_year_from_the_current_end() -> None:
    current = NOW.date() + timedelta(days=60)
    assert _extension(current, current + timedelta(days=365)).params["untilDate"] == current + timedelta(days=365)
    with pytest.raises(DomainError) as e:
        _extension(current, current + timedelta(days=366))
    assert e.value.code == "TOO_LONG"


def _migrant_dropout(d: Dossier) -> Case:
    facts = Facts(d, A, None, None, {"addressees": "纬五路街道；金水区教育局"}, NOW.date())
    return open_case(DEFINITIONS[CaseKind.DROPOUT_REPORT], facts, reg(A), case_id="case-d", now=NOW, calendar=CAL, evidence=(), comment=None)


def test_migrant_handover_is_due_at_the_end_of_term_names_the_household_county_and_frees_the_student() -> None:
    from_elsewhere = replace(
        dossier(),
        flags=Flags(migrant_child=True),
        basic=replace(dossier().basic, household_place="411502"),  # 信阳市浉河区
        open_business="case-d",
    )
    case = _migrant_dropout(from_elsewhere)
    assert case.parties["HOUSEHOLD_DEPARTMENT"] == "411502"
    case = step(case, reg(A)).case
    acknowledged = step(case, dept("410105"))
    assert acknowledged.case.state is CaseState.OPEN and acknowledged.case.due == date(2027, 1, 31)  # end of the autumn term
    after = from_elsewhere
    for effect in acknowledged.effects:
        after = effect(after, acknowledged.case)
    assert after.status.state is StudentState.DROPPED_OUT and after.open_business is None  # a resumption can be opened
    # the household county comes from the resident ID when no household place is recorded
    by_id = replace(dossier(), flags=Flags(migrant_child=True), id_document=parse_id_document(IdDocKind.RESIDENT_ID, "360426199101010071"))
    assert _migrant_dropout(by_id).parties["HOUSEHOLD_DEPARTMENT"] == "360426"
    with pytest.raises(DomainError) as e:
        _migrant_dropout(replace(dossier(), flags=Flags(migrant_child=True)))  # neither: where would it go?
    assert e.value.code == "HOUSEHOLD_PLACE_REQUIRED"


def test_a_sanction_never_changes_the_status() -> None:
    sanction = DEFINITIONS[CaseKind.SANCTION_RECORD]
    params = {"untilDate": NOW.date() + timedelta(days=90), "sanctionReason": "多次打架"}
    case = open_case(
        sanction, Facts(dossier(), A, None, "DEMERIT", params, NOW.date()), reg(A), case_id="case-s", now=NOW, calendar=CAL,
        evidence=(EvidenceFact("doc-s", EvidenceKind.SANCTION_DECISION, "application/pdf"),), comment=None,
    )
    case = step(case, reg(A)).case
    done = step(case, dept("410105"))
    after = dossier()
    for effect in done.effects:
        after = effect(after, done.case)
    assert after.sanction_until == params["untilDate"] and after.status == dossier().status


def test_a_step_that_released_the_business_cannot_be_returned_into_one_that_holds_it() -> None:
    migrant = replace(dossier(), flags=Flags(migrant_child=True), basic=replace(dossier().basic, household_place="411502"))
    case = step(step(_migrant_dropout(migrant), reg(A)).case, dept("410105")).case
    with pytest.raises(DomainError) as e:
        step(case, dept("410105"), Decision.RETURN, comment="重新确认")
    assert e.value.code == "CANNOT_RETURN"
