"""Identity documents, each by its own rule (R-B3, R-G1)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import DomainError
from domain.identity import IdDocKind, Sex, check_agrees, mod11_check_digit, parse_id_document

K = IdDocKind


def resident_id(prefix: str, born: date, seq: int) -> str:
    first17 = f"{prefix}{born:%Y%m%d}{seq:03d}"
    return first17 + mod11_check_digit(first17)


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_published_gb11643_examples_have_valid_check_digits(number: str) -> None:
    # Both numbers are the standard's own worked examples (an X check and a digit check).
    doc = parse_id_document(K.RESIDENT_ID, number)
    assert doc.number == number


def test_resident_id_yields_birth_date_and_sex() -> None:
    doc = parse_id_document(K.RESIDENT_ID, "11010519491231002x")
    assert doc.number == "11010519491231002X"  # normalised to upper case
    assert doc.birth_date == date(1949, 12, 31) and doc.sex is Sex.FEMALE  # 17th digit 2: even
    assert doc.key == "RESIDENT_ID:11010519491231002X"
    assert doc.masked == "110105********002X"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002", "ID_FORMAT"),
        ("1101051949123100XX", "ID_FORMAT"),
        ("110105194912310021", "ID_CHECK_DIGIT"),  # one wrong character
        ("110105194902300028", "ID_BIRTH_DATE_INVALID"),  # 30 February
        ("990105194912310021", "ID_DIVISION_CODE"),  # no province 99
        ("", "ID_REQUIRED"),
    ],
)
def test_resident_id_rules(number: str, code: str) -> None:
    with pytest.raises(DomainError) as e:
        parse_id_document(K.RESIDENT_ID, number)
    assert e.value.code == code


def test_future_birth_date_is_refused() -> None:
    with pytest.raises(DomainError) as e:
        parse_id_document(K.RESIDENT_ID, resident_id("410105", date(2099, 1, 1), 11))
    assert e.value.code == "ID_BIRTH_DATE_INVALID"


def test_residence_permit_uses_the_same_algorithm_with_810000_820000_830000() -> None:
    for prefix in ("810000", "820000", "830000"):
        number = resident_id(prefix, date(2019, 5, 6), 13)
        assert parse_id_document(K.HK_MACAO_TAIWAN_RESIDENCE_PERMIT, number).sex is Sex.MALE
    with pytest.raises(DomainError) as e:
        parse_id_document(K.HK_MACAO_TAIWAN_RESIDENCE_PERMIT, resident_id("410105", date(2019, 5, 6), 13))
    assert e.value.code == "ID_DIVISION_CODE"
    with pytest.raises(DomainError) as e:
        parse_id_document(K.RESIDENT_ID, resident_id("810000", date(2019, 5, 6), 13))
    assert e.value.code == "ID_DIVISION_CODE"


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (K.HK_MACAO_TRAVEL_PERMIT, "H12345678", "X12345678"),
        (K.HK_MACAO_TRAVEL_PERMIT, "M1234567890", "M123"),
        (K.TAIWAN_TRAVEL_PERMIT, "12345678", "1234567A"),
        (K.FOREIGNER_PERMANENT_RESIDENCE, "USA110019010112", "US1100190101123"),
    ],
)
def test_permits_and_cards_by_format(kind: IdDocKind, good: str, bad: str) -> None:
    assert parse_id_document(kind, good).number == good
    with pytest.raises(DomainError) as e:
        parse_id_document(kind, bad)
    assert e.value.code == "ID_FORMAT"


def test_2023_permanent_residence_card() -> None:
    first17 = "9" + "41" + "840" + "20180704" + "012"
    number = first17 + mod11_check_digit(first17)
    doc = parse_id_document(K.FOREIGNER_PERMANENT_RESIDENCE, number)
    assert doc.birth_date == date(2018, 7, 4)
    wrong = first17 + ("0" if number[-1] != "0" else "1")
    with pytest.raises(DomainError) as e:
        parse_id_document(K.FOREIGNER_PERMANENT_RESIDENCE, wrong)
    assert e.value.code == "ID_CHECK_DIGIT"


def test_passport_needs_its_country() -> None:
    doc = parse_id_document(K.PASSPORT, "e1234 5678", "usa")
    assert doc.number == "E12345678" and doc.country == "USA" and doc.key == "PASSPORT:USA:E12345678"
    with pytest.raises(DomainError) as e:
        parse_id_document(K.PASSPORT, "E12345678", None)
    assert e.value.code == "ID_COUNTRY"


def test_none_yet_has_no_number_and_no_key() -> None:
    doc = parse_id_document(K.NONE_YET, None)
    assert doc.key is None and doc.masked is None
    with pytest.raises(DomainError):
        parse_id_document(K.NONE_YET, "123")


def test_record_must_agree_with_the_number() -> None:
    doc = parse_id_document(K.RESIDENT_ID, resident_id("410105", date(2019, 3, 1), 12))  # even: female
    check_agrees(doc, date(2019, 3, 1), Sex.FEMALE)
    with pytest.raises(DomainError) as e:
        check_agrees(doc, date(2019, 3, 2), Sex.FEMALE)
    assert e.value.code == "ID_BIRTH_DATE_MISMATCH"
    with pytest.raises(DomainError) as e:
        check_agrees(doc, date(2019, 3, 1), Sex.MALE)
    assert e.value.code == "ID_SEX_MISMATCH"
