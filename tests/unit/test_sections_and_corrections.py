from __future__ import annotations

from datetime import date

import pytest

from domain.corrections import CorrectionChanges, apply_changes, check_request
from domain.dossier import BasicData, Dossier, Flags, SchoolStatus, missing_fields
from domain.errors import DomainError
from domain.identity import IdDocKind, Sex, mod11_check_digit, parse_id_document
from domain.sections import INITIAL_SCHEMAS, Section, check_schema, validate_entry


def test_initial_schemas_are_valid_and_validate_entries() -> None:
    for schema in INITIAL_SCHEMAS.values():
        check_schema(schema)
    validate_entry(Section.AWARDS, 1, INITIAL_SCHEMAS[Section.AWARDS], {"date": "2026-06-01", "title": "书法一等奖", "level": "COUNTY"})
    with pytest.raises(DomainError) as e:
        validate_entry(Section.AWARDS, 1, INITIAL_SCHEMAS[Section.AWARDS], {"date": "2026-06-01", "title": "x", "level": "GALAXY"})
    assert e.value.code == "SECTION_ENTRY_INVALID" and e.value.field == "data.level"
    with pytest.raises(DomainError) as e:
        validate_entry(Section.AID, 1, INITIAL_SCHEMAS[Section.AID], {"term": "2026-2027-1", "program": "x", "amountYuan": 1, "extra": 1})
    assert e.value.code == "SECTION_ENTRY_INVALID"


def test_a_schema_must_be_json_schema_of_an_object() -> None:
    with pytest.raises(DomainError):
        check_schema({"type": "array"})
    with pytest.raises(DomainError):
        check_schema({"type": "object", "properties": {"x": {"type": "no-such-type"}}})


def _dossier(**basic: object) -> Dossier:
    values: dict[str, object] = {"name": "王小明", "sex": Sex.MALE, "birth_date": date(2020, 3, 1), **basic}
    return Dossier(
        id="L410105202003010001",
        number="L410105202003010001",
        aliases=(),
        id_document=parse_id_document(IdDocKind.NONE_YET, None),
        basic=BasicData(**values),  # type: ignore[arg-type]
        guardians=(),
        flags=Flags(),
        status=SchoolStatus("2141010501", 1, "一(1)班", date(2026, 9, 1), "1", "1"),
    )


def test_correction_request_needs_changes_reason_and_evidence() -> None:
    for changes, reason, evidence, code in [
        (CorrectionChanges(), "x", ("scan",), "NOTHING_TO_CHANGE"),
        (CorrectionChanges(name="王晓明"), " ", ("scan",), "REASON_REQUIRED"),
        (CorrectionChanges(name="王晓明"), "户口簿更正", (" ",), "EVIDENCE_REQUIRED"),
    ]:
        with pytest.raises(DomainError) as e:
            check_request(changes, reason, evidence)
        assert e.value.code == code


def test_recording_a_resident_id_gives_the_g_number_and_keeps_the_l_alias() -> None:
    first17 = "41010520200301001"  # born 2020-03-01, sequence 001: odd, so male
    number = first17 + mod11_check_digit(first17)
    corrected = apply_changes(_dossier(), CorrectionChanges(id_document=parse_id_document(IdDocKind.RESIDENT_ID, number)))
    assert corrected.number == "G" + number
    assert corrected.aliases == ("L410105202003010001",)
    with pytest.raises(DomainError) as e:  # a birth date that the ID contradicts is refused
        apply_changes(_dossier(), CorrectionChanges(birth_date=date(2020, 3, 2), id_document=parse_id_document(IdDocKind.RESIDENT_ID, number)))
    assert e.value.code == "ID_BIRTH_DATE_MISMATCH"


def test_missing_fields_for_completeness() -> None:
    assert "basic.ethnicity" in missing_fields(_dossier()) and "guardians" in missing_fields(_dossier())
