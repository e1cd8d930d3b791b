"""Text at the boundary, in one place (Art. 7, 8, 10, 24).

Identifiers (identity document numbers, student numbers, school and area codes) are
normalised to one spelling before anything compares or stores them: NFKC turns full-width
digits and letters into ASCII, surrounding space goes, letters are upper case (the `X`
check character). Validators then match ASCII-only patterns with `fullmatch`, so digits of
other scripts, which NFKC leaves as they are, never pass for `0-9`, and one person can
never be written two ways (Art. 8: one person, one status).

Free text (names, addresses, reasons, comments, references) is NFC-normalised, stripped and
limited in length; one-line fields refuse every control and format character, multi-line
fields allow line breaks and tabs only. A refusal names the field and uses INVALID_VALUE."""

from __future__ import annotations

import re
import unicodedata

from domain.error_codes import declared
from domain.errors import DomainError

# Categories never accepted in text: control (Cc), format (Cf: zero-width and bidi
# controls), surrogates (Cs), private use (Co) and unassigned (Cn).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_MULTI_LINE_ALLOWED = frozenset({"\n", "\t"})

ONE_LINE = 200  # names of things, references, addresses
SHORT = 50
MULTI_LINE = 2000  # reasons and comments
TEXT_CODES = declared("INVALID_VALUE")  # every refusal of free text


def identifier(value: str) -> str:
    """The one spelling of an identifier: NFKC, stripped, upper case."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def is_ascii_identifier(value: str, pattern: re.Pattern[str]) -> bool:
    """`pattern` matches the whole of an ASCII `value` (patterns are compiled with re.ASCII)."""
    return value.isascii() and pattern.fullmatch(value) is not None


def ascii_pattern(pattern: str) -> re.Pattern[str]:
    """Identifier patterns: ASCII classes only, matched whole (use `fullmatch`)."""
    return re.compile(pattern, re.ASCII)


def _strip_spaces(text: str) -> str:
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) == "Zs":
        start += 1
    while end > start and unicodedata.category(text[end - 1]) == "Zs":
        end -= 1
    return text[start:end]


def _refused(ch: str, *, multi_line: bool) -> bool:
    if multi_line and ch in _MULTI_LINE_ALLOWED:
        return False
    return unicodedata.category(ch) in _REFUSED_CATEGORIES or ch in "\u2028\u2029\x85"


def clean_text(field: str | None, value: str, *, max_length: int | None = ONE_LINE, multi_line: bool = False) -> str:
    """Checked free text: NFC, stripped, at most `max_length` characters, no control
    characters (line breaks and tabs allowed in multi-line fields only). `max_length=None`
    leaves the length to the caller, which has its own code for it."""
    text = unicodedata.normalize("NFC", value)
    if multi_line:
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    else:
        text = _strip_spaces(text)  # a trailing newline is refused below, never stripped away
    bad = next((ch for ch in text if _refused(ch, multi_line=multi_line)), None)
    if bad is not None:
        what = "control or invisible formatting characters" if multi_line else "line breaks or control characters"
        raise DomainError(field, f"no {what} (found U+{ord(bad):04X})", "INVALID_VALUE")
    if max_length is not None and len(text) > max_length:
        raise DomainError(field, f"at most {max_length} characters", "INVALID_VALUE")
    return text


def optional_text(
    field: str | None, value: str | None, *, max_length: int = ONE_LINE, multi_line: bool = False
) -> str | None:
    """`clean_text` for an optional field; blank becomes None."""
    if value is None:
        return None
    return clean_text(field, value, max_length=max_length, multi_line=multi_line) or None


def required_text(field: str, value: str, *, max_length: int = ONE_LINE, multi_line: bool = False, message: str | None = None) -> str:
    text = clean_text(field, value, max_length=max_length, multi_line=multi_line)
    if not text:
        raise DomainError(field, message or "required", "INVALID_VALUE")
    return text
