"""School terms (学期), for the rules that fall due at the end of a term.

Art. 14(2): 外来务工人员随迁子女辍学的，就读学校的学籍主管部门应于每学期末将学生电子学籍档案
转交其户籍所在地学籍主管教育行政部门 — the handover of a migrant child who dropped out is due
at the end of the term. Henan's school calendar runs the autumn term from 1 September to
the winter holiday (late January) and the spring term from about 1 March to the summer
holiday (mid-July); the exact days vary by city and year, so the rule takes the latest
usual ends: 31 January and 15 July. A day in a holiday belongs to the term that follows
it (a dropout found over the summer is handed over at the end of the autumn term).

Terms are also what Art. 23 counts in: 每学期复核, a re-verification every term (`Term`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.error_codes import declared
from domain.errors import DomainError
from domain.text import ascii_pattern, identifier

AUTUMN_TERM_ENDS = (1, 31)  # the autumn term ends before the Spring Festival holiday
SPRING_TERM_ENDS = (7, 15)  # the spring term ends before the summer holiday


def term_end(day: date) -> date:
    """The last day of the term `day` falls in (holidays count to the next term)."""
    spring_end = date(day.year, *SPRING_TERM_ENDS)
    autumn_end = date(day.year, *AUTUMN_TERM_ENDS)
    if day <= autumn_end:
        return autumn_end
    if day <= spring_end:
        return spring_end
    return date(day.year + 1, *AUTUMN_TERM_ENDS)


# -- terms as units of record (Art. 23: 每学期复核) ------------------------------------

_TERM_CODE = ascii_pattern(r"([0-9]{4})-([0-9]{4})-([12])")
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True, order=True)
class Term:
    """A term of a school year, coded as schools code it: `2026-2027-1` is the first
    (autumn) term of the 2026-2027 school year, `2026-2027-2` its second (spring) term.
    Its days run from the day after the previous term's end to its own end, the holiday
    before it included (as `term_end` counts holidays)."""

    start_year: int
    number: int  # 1 autumn, 2 spring

    @property
    def code(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}-{self.number}"

    @property
    def ends(self) -> date:
        if self.number == 1:
            return date(self.start_year + 1, *AUTUMN_TERM_ENDS)
        return date(self.start_year + 1, *SPRING_TERM_ENDS)

    @property
    def starts(self) -> date:
        return self.previous().ends + timedelta(days=1)

    def previous(self) -> Term:
        return Term(self.start_year, 1) if self.number == 2 else Term(self.start_year - 1, 2)


def term_of(day: date) -> Term:
    """The term `day` falls in (holidays count to the next term, as in `term_end`)."""
    end = term_end(day)
    return Term(end.year - 1, 1 if (end.month, end.day) == AUTUMN_TERM_ENDS else 2)


TERM_CODES = declared("INVALID_TERM")  # `parse_term`


def parse_term(code: str, field: str = "term") -> Term:
    """A term code `YYYY-YYYY-N` (N = 1 autumn, 2 spring), full-width digits accepted."""
    found = _TERM_CODE.fullmatch(identifier(code))
    if found is None or int(found.group(2)) != int(found.group(1)) + 1:
        raise DomainError(field, "a term is coded 2026-2027-1 (school year, then 1 autumn or 2 spring)", "INVALID_TERM")
    start = int(found.group(1))
    if not FIRST_YEAR <= start <= LAST_YEAR:
        raise DomainError(field, f"a school year between {FIRST_YEAR} and {LAST_YEAR}", "INVALID_TERM")
    return Term(start, int(found.group(3)))
