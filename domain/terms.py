"""School terms (学期), for the rules that fall due at the end of a term.

Art. 14(2): 外来务工人员随迁子女辍学的，就读学校的学籍主管部门应于每学期末将学生电子学籍档案
转交其户籍所在地学籍主管教育行政部门 — the handover of a migrant child who dropped out is due
at the end of the term. Henan's school calendar runs the autumn term from 1 September to
the winter holiday (late January) and the spring term from about 1 March to the summer
holiday (mid-July); the exact days vary by city and year, so the rule takes the latest
usual ends: 31 January and 15 July. A day in a holiday belongs to the term that follows
it (a dropout found over the summer is handed over at the end of the autumn term)."""

from __future__ import annotations

from datetime import date

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
