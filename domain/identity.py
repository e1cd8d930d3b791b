"""Identity documents (R-B3, R-G1; Art. 7, 28). Each kind has its own rule; an error says
which rule failed. All checks are format checks: nothing here calls an issuing authority."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.error_codes import declared
from domain.errors import DomainError
from domain.text import ascii_pattern, identifier


class IdDocKind(StrEnum):
    RESIDENT_ID = "RESIDENT_ID"  # 居民身份证 (GB 11643)
    HK_MACAO_TAIWAN_RESIDENCE_PERMIT = "HK_MACAO_TAIWAN_RESIDENCE_PERMIT"  # 港澳台居民居住证
    HK_MACAO_TRAVEL_PERMIT = "HK_MACAO_TRAVEL_PERMIT"  # 港澳居民来往内地通行证
    TAIWAN_TRAVEL_PERMIT = "TAIWAN_TRAVEL_PERMIT"  # 台湾居民来往大陆通行证
    PASSPORT = "PASSPORT"  # 护照
    FOREIGNER_PERMANENT_RESIDENCE = "FOREIGNER_PERMANENT_RESIDENCE"  # 外国人永久居留身份证
    NONE_YET = "NONE_YET"  # not yet registered (e.g. no household registration yet)


class Sex(StrEnum):
    """GB/T 2261.1."""

    MALE = "1"
    FEMALE = "2"


# Provincial-level prefixes of GB/T 2260 (the first two digits of every division code).
# The full six-digit code is not checked against today's table: ID numbers keep the code
# of the county where they were first issued, and many of those counties have since been
# merged or renamed, so those numbers are valid although their code is no longer current.
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65".split()
)
PERMIT_PREFIXES = {"810000": "Hong Kong", "820000": "Macao", "830000": "Taiwan"}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# ASCII only, matched whole: numbers are normalised first (domain/text.py), and `\d` or a
# trailing `$` would let digits of other scripts or a final newline through.
_EIGHTEEN = ascii_pattern(r"[0-9]{17}[0-9X]")
_HK_MACAO_PERMIT = ascii_pattern(r"[HM][0-9]{8}([0-9]{2})?")
_TAIWAN_PERMIT = ascii_pattern(r"[0-9]{8}")
_PASSPORT = ascii_pattern(r"[A-Z0-9]{5,20}")
_COUNTRY = ascii_pattern(r"[A-Z]{3}")
_PR_OLD = ascii_pattern(r"([A-Z]{3})([0-9]{4})([0-9]{6})([0-9])([0-9])")
_PR_NEW = ascii_pattern(r"9([0-9]{2})([0-9]{3})([0-9]{8})([0-9]{3})([0-9X])")  # MOD 11-2: X is a check character
_SEPARATORS = re.compile(r"[ -]")  # spaces and hyphens people type between groups


# What `parse_id_document` refuses, and what `check_agrees` refuses.
ID_DOCUMENT_CODES = declared("ID_REQUIRED", "ID_FORMAT", "ID_DIVISION_CODE", "ID_BIRTH_DATE_INVALID", "ID_CHECK_DIGIT", "ID_COUNTRY")
ID_AGREEMENT_CODES = declared("ID_BIRTH_DATE_MISMATCH", "ID_SEX_MISMATCH")


def mod11_check_digit(first17: str) -> str:
    """GB 11643-1999 ISO 7064 MOD 11-2 check character."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def _fail(message: str, code: str) -> DomainError:
    return DomainError("idDocument.number", message, code)


def _yyyymmdd(text: str) -> date:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError as e:
        raise _fail(f"the birth date {text} in the number is not a real date", "ID_BIRTH_DATE_INVALID") from e


@dataclass(frozen=True)
class IdDocument:
    """A validated identity document. `number` is normalised (`domain.text.identifier`, no
    spaces or hyphens) and ASCII."""

    kind: IdDocKind
    number: str | None
    country: str | None = None  # ISO 3166-1 alpha-3, for passports
    birth_date: date | None = None  # read from the number where the number carries it
    sex: Sex | None = None  # likewise

    @property
    def key(self) -> str | None:
        """The normalised identity: one person, one key (unique in storage, Art. 8)."""
        if self.number is None:
            return None
        kind = self.kind.value if self.kind is not IdDocKind.PASSPORT else f"PASSPORT:{self.country}"
        return f"{kind}:{self.number}"

    @property
    def masked(self) -> str | None:
        """Shown by default (Art. 24): the first 6 and last 4 characters of long numbers."""
        if self.number is None:
            return None
        n = self.number
        if len(n) >= 15:
            return n[:6] + "*" * (len(n) - 10) + n[-4:]
        return n[:1] + "*" * (len(n) - 3) + n[-2:]


def _eighteen_digit(number: str, *, permit: bool) -> tuple[date, Sex]:
    """Resident ID cards and HK/Macao/Taiwan residence permits share GB 11643's layout."""
    if not _EIGHTEEN.fullmatch(number):
        raise _fail("an 18-character number: 17 digits and a check digit or X", "ID_FORMAT")
    if permit:
        if number[:6] not in PERMIT_PREFIXES:
            raise _fail("a residence permit number starts with 810000, 820000 or 830000", "ID_DIVISION_CODE")
    elif number[:2] not in PROVINCE_PREFIXES or number[2:4] == "00" and number[4:6] != "00":
        raise _fail(f"the division code {number[:6]} is not a GB/T 2260 code", "ID_DIVISION_CODE")
    born = _yyyymmdd(number[6:14])
    if born > date.today() or born.year < 1850:
        raise _fail(f"the birth date {number[6:14]} in the number is out of range", "ID_BIRTH_DATE_INVALID")
    if mod11_check_digit(number[:17]) != number[17]:
        raise _fail("the check digit does not match (GB 11643 MOD 11-2); a digit is wrong", "ID_CHECK_DIGIT")
    return born, Sex.MALE if int(number[16]) % 2 else Sex.FEMALE


def parse_id_document(kind: IdDocKind, number: str | None, country: str | None = None) -> IdDocument:
    """Validate one identity document by the rule of its kind."""
    if country is not None and kind is not IdDocKind.PASSPORT:
        raise DomainError("idDocument.country", "an issuing country goes with passports only", "ID_COUNTRY")
    if kind is IdDocKind.NONE_YET:
        if number:
            raise _fail("no number goes with 'none yet'", "ID_FORMAT")
        return IdDocument(kind, None)
    n = _SEPARATORS.sub("", identifier(number or ""))
    if not n:
        raise _fail("the document number is required", "ID_REQUIRED")
    if kind is IdDocKind.RESIDENT_ID:
        born, sex = _eighteen_digit(n, permit=False)
        return IdDocument(kind, n, None, born, sex)
    if kind is IdDocKind.HK_MACAO_TAIWAN_RESIDENCE_PERMIT:
        born, sex = _eighteen_digit(n, permit=True)
        return IdDocument(kind, n, None, born, sex)
    if kind is IdDocKind.HK_MACAO_TRAVEL_PERMIT:
        if not _HK_MACAO_PERMIT.fullmatch(n):
            raise _fail("H or M followed by 8 digits (10 on older cards)", "ID_FORMAT")
        return IdDocument(kind, n)
    if kind is IdDocKind.TAIWAN_TRAVEL_PERMIT:
        if not _TAIWAN_PERMIT.fullmatch(n):
            raise _fail("8 digits", "ID_FORMAT")
        return IdDocument(kind, n)
    if kind is IdDocKind.PASSPORT:
        c = identifier(country or "")
        if not _COUNTRY.fullmatch(c):
            raise DomainError("idDocument.country", "the issuing country as a 3-letter ISO 3166 code", "ID_COUNTRY")
        if not _PASSPORT.fullmatch(n):
            raise _fail("5 to 20 letters and digits", "ID_FORMAT")
        return IdDocument(kind, n, c)
    if kind is IdDocKind.FOREIGNER_PERMANENT_RESIDENCE:
        return _permanent_residence(n)
    raise AssertionError(kind)  # pragma: no cover - every kind is handled above


def _permanent_residence(n: str) -> IdDocument:
    """外国人永久居留身份证: the 2023 form has 18 digits (9, province, nationality, birth
    date, sequence, MOD 11-2 check digit); the earlier form 15 characters (nationality
    letters, place of issue, YYMMDD birth date, sequence, check)."""
    kind = IdDocKind.FOREIGNER_PERMANENT_RESIDENCE
    new = _PR_NEW.fullmatch(n)
    if new:
        if new.group(1) not in PROVINCE_PREFIXES:
            raise _fail("digits 2-3 are the province where the card was issued", "ID_DIVISION_CODE")
        born = _yyyymmdd(new.group(3))
        if mod11_check_digit(n[:17]) != n[17]:
            raise _fail("the check digit does not match (MOD 11-2); a digit is wrong", "ID_CHECK_DIGIT")
        return IdDocument(kind, n, None, born)
    if _PR_OLD.fullmatch(n):
        return IdDocument(kind, n)
    raise _fail("18 digits starting with 9 (2023 card), or 3 letters and 12 digits (earlier card)", "ID_FORMAT")


def check_agrees(doc: IdDocument, birth_date: date, sex: Sex) -> None:
    """The birth date and sex carried by the number must be those of the record."""
    if doc.birth_date is not None and doc.birth_date != birth_date:
        raise DomainError(
            "birthDate",
            f"the birth date {birth_date.isoformat()} differs from {doc.birth_date.isoformat()} in the ID number",
            "ID_BIRTH_DATE_MISMATCH",
        )
    if doc.sex is not None and doc.sex != sex:
        raise DomainError("sex", "the sex differs from the one the ID number encodes", "ID_SEX_MISMATCH")
