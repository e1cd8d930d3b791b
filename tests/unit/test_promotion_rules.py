"""The year-end plan and progression rules (Art. 15, 17, 19), without storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from domain import promotion as p
from domain.access import may_run_year_end, may_see_unplaced, require_progression_recorder, require_year_end_runner
from domain.accounts import Account, Role
from domain.dossier import BasicData, Dossier, Flags, SchoolStatus, StudentState
from domain.errors import DomainError, PermissionDenied
from domain.identity import IdDocKind, Sex, parse_id_document
from domain.jurisdiction import Ownership, School, SchoolKind

NOW = datetime(2027, 7, 1, 8, tzinfo=UTC)
DAY = date(2027, 7, 1)
PRIMARY = School("2141010501", "纬五路一小", SchoolKind.PRIMARY, Ownership.PUBLIC, "410105", "410105")
NINE_YEAR = School("2141012201", "城关九年制", SchoolKind.NINE_YEAR, Ownership.PUBLIC, "410122", "410122")
JUNIOR = School("2141010503", "外国语初中", SchoolKind.JUNIOR_SECONDARY, Ownership.PRIVATE, "410105", "410105")


def dossier(n: int, school: School = PRIMARY, *, grade: int = 3, state: StudentState = StudentState.ENROLLED, class_name: str | None = None, **over: object) -> Dossier:
    d = Dossier(
        id=f"G{n}",
        number=f"G{n}",
        aliases=(),
        id_document=parse_id_document(IdDocKind.NONE_YET, None),
        basic=BasicData("王明", Sex.MALE, date(2016, 10, 1)),
        guardians=(),
        flags=Flags(),
        status=SchoolStatus(school.code, grade, class_name or f"{'一二三四五六七八九'[grade - 1]}(1)班", date(2023, 9, 1), "1", "1", state),
        version=4,
    )
    return replace(d, **over)  # type: ignore[arg-type]


def plan(*students: tuple[School, Dossier], grades: tuple[int, ...] = tuple(range(1, 10))) -> p.YearEndPlan:
    return p.make_plan("plan1", "weiwu.registrar", NOW, DAY, grades, students)


def test_enrolled_students_move_up_one_grade_with_their_class_and_the_last_grade_graduates() -> None:
    made = plan((PRIMARY, dossier(1, grade=3)), (PRIMARY, dossier(2, grade=6)), (PRIMARY, dossier(3, grade=1, class_name="向日葵班")))
    by_id = {m.dossier_id: m for m in made.moves}
    assert (by_id["G1"].kind, by_id["G1"].to_grade, by_id["G1"].to_class_name) == (p.MoveKind.PROMOTE, 4, "四(1)班")
    assert (by_id["G2"].kind, by_id["G2"].to_grade) == (p.MoveKind.GRADUATE, 6)
    assert by_id["G3"].to_class_name == "向日葵班"  # a name without its grade is kept
    assert made.exceptions == () and (made.promoted, made.graduated, made.total) == (2, 1, 3)


def test_a_nine_year_schools_grade_6_moves_to_grade_7_and_its_grade_9_graduates() -> None:
    made = plan((NINE_YEAR, dossier(1, NINE_YEAR, grade=6)), (NINE_YEAR, dossier(2, NINE_YEAR, grade=9, class_name="初三(2)班")))
    kinds = {m.dossier_id: (m.kind, m.to_grade, m.to_class_name) for m in made.moves}
    assert kinds == {"G1": (p.MoveKind.PROMOTE, 7, "七(1)班"), "G2": (p.MoveKind.GRADUATE, 9, "初三(2)班")}


def test_junior_class_names_follow_their_grade() -> None:
    assert p.next_class_name("初一(3)班", 7) == "初二(3)班"
    assert p.next_class_name("初二(3)班", 8) == "初三(3)班"
    assert p.next_class_name("八(1)班", 8) == "九(1)班"
    assert p.next_class_name("九(1)班", 9) == "九(1)班"


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"state": StudentState.SUSPENDED}, p.ExceptionReason.SUSPENDED),
        ({"state": StudentState.ABROAD}, p.ExceptionReason.ABROAD),
        ({"state": StudentState.DROPPED_OUT}, p.ExceptionReason.DROPPED_OUT),
        ({"state": StudentState.GRADUATED}, p.ExceptionReason.ALREADY_GRADUATED),
        ({"state": StudentState.DECEASED}, p.ExceptionReason.DECEASED),
        ({"missing": True}, p.ExceptionReason.MISSING),
        ({"open_business": "case-1"}, p.ExceptionReason.BUSINESS_OPEN),
        ({"grade": 8}, p.ExceptionReason.GRADE_NOT_OFFERED),
    ],
)
def test_every_other_student_is_an_exception_with_the_rule_that_keeps_them(over: dict[str, object], reason: p.ExceptionReason) -> None:
    grade = over.pop("grade", 3)
    state = over.pop("state", StudentState.ENROLLED)
    made = plan((PRIMARY, dossier(1, grade=grade, state=state, **over)))  # type: ignore[arg-type]
    assert made.moves == ()
    assert [(x.dossier_id, x.reason, x.version) for x in made.exceptions] == [("G1", reason, 4)]
    assert made.groups == (p.GroupCount(PRIMARY.code, grade, 0, 0, 1),)  # type: ignore[arg-type]


def test_only_the_chosen_grades_and_the_schools_own_students_are_planned() -> None:
    elsewhere = dossier(3, grade=2, status=SchoolStatus(JUNIOR.code, 2, "x", date(2023, 9, 1), "1", "1"))
    made = plan((PRIMARY, dossier(1, grade=2)), (PRIMARY, dossier(2, grade=4)), (PRIMARY, elsewhere), grades=(2,))
    assert [m.dossier_id for m in made.moves] == ["G1"] and made.grades == (2,)


def test_counts_per_school_and_grade() -> None:
    made = plan(
        (PRIMARY, dossier(1, grade=6)), (PRIMARY, dossier(2, grade=6)), (PRIMARY, dossier(3, grade=6, state=StudentState.SUSPENDED)),
        (PRIMARY, dossier(4, grade=2)), (NINE_YEAR, dossier(5, NINE_YEAR, grade=6)),
    )
    assert made.groups == (
        p.GroupCount(PRIMARY.code, 2, 1, 0, 0),
        p.GroupCount(PRIMARY.code, 6, 0, 2, 1),
        p.GroupCount(NINE_YEAR.code, 6, 1, 0, 0),
    )


def test_the_fingerprint_names_exactly_the_dossier_versions_covered() -> None:
    one = plan((PRIMARY, dossier(1)), (PRIMARY, dossier(2, state=StudentState.ABROAD)))
    again = plan((PRIMARY, dossier(2, state=StudentState.ABROAD)), (PRIMARY, dossier(1)))
    newer = plan((PRIMARY, replace(dossier(1), version=5)), (PRIMARY, dossier(2, state=StudentState.ABROAD)))
    assert one.fingerprint == again.fingerprint != newer.fingerprint


def test_a_move_applied_changes_only_what_it_says() -> None:
    d = dossier(1, grade=6)
    (move,) = plan((PRIMARY, d)).moves
    graduated = p.apply_move(d, move, "plan1", DAY)
    assert (graduated.status.state, graduated.status.grade, graduated.graduated_on, graduated.year_end_plan) == (StudentState.GRADUATED, 6, DAY, "plan1")
    assert p.move_changes(move, DAY) == {"state": ("ENROLLED", "GRADUATED"), "graduated_on": (None, DAY)}
    d3 = dossier(2, grade=3)
    (up,) = plan((PRIMARY, d3)).moves
    promoted = p.apply_move(d3, up, "plan1", DAY)
    assert (promoted.status.grade, promoted.status.class_name, promoted.status.state) == (4, "四(1)班", StudentState.ENROLLED)
    assert p.move_changes(up, DAY) == {"grade": (3, 4), "class_name": ("三(1)班", "四(1)班")}


def test_the_effective_date_is_at_the_end_of_a_school_year_and_grades_are_1_to_9() -> None:
    assert p.check_effective_date(date(2027, 6, 30)) == date(2027, 6, 30)
    with pytest.raises(DomainError) as e:
        p.check_effective_date(date(2027, 3, 1))
    assert e.value.code == "NOT_YEAR_END"
    assert p.check_grades(None) == tuple(range(1, 10)) and p.check_grades([6, 5, 6]) == (5, 6)
    for bad in ([], [0], [10]):
        with pytest.raises(DomainError):
            p.check_grades(bad)


def test_a_primary_graduate_is_placed_in_grade_7_with_the_same_dossier_and_the_primary_keeps_a_copy() -> None:
    graduate = dossier(1, grade=6, state=StudentState.GRADUATED, graduated_on=DAY)
    assert p.awaits_placement(graduate) and p.placement_due(DAY) == date(2027, 7, 15)
    assert p.placement_needed(graduate, JUNIOR, "placements.0.number")
    placed = p.place(graduate, JUNIOR, "初一(2)班", date(2027, 9, 1))
    assert (placed.id, placed.number, placed.status.school_code, placed.status.grade, placed.status.state) == ("G1", "G1", JUNIOR.code, 7, StudentState.ENROLLED)
    assert placed.former_school_codes == (PRIMARY.code,)
    assert not p.placement_needed(placed, JUNIOR, "x")  # the same list again places nobody twice
    with pytest.raises(DomainError) as e:
        p.placement_needed(placed, NINE_YEAR, "placements.0.number")
    assert e.value.code == "NOT_AWAITING_PLACEMENT"
    nine_grad = dossier(2, NINE_YEAR, grade=9, state=StudentState.GRADUATED)
    assert not p.awaits_placement(nine_grad)  # compulsory education completed
    with pytest.raises(DomainError):
        p.check_receiving_school(PRIMARY)
    p.check_receiving_school(NINE_YEAR)


def test_who_runs_the_year_end_change_and_sees_the_unplaced() -> None:
    registrar = Account("weiwu.registrar", "r", Role.SCHOOL_REGISTRAR, PRIMARY.code, trained_on=date(2026, 1, 1))
    county = Account("jinshui.dept", "d", Role.COUNTY_DEPARTMENT, "410105")
    city = Account("zhengzhou.dept", "c", Role.CITY_DEPARTMENT, "410100")
    other = Account("zhongmou.dept", "z", Role.COUNTY_DEPARTMENT, "410122")
    auditor = Account("henan.auditor", "a", Role.AUDITOR, "410000")
    assert may_run_year_end(registrar, PRIMARY) and may_run_year_end(county, PRIMARY)
    assert not may_run_year_end(city, PRIMARY) and not may_run_year_end(other, PRIMARY)  # the county supervises it
    with pytest.raises(PermissionDenied):
        require_year_end_runner(auditor, PRIMARY)
    with pytest.raises(PermissionDenied):
        require_year_end_runner(replace(registrar, trained_on=None), PRIMARY)
    with pytest.raises(PermissionDenied):
        require_progression_recorder(registrar, JUNIOR)
    assert may_see_unplaced(county, "410105") and may_see_unplaced(city, "410105") and may_see_unplaced(auditor, "410105")
    assert not may_see_unplaced(other, "410105") and not may_see_unplaced(registrar, "410105")
