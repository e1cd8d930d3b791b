"""Year-end promotion and graduation (正常升级, 毕业; Art. 17, 19; R-D1), and progression from
primary to junior secondary (升学).

Art. 17: 正常升级、转学、升学学生的学籍档案转接，由电子学籍系统完成 — the yearly change is done in
the system, for a whole school or area at once, as one plan:

- every ENROLLED student of the chosen schools and grades moves up one grade (class names
  that carry the grade follow it: 三(2)班 → 四(2)班, 初一(3)班 → 初二(3)班);
- the last grade the school offers graduates (GRADUATED, with the date): grade 6 of a
  primary school, grade 9 of a junior, nine-year or twelve-year school. A nine-year
  school's grade 6 moves to grade 7 in the same school: it ends no stage there;
- every other student of those grades is an exception, listed with the rule that keeps it
  as it is: suspended (Art. 13), abroad (Art. 13(4)), dropped out (Art. 14), reported
  missing (Art. 16), graduated already or deceased (the status has ended), a business
  open on the dossier (a transfer or another case decides the grade), or a grade the
  school does not offer (a record to correct first). Nobody repeats a grade by this plan:
  Art. 15 forbids ordering it, so there is no "stay" outcome.

Art. 19: the graduating school keeps the archive until the student progresses; a primary
graduate is then placed at the junior school that admits them, with the same student
number and dossier, and the primary keeps a read-only copy. A primary graduate not placed
by the end of the term of their graduation is a compulsory-education child out of school,
reported to the department."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from domain.dossier import Dossier, SchoolStatus, StudentState, normalised_class_name
from domain.enrolment import GRADES
from domain.error_codes import declared
from domain.errors import DomainError
from domain.jurisdiction import School, SchoolKind
from domain.terms import term_end

PRIMARY_LAST_GRADE = 6  # the end of the primary stage: its graduates progress (升学)
FIRST_JUNIOR_GRADE = 7
YEAR_END_MONTHS = (6, 7, 8)  # the school year ends in summer: June to August
MAX_PLACEMENTS = 500  # one class list or one admission list at a time
_NUMERALS = "一二三四五六七八九"


class MoveKind(StrEnum):
    PROMOTE = "PROMOTE"  # 升级: the next grade
    GRADUATE = "GRADUATE"  # 毕业: the school's last grade


class ExceptionReason(StrEnum):
    """Why a student of the chosen grades is left as they are, by rule."""

    SUSPENDED = "SUSPENDED"  # 休学 (Art. 13): the grade is decided on resumption
    ABROAD = "ABROAD"  # 出境就读 (Art. 13(4))
    DROPPED_OUT = "DROPPED_OUT"  # 辍学 (Art. 14): status kept, not promoted
    MISSING = "MISSING"  # reported missing or detained (Art. 16)
    ALREADY_GRADUATED = "ALREADY_GRADUATED"
    DECEASED = "DECEASED"
    BUSINESS_OPEN = "BUSINESS_OPEN"  # a transfer or another case is open: it decides
    GRADE_NOT_OFFERED = "GRADE_NOT_OFFERED"  # the record's grade is outside the school's


_STATE_REASONS = {
    StudentState.SUSPENDED: ExceptionReason.SUSPENDED,
    StudentState.ABROAD: ExceptionReason.ABROAD,
    StudentState.DROPPED_OUT: ExceptionReason.DROPPED_OUT,
    StudentState.GRADUATED: ExceptionReason.ALREADY_GRADUATED,
    StudentState.DECEASED: ExceptionReason.DECEASED,
}


@dataclass(frozen=True)
class Move:
    """One student's change in a plan, against the dossier version it was planned on."""

    dossier_id: str
    number: str
    school_code: str
    version: int
    kind: MoveKind
    grade: int
    class_name: str
    to_grade: int
    to_class_name: str


@dataclass(frozen=True)
class Excepted:
    """A student of the chosen grades whom the plan leaves as they are, and why."""

    dossier_id: str
    number: str
    school_code: str
    version: int
    grade: int
    reason: ExceptionReason


@dataclass(frozen=True)
class GroupCount:
    """What the plan does in one grade of one school."""

    school_code: str
    grade: int
    promoted: int
    graduated: int
    excepted: int


@dataclass(frozen=True)
class YearEndPlan:
    """A dry run, kept: exactly which dossier versions it covers (`fingerprint`), what it
    would do to each, and who made it for which schools and grades."""

    id: str
    made_by: str
    made_at: datetime
    effective_date: date
    school_codes: tuple[str, ...]
    grades: tuple[int, ...]
    groups: tuple[GroupCount, ...]
    exceptions: tuple[Excepted, ...]
    fingerprint: str
    moves: tuple[Move, ...] = ()  # loaded only to run the plan (a whole area's students)

    @property
    def promoted(self) -> int:
        return sum(g.promoted for g in self.groups)

    @property
    def graduated(self) -> int:
        return sum(g.graduated for g in self.groups)

    @property
    def total(self) -> int:
        """The students the plan moves."""
        return self.promoted + self.graduated

    @property
    def request_id(self) -> str:
        """The request id every version this plan claims is logged under."""
        return f"promotion-{self.id}"


# -- the plan ------------------------------------------------------------------------------

EFFECTIVE_DATE_CODES = declared("NOT_YEAR_END")  # `check_effective_date`


def check_effective_date(day: date) -> date:
    """The day the year-end change takes effect: the end of a school year, in June to August."""
    if day.month not in YEAR_END_MONTHS:
        raise DomainError("effectiveDate", "the year-end change takes effect at the end of a school year (June to August)", "NOT_YEAR_END")
    return day


GRADES_CODES = declared("INVALID_VALUE")  # `check_grades`


def check_grades(grades: Iterable[int] | None) -> tuple[int, ...]:
    """The grades chosen, each 1-9 (compulsory education), sorted; none given: all nine."""
    if grades is None:
        return tuple(range(1, 10))
    chosen = tuple(sorted(set(grades)))
    if not chosen or not all(1 <= g <= 9 for g in chosen):
        raise DomainError("grades", "choose grades between 1 and 9", "INVALID_VALUE")
    return chosen


def last_grade(kind: SchoolKind) -> int:
    """The grade whose students graduate from a school of this kind: the last it offers."""
    return GRADES[kind].last


def next_class_name(class_name: str, grade: int) -> str:
    """A class name that carries its grade follows it to the next one (三(2)班 → 四(2)班,
    初一(3)班 → 初二(3)班); any other name is kept as the school gave it."""
    if grade < 9 and class_name.startswith(_NUMERALS[grade - 1]):
        return _NUMERALS[grade] + class_name[1:]
    junior = grade - PRIMARY_LAST_GRADE
    if 1 <= junior < 3 and class_name.startswith("初" + _NUMERALS[junior - 1]):
        return "初" + _NUMERALS[junior] + class_name[2:]
    return class_name


def decide(d: Dossier, school: School) -> Move | Excepted:
    """What the year-end change does to one student of the school (Art. 17)."""
    s = d.status
    reason = _STATE_REASONS.get(s.state)
    if reason is None and d.missing:
        reason = ExceptionReason.MISSING
    if reason is None and d.open_business is not None:
        reason = ExceptionReason.BUSINESS_OPEN
    offered = GRADES[school.kind]
    if reason is None and not offered.first <= s.grade <= offered.last:
        reason = ExceptionReason.GRADE_NOT_OFFERED
    if reason is not None:
        return Excepted(d.id, d.number, school.code, d.version, s.grade, reason)
    if s.grade == last_grade(school.kind):
        return Move(d.id, d.number, school.code, d.version, MoveKind.GRADUATE, s.grade, s.class_name, s.grade, s.class_name)
    return Move(
        d.id, d.number, school.code, d.version, MoveKind.PROMOTE, s.grade, s.class_name, s.grade + 1,
        next_class_name(s.class_name, s.grade),
    )


def fingerprint(covered: Iterable[tuple[str, int]]) -> str:
    """SHA-256 of exactly which dossier versions a plan covers (sorted `id:version` lines)."""
    lines = sorted(f"{dossier_id}:{version}" for dossier_id, version in covered)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def make_plan(
    plan_id: str,
    made_by: str,
    made_at: datetime,
    effective_date: date,
    grades: Sequence[int],
    students: Iterable[tuple[School, Dossier]],
) -> YearEndPlan:
    """The plan for the students of the chosen grades among `students` (their schools'
    dossiers, any state): a move or an exception for each, nothing else."""
    chosen = set(grades)
    moves: list[Move] = []
    exceptions: list[Excepted] = []
    schools: set[str] = set()
    for school, d in students:
        schools.add(school.code)
        if d.status.school_code != school.code or d.status.grade not in chosen:
            continue
        outcome = decide(d, school)
        (moves if isinstance(outcome, Move) else exceptions).append(outcome)  # type: ignore[arg-type]
    moves.sort(key=lambda m: (m.school_code, m.dossier_id))
    exceptions.sort(key=lambda x: (x.school_code, x.grade, x.dossier_id))
    covered = [(m.dossier_id, m.version) for m in moves] + [(x.dossier_id, x.version) for x in exceptions]
    return YearEndPlan(
        id=plan_id,
        made_by=made_by,
        made_at=made_at,
        effective_date=effective_date,
        school_codes=tuple(sorted(schools)),
        grades=tuple(sorted(chosen)),
        groups=tuple(group_counts(moves, exceptions)),
        exceptions=tuple(exceptions),
        fingerprint=fingerprint(covered),
        moves=tuple(moves),
    )


def group_counts(moves: Iterable[Move], exceptions: Iterable[Excepted]) -> list[GroupCount]:
    """Counts per school and grade (the grade before the change), in school and grade order."""
    promoted: Counter[tuple[str, int]] = Counter()
    graduated: Counter[tuple[str, int]] = Counter()
    excepted: Counter[tuple[str, int]] = Counter()
    for m in moves:
        (graduated if m.kind is MoveKind.GRADUATE else promoted)[(m.school_code, m.grade)] += 1
    for x in exceptions:
        excepted[(x.school_code, x.grade)] += 1
    keys = sorted({*promoted, *graduated, *excepted})
    return [GroupCount(s, g, promoted[(s, g)], graduated[(s, g)], excepted[(s, g)]) for s, g in keys]


def apply_move(d: Dossier, move: Move, plan_id: str, effective_date: date) -> Dossier:
    """The dossier after its move: the next grade (and class), or graduated on the date."""
    if move.kind is MoveKind.GRADUATE:
        status = replace(d.status, state=StudentState.GRADUATED)
        return replace(d, status=status, graduated_on=effective_date, year_end_plan=plan_id)
    status = replace(d.status, grade=move.to_grade, class_name=move.to_class_name)
    return replace(d, status=status, year_end_plan=plan_id)


def move_changes(move: Move, effective_date: date) -> dict[str, tuple[object, object]]:
    """The change of record of a move, as `Student.history` shows status changes."""
    if move.kind is MoveKind.GRADUATE:
        return {"state": (StudentState.ENROLLED.value, StudentState.GRADUATED.value), "graduated_on": (None, effective_date)}
    changes: dict[str, tuple[object, object]] = {"grade": (move.grade, move.to_grade)}
    if move.to_class_name != move.class_name:
        changes["class_name"] = (move.class_name, move.to_class_name)
    return changes


# -- progression (升学, Art. 17, 19) ---------------------------------------------------------


def awaits_placement(d: Dossier) -> bool:
    """A primary graduate who has not progressed yet: graduated from grade 6."""
    return d.status.state is StudentState.GRADUATED and d.status.grade == PRIMARY_LAST_GRADE


def placement_due(graduated_on: date) -> date:
    """A primary graduate is placed within the term they graduated in (`domain/terms.py`)."""
    return term_end(graduated_on)


RECEIVING_SCHOOL_CODES = declared("GRADE_NOT_OFFERED")  # `check_receiving_school`


def check_receiving_school(school: School) -> None:
    offered = GRADES[school.kind]
    if not offered.first <= FIRST_JUNIOR_GRADE <= offered.last:
        raise DomainError("schoolCode", "the receiving school has no junior-secondary grade 7", "GRADE_NOT_OFFERED")


PLACEMENT_CODES = declared("NOT_AWAITING_PLACEMENT")  # `placement_needed`


def placement_needed(d: Dossier, school: School, field: str) -> bool:
    """Whether the graduate still needs placing at `school`: False when placed there
    already (the same list again places nobody twice); refused when the student is not a
    primary graduate awaiting placement."""
    if d.status.state is StudentState.ENROLLED and d.status.school_code == school.code and d.status.grade == FIRST_JUNIOR_GRADE:
        return False
    if not awaits_placement(d):
        raise DomainError(field, f"{d.number} is not a primary graduate awaiting placement", "NOT_AWAITING_PLACEMENT")
    return True


def place(d: Dossier, school: School, class_name: str, entry_date: date) -> Dossier:
    """The graduate continues the same dossier and number at the junior school, in grade 7;
    the primary school keeps a read-only copy (Art. 19)."""
    status = SchoolStatus(
        school_code=school.code,
        grade=FIRST_JUNIOR_GRADE,
        class_name=normalised_class_name(class_name, "placements.className"),
        entry_date=entry_date,
        entry_way=d.status.entry_way,
        study_mode=d.status.study_mode,
        state=StudentState.ENROLLED,
    )
    former = tuple(dict.fromkeys((*d.former_school_codes, d.status.school_code)))
    return replace(d, status=status, former_school_codes=former, attending_school_code=None)


def placement_changes(before: Dossier, after: Dossier) -> dict[str, tuple[object, object]]:
    pairs: dict[str, tuple[object, object]] = {
        "state": (before.status.state.value, after.status.state.value),
        "school": (before.status.school_code, after.status.school_code),
        "grade": (before.status.grade, after.status.grade),
        "class_name": (before.status.class_name, after.status.class_name),
    }
    return {k: v for k, v in pairs.items() if v[0] != v[1]}
