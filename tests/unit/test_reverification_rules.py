"""The rules of a term's re-verification (Art. 23), without I/O: terms, opening, confirming,
deciding, escalating and closing, and the discrepancies and what resolves them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.access import may_see_reverification, may_see_reverification_school, require_reverification_department
from domain.accounts import Account, Role
from domain.calendar import WorkingCalendar
from domain.dossier import BasicData, Dossier, Flags, SchoolStatus, StudentState
from domain.errors import DomainError
from domain.identity import IdDocKind, Sex, mod11_check_digit, parse_id_document
from domain.reverification import campaigns as c
from domain.reverification import discrepancies as d
from domain.reverification.records import (
    Campaign,
    DiscrepancyKind,
    DiscrepancyState,
    DossierField,
    FollowUpKind,
    ReportedChild,
    ResultState,
    RosterEntry,
    SchoolResult,
)
from domain.terms import Term, parse_term, term_of
from domain.workflows.engine import CaseKind, Party

SCHOOL, OTHER, COUNTY = "2141010501", "2141010502", "410105"
DEPT = Account("jinshui.dept", "金水区", Role.COUNTY_DEPARTMENT, COUNTY)
REGISTRAR = Account("weiwu.registrar", "纬五路", Role.SCHOOL_REGISTRAR, SCHOOL, date(2026, 3, 1))
NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)  # a Friday in the autumn term 2026-2027-1
CAL = WorkingCalendar()


def code(e: pytest.ExceptionInfo[DomainError]) -> str:
    return e.value.code


def resident_id(born: date, serial: int, male: bool = True) -> str:
    first17 = f"410105{born:%Y%m%d}{serial * 2 + (1 if male else 0):03d}"
    return first17 + mod11_check_digit(first17)


def dossier(number: str = "G1", *, school: str = SCHOOL, state: StudentState = StudentState.ENROLLED, **basic: object) -> Dossier:
    values: dict[str, object] = {"name": "王明", "sex": Sex.MALE, "birth_date": date(2019, 10, 1), **basic}
    return Dossier(
        id=number,
        number=number,
        aliases=(),
        id_document=parse_id_document(IdDocKind.NONE_YET, None),
        basic=BasicData(**values),  # type: ignore[arg-type]
        guardians=(),
        flags=Flags(),
        status=SchoolStatus(school, 1, "一(1)班", date(2026, 9, 1), "1", "1", state),
        created_at=NOW,
        version=3,
    )


def opened(**due: date) -> tuple[Campaign, SchoolResult]:
    campaign, results = c.open_campaign(DEPT, Term(2026, 1), [SCHOOL], now=NOW, calendar=CAL, schools_due=due.get("schools"), department_due=due.get("department"))
    return campaign, results[0]


def confirmed(result: SchoolResult, campaign: Campaign) -> SchoolResult:
    school = c.confirm_roster(result, campaign, [], REGISTRAR, now=NOW)
    return c.decide_result(school, campaign, DEPT, confirm=True, comment=None, now=NOW, calendar=CAL)


# -- terms ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "term"),
    [
        (date(2026, 11, 28), "2026-2027-1"),
        (date(2027, 1, 31), "2026-2027-1"),
        (date(2027, 2, 1), "2026-2027-2"),  # the winter holiday belongs to the spring term
        (date(2027, 7, 15), "2026-2027-2"),
        (date(2027, 7, 16), "2027-2028-1"),  # the summer holiday belongs to the autumn term
    ],
)
def test_the_term_of_a_day(day: date, term: str) -> None:
    found = term_of(day)
    assert found.code == term and found.starts <= day <= found.ends
    assert parse_term(term) == found and found.previous().ends + timedelta(days=1) == found.starts


def test_term_codes_are_checked() -> None:
    assert parse_term("２０２６-２０２７-２") == Term(2026, 2)  # full-width digits
    for bad in ("2026-2028-1", "2026-2027-3", "2026-27-1", "2026-2027-1 x", "1999-2000-1"):
        with pytest.raises(DomainError) as e:
            parse_term(bad)
        assert code(e) == "INVALID_TERM", bad


# -- opening -------------------------------------------------------------------------------


def test_a_campaign_is_for_the_current_term_or_the_one_just_ended() -> None:
    for term in (Term(2026, 1), Term(2025, 2)):
        campaign, _ = c.open_campaign(DEPT, term, [SCHOOL], now=NOW, calendar=CAL, schools_due=None, department_due=None)
        assert campaign.id == f"{term.code}:{COUNTY}"
    for term in (Term(2026, 2), Term(2025, 1)):  # not yet, and a missed term stays missed
        with pytest.raises(DomainError) as e:
            c.open_campaign(DEPT, term, [SCHOOL], now=NOW, calendar=CAL, schools_due=None, department_due=None)
        assert code(e) == "TERM_NOT_OPEN"
    with pytest.raises(DomainError) as e:
        c.open_campaign(DEPT, Term(2026, 1), [], now=NOW, calendar=CAL, schools_due=None, department_due=None)
    assert code(e) == "NO_SCHOOLS"


def test_default_due_dates_count_working_days() -> None:
    before_national_day = datetime(2026, 9, 28, 9, tzinfo=UTC)
    campaign, results = c.open_campaign(
        DEPT, Term(2026, 1), [OTHER, SCHOOL, SCHOOL], now=before_national_day, calendar=CAL, schools_due=None, department_due=None
    )
    assert campaign.schools_due == CAL.add_working_days(before_national_day.date(), c.SCHOOL_DAYS).due
    assert campaign.schools_due > date(2026, 10, 12)  # the National Day week is not counted
    assert campaign.department_due == CAL.add_working_days(campaign.schools_due, c.DEPARTMENT_DAYS).due
    assert [r.school_code for r in results] == [SCHOOL, OTHER] and {r.state for r in results} == {ResultState.NOT_STARTED}
    assert all(r.due == campaign.schools_due for r in results)


def test_given_due_dates_are_checked() -> None:
    for schools, department, field in (
        (NOW.date() - timedelta(days=1), None, "schoolsDue"),
        (date(2026, 12, 10), date(2026, 12, 10), "departmentDue"),
        (None, NOW.date(), "departmentDue"),
    ):
        with pytest.raises(DomainError) as e:
            c.open_campaign(DEPT, Term(2026, 1), [SCHOOL], now=NOW, calendar=CAL, schools_due=schools, department_due=department)
        assert (code(e), e.value.field) == ("INVALID_VALUE", field)
    campaign, _ = opened(schools=date(2026, 12, 4), department=date(2026, 12, 11))
    assert (campaign.schools_due, campaign.department_due) == (date(2026, 12, 4), date(2026, 12, 11))


# -- confirming and deciding ---------------------------------------------------------------


def test_the_school_confirms_once_and_the_roster_is_digested_in_any_order() -> None:
    campaign, result = opened()
    roster = [RosterEntry("G1", "G1", 3, StudentState.ENROLLED), RosterEntry("G2", "G2", 1, StudentState.SUSPENDED)]
    done = c.confirm_roster(result, campaign, roster, REGISTRAR, now=NOW)
    assert (done.state, done.due, done.roster_size) == (ResultState.SCHOOL_CONFIRMED, campaign.department_due, 2)
    assert done.roster_digest == c.roster_digest(list(reversed(roster)))
    assert done.roster_digest != c.roster_digest([replace(roster[0], version=4), roster[1]])
    assert done.last("SCHOOL_CONFIRMED") is not None and done.events[-1].actor == REGISTRAR.login
    with pytest.raises(DomainError) as e:
        c.confirm_roster(done, campaign, roster, REGISTRAR, now=NOW)
    assert code(e) == "ALREADY_CONFIRMED"
    with pytest.raises(DomainError) as e:
        c.confirm_roster(replace(result, closed=True), campaign, roster, REGISTRAR, now=NOW)
    assert code(e) == "CAMPAIGN_CLOSED"


def test_the_department_decides_a_confirmed_result_only() -> None:
    campaign, result = opened()
    with pytest.raises(DomainError) as e:
        c.decide_result(result, campaign, DEPT, confirm=True, comment=None, now=NOW, calendar=CAL)
    assert code(e) == "AWAITING_SCHOOL"
    school = c.confirm_roster(result, campaign, [], REGISTRAR, now=NOW)
    with pytest.raises(DomainError) as e:
        c.decide_result(school, campaign, DEPT, confirm=False, comment=" ", now=NOW, calendar=CAL)
    assert code(e) == "REASON_REQUIRED"
    returned = c.decide_result(school, campaign, DEPT, confirm=False, comment="漏报转出学生", now=NOW, calendar=CAL)
    assert returned.state is ResultState.RETURNED
    assert returned.due == max(campaign.schools_due, CAL.add_working_days(NOW.date(), c.RETURN_DAYS).due)
    with pytest.raises(DomainError) as e:
        c.decide_result(returned, campaign, DEPT, confirm=True, comment=None, now=NOW, calendar=CAL)
    assert code(e) == "AWAITING_SCHOOL"
    again = c.confirm_roster(returned, campaign, [], REGISTRAR, now=NOW)  # a returned result is confirmed again
    done = c.decide_result(again, campaign, DEPT, confirm=True, comment=None, now=NOW, calendar=CAL)
    assert (done.state, done.due) == (ResultState.DEPARTMENT_CONFIRMED, None)
    assert [x.action for x in done.events] == ["SCHOOL_CONFIRMED", "RETURNED", "SCHOOL_CONFIRMED", "DEPARTMENT_CONFIRMED"]
    with pytest.raises(DomainError) as e:
        c.decide_result(done, campaign, DEPT, confirm=True, comment=None, now=NOW, calendar=CAL)
    assert code(e) == "ALREADY_CONFIRMED"


# -- escalating and closing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("department", "state", "target"),
    [
        ("410105", ResultState.NOT_STARTED, "410105"),  # the school's step: to its department
        ("410105", ResultState.RETURNED, "410105"),
        ("410105", ResultState.SCHOOL_CONFIRMED, "410100"),  # a county's step: to the city
        ("410100", ResultState.SCHOOL_CONFIRMED, "410000"),  # a city's step: to the province
        ("410000", ResultState.SCHOOL_CONFIRMED, "410000"),  # the province has no level above
    ],
)
def test_an_overdue_step_goes_to_the_level_above_once(department: str, state: ResultState, target: str) -> None:
    result = SchoolResult("x", "c", "2026-2027-1", SCHOOL, department, state, due=date(2026, 12, 1))
    assert c.escalate_result(result, now=datetime(2026, 12, 1, 23, tzinfo=UTC)) is None  # due that day: not overdue
    moved = c.escalate_result(result, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert moved is not None and moved.escalated_to == target and moved.events[-1].action == "ESCALATED"
    assert c.escalate_result(moved, now=datetime(2026, 12, 9, tzinfo=UTC)) is None
    assert c.escalate_result(replace(result, closed=True), now=datetime(2026, 12, 9, tzinfo=UTC)) is None
    done = replace(result, state=ResultState.DEPARTMENT_CONFIRMED)
    assert c.escalate_result(done, now=datetime(2026, 12, 9, tzinfo=UTC)) is None


def test_the_next_step_starts_unescalated() -> None:
    campaign, result = opened()
    late = c.escalate_result(result, now=datetime.combine(campaign.schools_due + timedelta(days=1), datetime.min.time(), UTC))
    assert late is not None and late.escalated_to == COUNTY
    assert c.confirm_roster(late, campaign, [], REGISTRAR, now=NOW).escalated_to is None


def test_closing_with_unconfirmed_schools_needs_a_note_and_happens_once() -> None:
    campaign, result = opened()
    with pytest.raises(DomainError) as e:
        c.close_campaign(campaign, [result], DEPT, now=NOW, note=None)
    assert (code(e), e.value.field) == ("REASON_REQUIRED", "note")
    closed = c.close_campaign(campaign, [confirmed(result, campaign)], DEPT, now=NOW, note=None)
    assert closed.closed_by == DEPT.login
    with pytest.raises(DomainError) as e:
        c.close_campaign(closed, [], DEPT, now=NOW, note="x")
    assert code(e) == "CAMPAIGN_CLOSED"
    marked = c.mark_closed(result, DEPT, now=NOW)
    assert marked is not None and marked.closed and marked.due is None and c.mark_closed(marked, DEPT, now=NOW) is None
    with pytest.raises(DomainError) as e:
        c.decide_result(marked, campaign, DEPT, confirm=True, comment=None, now=NOW, calendar=CAL)
    assert code(e) == "CAMPAIGN_CLOSED"


def test_the_roster_is_every_status_the_school_holds_and_has_not_ended() -> None:
    for state in StudentState:
        assert c.on_roster(dossier(state=state), SCHOOL) is (state not in (StudentState.GRADUATED, StudentState.DECEASED))
    assert not c.on_roster(dossier(school=OTHER), SCHOOL)


# -- discrepancies -------------------------------------------------------------------------


def test_left_without_change_is_for_enrolled_roster_students_once() -> None:
    _, result = opened()
    with pytest.raises(DomainError) as e:
        d.raise_left_without_change(result, dossier(school=OTHER), REGISTRAR, now=NOW, note=None)
    assert code(e) == "NOT_ON_ROSTER"
    with pytest.raises(DomainError) as e:
        d.raise_left_without_change(result, dossier(state=StudentState.SUSPENDED), REGISTRAR, now=NOW, note=None)
    assert code(e) == "WRONG_STATE"
    raised = d.raise_left_without_change(result, dossier(), REGISTRAR, now=NOW, note="已两周未到校")
    (x,) = raised.discrepancies
    assert (x.id, x.kind, x.number, x.state) == (f"{result.id}:1", DiscrepancyKind.LEFT_WITHOUT_CHANGE, "G1", DiscrepancyState.OPEN)
    assert d.expected_follow_ups(x) == (FollowUpKind.CASE,)
    with pytest.raises(DomainError) as e:
        d.raise_left_without_change(raised, dossier(), REGISTRAR, now=NOW, note=None)
    assert code(e) == "ALREADY_RAISED"
    withdrawn = d.withdraw(raised, x.id, REGISTRAR, now=NOW)
    again = d.raise_left_without_change(withdrawn, dossier(), REGISTRAR, now=NOW, note=None)
    assert [y.state for y in again.discrepancies] == [DiscrepancyState.WITHDRAWN, DiscrepancyState.OPEN]
    assert again.discrepancies[1].id == f"{result.id}:2"
    with pytest.raises(DomainError) as e:
        d.withdraw(withdrawn, x.id, REGISTRAR, now=NOW)
    assert code(e) == "ALREADY_RESOLVED"


@pytest.mark.parametrize(
    ("field", "given", "stored"),
    [
        (DossierField.NAME, " 王小明 ", "王小明"),
        (DossierField.SEX, "female", "FEMALE"),
        (DossierField.BIRTH_DATE, "２０１９-１０-０２", "2019-10-02"),
        (DossierField.ETHNICITY, "03", "03"),
        (DossierField.ID_NUMBER, "41010520191001001x", "41010520191001001X"),
        (DossierField.CLASS_NAME, "一(2)班", "一(2)班"),
        (DossierField.HOUSEHOLD_PLACE, "410102", "410102"),
        (DossierField.PHONE, "13800000001", "13800000001"),
    ],
)
def test_a_wrong_field_records_both_values(field: DossierField, given: str, stored: str) -> None:
    _, result = opened()
    raised = d.raise_data_wrong(result, dossier(), field, given, REGISTRAR, now=NOW, note=None)
    x = raised.discrepancies[0]
    assert (x.field, x.correct_value, x.recorded_value) == (field, stored, d.recorded_value(dossier(), field))
    key = field in (DossierField.NAME, DossierField.SEX, DossierField.BIRTH_DATE, DossierField.ID_NUMBER)
    assert d.expected_follow_ups(x) == ((FollowUpKind.CORRECTION, FollowUpKind.DOSSIER_UPDATE) if key else (FollowUpKind.DOSSIER_UPDATE,))


@pytest.mark.parametrize(
    ("field", "given", "error"),
    [
        (DossierField.SEX, "男", "INVALID_VALUE"),
        (DossierField.BIRTH_DATE, "2019-02-30", "INVALID_VALUE"),
        (DossierField.BIRTH_DATE, "2099-01-01", "INVALID_VALUE"),
        (DossierField.ETHNICITY, "99", "INVALID_CODE"),
        (DossierField.HOUSEHOLD_PLACE, "41010", "INVALID_VALUE"),
        (DossierField.NAME, "王\n明", "INVALID_VALUE"),
        (DossierField.NAME, "   ", "INVALID_VALUE"),
        (DossierField.NAME, "王明", "NOTHING_TO_CHANGE"),  # the dossier's own value
    ],
)
def test_a_wrong_field_needs_a_right_value(field: DossierField, given: str, error: str) -> None:
    _, result = opened()
    with pytest.raises(DomainError) as e:
        d.raise_data_wrong(result, dossier(), field, given, REGISTRAR, now=NOW, note=None)
    assert code(e) == error


def test_a_child_without_a_dossier_is_reported_once_and_its_status_elsewhere_is_found() -> None:
    _, result = opened()
    born = date(2019, 12, 1)
    child = ReportedChild("李娜", Sex.FEMALE, born)
    raised = d.raise_present_without_dossier(result, child, None, REGISTRAR, now=NOW, note=None)
    assert d.expected_follow_ups(raised.discrepancies[0]) == (FollowUpKind.ENROLMENT, FollowUpKind.CASE)
    with pytest.raises(DomainError) as e:
        d.raise_present_without_dossier(raised, replace(child), None, REGISTRAR, now=NOW, note=None)
    assert code(e) == "ALREADY_RAISED"
    number = resident_id(born, 7, male=False)
    with_id = replace(child, name="李丽", id_document=parse_id_document(IdDocKind.RESIDENT_ID, number))
    elsewhere = dossier("G" + number, school=OTHER, name="李丽", sex=Sex.FEMALE, birth_date=born)
    found = d.raise_present_without_dossier(raised, with_id, elsewhere, REGISTRAR, now=NOW, note=None).discrepancies[1]
    assert found.child is not None and found.child.enrolled_at == OTHER and d.expected_follow_ups(found) == (FollowUpKind.CASE,)
    unknown = d.raise_present_without_dossier(result, with_id, None, REGISTRAR, now=NOW, note=None).discrepancies[0]
    assert d.expected_follow_ups(unknown) == (FollowUpKind.ENROLMENT,)
    with pytest.raises(DomainError) as e:
        d.raise_present_without_dossier(result, with_id, replace(elsewhere, attending_school_code=SCHOOL), REGISTRAR, now=NOW, note=None)
    assert code(e) == "HAS_DOSSIER"
    with pytest.raises(DomainError) as e:
        d.raise_present_without_dossier(result, replace(with_id, sex=Sex.MALE), None, REGISTRAR, now=NOW, note=None)
    assert code(e) == "ID_SEX_MISMATCH"


def test_a_confirmed_result_takes_no_new_discrepancy() -> None:
    campaign, result = opened()
    school = c.confirm_roster(result, campaign, [], REGISTRAR, now=NOW)
    with pytest.raises(DomainError) as e:
        d.raise_left_without_change(school, dossier(), REGISTRAR, now=NOW, note=None)
    assert code(e) == "ALREADY_CONFIRMED"


# -- tasks and what resolves them ----------------------------------------------------------


def _task(kind: str) -> tuple[Campaign, SchoolResult, str]:
    campaign, result = opened()
    if kind == "left":
        result = d.raise_left_without_change(result, dossier(), REGISTRAR, now=NOW, note=None)
    elif kind == "name":
        result = d.raise_data_wrong(result, dossier(), DossierField.NAME, "王晓明", REGISTRAR, now=NOW, note=None)
    elif kind == "class":
        result = d.raise_data_wrong(result, dossier(), DossierField.CLASS_NAME, "一(2)班", REGISTRAR, now=NOW, note=None)
    else:
        result = d.raise_present_without_dossier(result, ReportedChild("李娜", Sex.FEMALE, date(2019, 12, 1)), None, REGISTRAR, now=NOW, note=None)
    return campaign, result, result.discrepancies[0].id


def _case(kind: CaseKind, student: Dossier, *, target: str | None = None, ended: bool = False) -> d.FollowUp:
    return d.FollowUp(FollowUpKind.CASE, "case-1", student, ended_without_effect=ended, case_kind=kind, target_school=target)


def _refused(result: SchoolResult, task: str, follow_up: d.FollowUp, opened_at: datetime = NOW) -> str:
    with pytest.raises(DomainError) as e:
        d.link(result, task, follow_up, DEPT, now=NOW, opened_at=opened_at)
    return code(e)


def test_a_discrepancy_is_a_task_once_the_department_confirmed_and_is_resolved_once() -> None:
    campaign, result, task = _task("left")
    dropout = _case(CaseKind.DROPOUT_REPORT, dossier())
    assert _refused(result, task, dropout) == "NOT_YET_A_TASK"
    done = confirmed(result, campaign)
    assert d.is_task(done, done.discrepancies[0])
    linked = d.link(done, task, dropout, REGISTRAR, now=NOW, opened_at=campaign.opened_at)
    x = linked.discrepancies[0]
    assert x.resolution is not None and (x.state, x.resolution.business_kind, x.resolution.business_id, x.resolution.by) == (
        DiscrepancyState.LINKED, FollowUpKind.CASE, "case-1", REGISTRAR.login
    )
    assert not d.is_task(linked, x)
    assert _refused(linked, task, dropout) == "ALREADY_RESOLVED"
    with pytest.raises(DomainError) as e:
        d.waive(linked, task, DEPT, now=NOW, reason="x")
    assert code(e) == "ALREADY_RESOLVED"
    with pytest.raises(DomainError) as e:
        d.link(done, f"{done.id}:9", dropout, DEPT, now=NOW, opened_at=NOW)
    assert code(e) == "NOT_FOUND"


def test_a_student_who_left_is_resolved_by_a_case_that_accounts_for_the_absence() -> None:
    campaign, result, task = _task("left")
    done = confirmed(result, campaign)
    assert _refused(done, task, _case(CaseKind.SKIP_GRADE, dossier())) == "WRONG_FOLLOW_UP"
    assert _refused(done, task, _case(CaseKind.TRANSFER, dossier("G2"))) == "WRONG_FOLLOW_UP"  # another student
    assert _refused(done, task, _case(CaseKind.TRANSFER, dossier(), ended=True)) == "WRONG_FOLLOW_UP"
    assert _refused(done, task, d.FollowUp(FollowUpKind.CORRECTION, "correction-1", dossier())) == "WRONG_FOLLOW_UP"
    for kind in d.LEAVING_CASES:
        assert d.link(done, task, _case(kind, dossier()), DEPT, now=NOW, opened_at=NOW).discrepancies[0].state is DiscrepancyState.LINKED


def test_wrong_data_is_resolved_by_a_correction_of_that_field_or_an_update_that_changed_it() -> None:
    campaign, result, task = _task("name")
    done = confirmed(result, campaign)
    other_field = d.FollowUp(FollowUpKind.CORRECTION, "correction-1", dossier(), fields=frozenset({"birth_date"}))
    assert _refused(done, task, other_field) == "WRONG_FOLLOW_UP"
    assert _refused(done, task, d.FollowUp(FollowUpKind.DOSSIER_UPDATE, "G1", dossier())) == "WRONG_FOLLOW_UP"  # unchanged
    correction = d.FollowUp(FollowUpKind.CORRECTION, "correction-1", dossier(), fields=frozenset({"name"}))
    assert d.link(done, task, correction, DEPT, now=NOW, opened_at=NOW).discrepancies[0].state is DiscrepancyState.LINKED
    updated = d.link(done, task, d.FollowUp(FollowUpKind.DOSSIER_UPDATE, "G1", dossier(name="王晓明")), DEPT, now=NOW, opened_at=NOW)
    resolution = updated.discrepancies[0].resolution
    assert resolution is not None and (resolution.business_id, resolution.business_version) == ("G1", 3)
    campaign, result, task = _task("class")
    done = confirmed(result, campaign)
    assert _refused(done, task, replace(correction, fields=frozenset({"name"}))) == "WRONG_FOLLOW_UP"  # no correction for a class


def test_a_child_without_a_dossier_is_resolved_by_its_enrolment_here_or_a_transfer_here() -> None:
    campaign, result, task = _task("child")
    done = confirmed(result, campaign)
    child = dossier("G9", name="李娜", sex=Sex.FEMALE, birth_date=date(2019, 12, 1))
    enrolment = d.FollowUp(FollowUpKind.ENROLMENT, "G9", child)
    assert _refused(done, task, replace(enrolment, dossier=replace(child, basic=replace(child.basic, name="李丽")))) == "WRONG_FOLLOW_UP"
    assert _refused(done, task, replace(enrolment, dossier=replace(child, status=replace(child.status, school_code=OTHER)))) == "WRONG_FOLLOW_UP"
    assert _refused(done, task, enrolment, opened_at=NOW + timedelta(seconds=1)) == "WRONG_FOLLOW_UP"  # on the roster already
    assert _refused(done, task, _case(CaseKind.TRANSFER, child, target=OTHER)) == "WRONG_FOLLOW_UP"
    assert d.link(done, task, enrolment, REGISTRAR, now=NOW, opened_at=NOW).discrepancies[0].state is DiscrepancyState.LINKED
    transfer = _case(CaseKind.TRANSFER, child, target=SCHOOL)
    assert d.link(done, task, transfer, REGISTRAR, now=NOW, opened_at=NOW).discrepancies[0].state is DiscrepancyState.LINKED


def test_the_department_waives_a_task_with_a_reason() -> None:
    campaign, result, task = _task("left")
    with pytest.raises(DomainError) as e:
        d.waive(result, task, DEPT, now=NOW, reason="x")
    assert code(e) == "NOT_YET_A_TASK"
    done = confirmed(result, campaign)
    with pytest.raises(DomainError) as e:
        d.waive(done, task, DEPT, now=NOW, reason=" ")
    assert code(e) == "REASON_REQUIRED"
    waived = d.waive(done, task, DEPT, now=NOW, reason="学生已返校").discrepancies[0]
    assert waived.resolution is not None and (waived.state, waived.resolution.reason) == (DiscrepancyState.WAIVED, "学生已返校")


# -- who sees and who runs it --------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "sees", "sees_school"),
    [
        (DEPT, True, True),
        (Account("zhengzhou.dept", "郑州", Role.CITY_DEPARTMENT, "410100"), True, True),  # the level above
        (Account("henan.auditor", "审计", Role.AUDITOR, "410000"), True, True),
        (Account("zhongyuan.dept", "中原", Role.COUNTY_DEPARTMENT, "410102"), False, False),  # a neighbour
        (Account("luoyang.dept", "洛阳", Role.CITY_DEPARTMENT, "410300"), False, False),
        (REGISTRAR, True, True),
        (Account("wenhua.registrar", "文化路", Role.SCHOOL_REGISTRAR, OTHER, date(2026, 3, 1)), True, False),  # its own part only
        (Account("funiu.registrar", "伏牛路", Role.SCHOOL_REGISTRAR, "2141010201", date(2026, 3, 1)), False, False),
        (Account("zhengzhou.archivist", "档案", Role.ARCHIVIST, "410100"), False, False),
        (Account("admin", "管理员", Role.ADMIN, None), False, False),
        (replace(DEPT, disabled=True), False, False),
    ],
)
def test_who_sees_a_counties_reverification(account: Account, sees: bool, sees_school: bool) -> None:
    assert may_see_reverification(account, COUNTY, (SCHOOL, OTHER)) is sees
    assert may_see_reverification_school(account, COUNTY, SCHOOL) is sees_school


def test_only_the_department_runs_it() -> None:
    require_reverification_department(DEPT, COUNTY)
    for account, department, error in (
        (DEPT, "410100", "PERMISSION_DENIED"),
        (REGISTRAR, None, "PERMISSION_DENIED"),
        (Account("henan.auditor", "审计", Role.AUDITOR, "410000"), None, "READ_ONLY_ROLE"),
        (replace(DEPT, disabled=True), None, "ACCOUNT_DISABLED"),
    ):
        with pytest.raises(DomainError) as e:
            require_reverification_department(account, department)
        assert code(e) == error


def day(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time(), UTC) + timedelta(hours=12)


def test_a_school_still_unconfirmed_past_the_departments_date_goes_above_it_once() -> None:
    campaign, result = opened()
    at_department = c.escalate_result(result, now=day(campaign.schools_due + timedelta(days=1)))
    assert at_department is not None and at_department.escalated_to == COUNTY
    assert c.next_escalation(at_department) == (campaign.department_due, Party.STUDENT_SUPERVISOR)
    assert c.escalate_result(at_department, now=day(campaign.department_due)) is None
    above = c.escalate_result(at_department, now=day(campaign.department_due + timedelta(days=1)))
    assert above is not None and above.escalated_to == "410100" and c.next_escalation(above) is None
    assert [e.action for e in above.events] == ["ESCALATED", "ESCALATED"]
    # the province's own schools have no level above it
    province = replace(at_department, department_code="410000", escalated_to="410000")
    assert c.next_escalation(province) is None
    # a late confirmation starts the department's step: due on its date, unescalated
    late = c.confirm_roster(at_department, campaign, [], REGISTRAR, now=NOW)
    assert c.next_escalation(late) == (campaign.department_due, Party.STUDENT_SUPERVISOR)
    assert c.next_escalation(c.mark_closed(late, DEPT, now=NOW) or late) is None
