"""Identifiers in one spelling and free text without control characters (domain/text.py;
Art. 7, 8: one person, one number)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.dossier import BasicData, Guardian, check_basic, normalised_basic, normalised_guardian
from domain.errors import DomainError
from domain.identity import IdDocKind, Sex, mod11_check_digit, parse_id_document
from domain.jurisdiction import validate_area_code, validate_school_code
from domain.sections import clean_entry
from domain.student_number import normalise_number
from domain.text import clean_text, identifier

K = IdDocKind
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

# Test vectors of python-stdnum's cn.ric module (its doctests): a valid number, the same
# number with a wrong check digit, and a lower-case x check character.
STDNUM_VALID = "360426199101010071"
STDNUM_BAD_CHECK = "360426199101010070"
STDNUM_LOWER_X = "44011320141005001x"


def test_stdnum_vectors() -> None:
    assert parse_id_document(K.RESIDENT_ID, STDNUM_VALID).number == STDNUM_VALID
    assert parse_id_document(K.RESIDENT_ID, STDNUM_LOWER_X).number == "44011320141005001X"
    with pytest.raises(DomainError) as e:
        parse_id_document(K.RESIDENT_ID, STDNUM_BAD_CHECK)
    assert e.value.code == "ID_CHECK_DIGIT"


@pytest.mark.parametrize(
    "written",
    [
        STDNUM_VALID.translate(FULL_WIDTH),  # all full-width: was "not a GB/T 2260 code"
        STDNUM_VALID[:6] + STDNUM_VALID[6:].translate(FULL_WIDTH),  # full-width after an ASCII region code
        "\u3000" + STDNUM_VALID + " ",  # ideographic space around it
        "360426 19910101 0071",  # grouped as printed
    ],
)
def test_other_spellings_of_a_number_are_the_same_number(written: str) -> None:
    doc = parse_id_document(K.RESIDENT_ID, written)
    assert doc.number == STDNUM_VALID and doc.key == "RESIDENT_ID:" + STDNUM_VALID
    assert normalise_number("G" + written.replace(" ", "").replace("\u3000", "")) == "G" + STDNUM_VALID


@pytest.mark.parametrize(
    "digits",
    [
        "٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic: NFKC leaves them, so they are not 0-9
        "०१२३४५६७८९",  # Devanagari
        "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",  # mathematical bold: NFKC makes them ASCII, so they normalise
    ],
)
def test_digits_of_other_scripts(digits: str) -> None:
    written = STDNUM_VALID[:6] + STDNUM_VALID[6:].translate(str.maketrans("0123456789", digits))
    if identifier(written).isascii():
        assert parse_id_document(K.RESIDENT_ID, written).number == STDNUM_VALID
    else:
        with pytest.raises(DomainError) as e:
            parse_id_document(K.RESIDENT_ID, written)
        assert e.value.code == "ID_FORMAT"
        with pytest.raises(DomainError):
            normalise_number("G" + written)


def test_a_newline_inside_a_number_is_no_separator() -> None:
    with pytest.raises(DomainError) as e:
        parse_id_document(K.RESIDENT_ID, STDNUM_VALID[:6] + "\n" + STDNUM_VALID[6:])
    assert e.value.code == "ID_FORMAT"


def _resident_ids() -> st.SearchStrategy[str]:
    def build(born: date, seq: int) -> str:
        first17 = f"410105{born:%Y%m%d}{seq:03d}"
        return first17 + mod11_check_digit(first17)

    return st.builds(build, st.dates(date(1950, 1, 1), date(2020, 12, 31)), st.integers(0, 999))


def _pr_cards() -> st.SearchStrategy[str]:
    def build(born: date, seq: int) -> str:
        first17 = f"941840{born:%Y%m%d}{seq:03d}"
        return first17 + mod11_check_digit(first17)

    return st.builds(build, st.dates(date(1950, 1, 1), date(2020, 12, 31)), st.integers(0, 999))


def _parse(kind: IdDocKind, country: str | None = None) -> Callable[[str], str]:
    def run(text: str) -> str:
        number = parse_id_document(kind, text, country).number
        assert number is not None
        return number

    return run


# Every identifier validator, with a strategy of valid values for it.
VALIDATORS: list[tuple[str, Callable[[str], str], st.SearchStrategy[str]]] = [
    ("resident id", _parse(K.RESIDENT_ID), _resident_ids()),
    ("student number", normalise_number, _resident_ids().map(lambda n: "G" + n)),
    ("temporary number", normalise_number, st.from_regex(r"L41010520[0-2][0-9]0[1-9][0-2][1-9][0-9]{4}", fullmatch=True)),
    ("hk/macao permit", _parse(K.HK_MACAO_TRAVEL_PERMIT), st.from_regex(r"[HM][0-9]{8}([0-9]{2})?", fullmatch=True)),
    ("taiwan permit", _parse(K.TAIWAN_TRAVEL_PERMIT), st.from_regex(r"[0-9]{8}", fullmatch=True)),
    ("passport", _parse(K.PASSPORT, "KOR"), st.from_regex(r"[A-Z0-9]{5,20}", fullmatch=True)),
    ("permanent residence", _parse(K.FOREIGNER_PERMANENT_RESIDENCE), _pr_cards()),
    ("area code", validate_area_code, st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)),
    ("school code", validate_school_code, st.from_regex(r"[0-9]{10}", fullmatch=True)),
]
NON_ASCII = st.characters(min_codepoint=0x80)


@pytest.mark.parametrize(("name", "validate", "valid"), VALIDATORS, ids=[v[0] for v in VALIDATORS])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_validator_takes_only_what_normalises_to_a_valid_ascii_value(
    name: str, validate: Callable[[str], str], valid: st.SearchStrategy[str], data: st.DataObject
) -> None:
    value = data.draw(valid)
    accepted = validate(value)
    assert accepted.isascii()
    # a non-ASCII character put in place of one character, or added anywhere
    at = data.draw(st.integers(0, len(value)))
    ch = data.draw(NON_ASCII)
    replace_it = data.draw(st.booleans())
    written = value[:at] + ch + value[at + (1 if replace_it else 0) :]
    try:
        result = validate(written)
    except DomainError:
        return
    # accepted only when it normalises to a valid value, and then as that value
    assert result.isascii()
    assert result == validate(unicodedata.normalize("NFKC", written).strip().upper().replace(" ", "").replace("-", ""))


@pytest.mark.parametrize(("name", "validate", "valid"), VALIDATORS, ids=[v[0] for v in VALIDATORS])
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_full_width_variants_are_the_same_value(
    name: str, validate: Callable[[str], str], valid: st.SearchStrategy[str], data: st.DataObject
) -> None:
    value = data.draw(valid)
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)
    assert validate(wide) == validate(value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_no_validator_ever_returns_a_non_ascii_value(text: str) -> None:
    for _, validate, _ in VALIDATORS:
        try:
            assert validate(text).isascii()
        except DomainError:
            pass


# -- free text ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\x00b", "一(1)班\n", "a\nb", "a\rb", "a\u200bb", "a\u202eb", "\x1b[31m", "a\x85b"])
def test_one_line_text_refuses_control_and_format_characters(bad: str) -> None:
    with pytest.raises(DomainError) as e:
        clean_text("className", bad)
    assert (e.value.field, e.value.code) == ("className", "INVALID_VALUE")


def test_multi_line_text_allows_line_breaks_only() -> None:
    assert clean_text("comment", "第一行\r\n第二行\n", multi_line=True) == "第一行\n第二行"
    with pytest.raises(DomainError):
        clean_text("comment", "a\x00b", multi_line=True)


def test_text_is_nfc_stripped_and_limited() -> None:
    assert clean_text("x", "\u3000 e\u0301 ") == "\u00e9"
    assert clean_text("x", "a" * 200) == "a" * 200
    with pytest.raises(DomainError) as e:
        clean_text("employer", "a" * 10_000)
    assert e.value.field == "employer" and "200" in e.value.message


def test_patterns_refuse_a_trailing_newline_even_without_the_boundary_helper() -> None:
    basic = BasicData(name="王明", sex=Sex.MALE, birth_date=date(2019, 9, 9))
    for field, value in (("name", "王明\n"), ("name_pinyin", "Wang Ming\n"), ("phone", "13800000000\n")):
        with pytest.raises(DomainError) as e:
            check_basic(BasicData(**{**basic.__dict__, field: value}))
        assert e.value.code == "INVALID_VALUE"


def test_basic_data_and_guardians_are_normalised_at_the_boundary() -> None:
    basic = normalised_basic(
        BasicData(name=" 王明 ", sex=Sex.MALE, birth_date=date(2019, 9, 9), phone="１３８００００００００", birth_place="４１０１０５")
    )
    assert (basic.name, basic.phone, basic.birth_place) == ("王明", "13800000000", "410105")
    with pytest.raises(DomainError) as e:
        normalised_basic(BasicData(name="王\x00明", sex=Sex.MALE, birth_date=date(2019, 9, 9)))
    assert e.value.field == "basic.name"
    with pytest.raises(DomainError) as e:
        normalised_guardian(Guardian(name="王大明", relation="51", is_guardian=True, employer="x" * 10_000), 0)
    assert (e.value.field, e.value.code) == ("guardians.0.employer", "INVALID_VALUE")


def test_section_entry_strings() -> None:
    assert clean_entry({"term": " 2025-2026-1 ", "description": "甲\n乙"}) == {"term": "2025-2026-1", "description": "甲\n乙"}
    with pytest.raises(DomainError) as e:
        clean_entry({"term": "2025-2026-1\n"})
    assert e.value.field == "data.term"
