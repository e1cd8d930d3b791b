"""The end of term (domain/terms.py), when a migrant child's handover is due (Art. 14(2))."""

from __future__ import annotations

from datetime import date

import pytest

from domain.terms import term_end


@pytest.mark.parametrize(
    ("day", "end"),
    [
        (date(2026, 9, 1), date(2027, 1, 31)),  # autumn term
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2027, 1, 31), date(2027, 1, 31)),  # its last day
        (date(2027, 2, 1), date(2027, 7, 15)),  # winter holiday: the spring term follows
        (date(2027, 3, 2), date(2027, 7, 15)),  # spring term
        (date(2027, 7, 15), date(2027, 7, 15)),
        (date(2027, 7, 16), date(2028, 1, 31)),  # summer holiday: the autumn term follows
        (date(2027, 8, 31), date(2028, 1, 31)),
    ],
)
def test_term_end(day: date, end: date) -> None:
    assert term_end(day) == end
    assert term_end(day) >= day
