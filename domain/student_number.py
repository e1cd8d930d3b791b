"""The student number (学籍号, Art. 7): one person, one number, for life.

- `G` + the resident ID number for holders of one;
- otherwise a temporary `L` number: `L` + the school's 6-digit division code + the 8-digit
  birth date + a 4-digit sequence, replaced by the `G` number once a resident ID is
  recorded; the `L` number stays as an alias that still finds the dossier.
It never changes on transfer, progression or the correction of other data."""

from __future__ import annotations

from datetime import date

from domain.error_codes import declared
from domain.errors import DomainError
from domain.identity import IdDocKind, IdDocument
from domain.text import ascii_pattern, identifier

_NUMBER = ascii_pattern(r"G[0-9]{17}[0-9X]|L[0-9]{18}")  # ASCII only: a number never holds anything else

NUMBER_CODES = declared("INVALID_STUDENT_NUMBER")  # `normalise_number`
TEMPORARY_NUMBER_CODES = declared("NUMBERS_EXHAUSTED")  # `temporary_number`


def permanent_number(doc: IdDocument) -> str | None:
    """The G number, when the document is a resident ID card."""
    if doc.kind is IdDocKind.RESIDENT_ID and doc.number:
        return "G" + doc.number
    return None


def temporary_prefix(division_code: str, birth_date: date) -> str:
    """The part of an L number before its sequence; storage allocates the sequence."""
    return f"L{division_code}{birth_date:%Y%m%d}"


def temporary_number(prefix: str, sequence: int) -> str:
    if not 1 <= sequence <= 9999:
        raise DomainError(None, "no temporary student numbers left for this school and birth date", "NUMBERS_EXHAUSTED")
    return f"{prefix}{sequence:04d}"


def normalise_number(text: str, field: str = "number") -> str:
    """The number as stored: full-width digits typed by a user become ASCII (domain/text.py)."""
    n = identifier(text)
    if not _NUMBER.fullmatch(n):
        raise DomainError(field, "a student number is G + 18 ID characters, or L + 18 digits", "INVALID_STUDENT_NUMBER")
    return n
