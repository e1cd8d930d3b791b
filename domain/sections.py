"""The archive sections of Art. 6 and their versioned schemas (R-B6).

Section (1), basic data and its changes, is the dossier itself and its history. Sections
(2)-(6) are entries, each validated against a JSON Schema version stored in the database,
so the province can add a field by publishing a new version, without a code change. Each
entry records the version that validated it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from domain.error_codes import declared
from domain.errors import DomainError
from domain.text import MULTI_LINE, TEXT_CODES, clean_text


class Section(StrEnum):
    EVIDENCE = "EVIDENCE"  # (2) 学籍信息证明材料
    QUALITY = "QUALITY"  # (3) 综合素质发展报告
    HEALTH = "HEALTH"  # (4) 体质健康测试、健康体检、预防接种
    AWARDS = "AWARDS"  # (5) 获奖信息
    AID = "AID"  # (6) 享受资助信息


# Art. 9: the school keeps paper files of sections (1), (2), (3) and (5).
PAPER_SECTIONS = frozenset({Section.EVIDENCE, Section.QUALITY, Section.AWARDS})

_STR = {"type": "string", "minLength": 1, "maxLength": 200}
# ASCII digits only (`\d` is any script's digit); a trailing newline, which `$` would let
# through, never reaches the schema: entry strings are checked by `clean_entry` first.
_DATE = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_TERM = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{4}-[12]$"}


def _schema(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


# Version 1 of each section, loaded when a database has none.
INITIAL_SCHEMAS: dict[Section, dict[str, Any]] = {
    Section.EVIDENCE: _schema(
        ["kind", "reference"],
        {
            "kind": {"enum": ["HOUSEHOLD_REGISTER", "TRANSFER_APPLICATION", "SUSPENSION_APPLICATION", "OTHER"]},
            "reference": _STR,
            "paperLocation": _STR,
            "note": _STR,
        },
    ),
    Section.QUALITY: _schema(
        ["term", "category"],
        {
            "term": _TERM,
            "category": {"enum": ["ACADEMIC", "SPORTS", "ARTS", "COMMUNITY_SERVICE", "SOCIAL_PRACTICE"]},
            "subject": _STR,
            "result": _STR,
            "description": {"type": "string", "maxLength": 2000},
        },
    ),
    Section.HEALTH: _schema(
        ["date", "kind"],
        {
            "date": _DATE,
            "kind": {"enum": ["FITNESS_TEST", "HEALTH_CHECK", "VACCINATION"]},
            "result": _STR,
            "vaccine": _STR,
            "heightCm": {"type": "number", "minimum": 40, "maximum": 250},
            "weightKg": {"type": "number", "minimum": 5, "maximum": 250},
        },
    ),
    Section.AWARDS: _schema(
        ["date", "title", "level"],
        {
            "date": _DATE,
            "title": _STR,
            "level": {"enum": ["SCHOOL", "COUNTY", "CITY", "PROVINCE", "NATIONAL", "INTERNATIONAL"]},
            "issuer": _STR,
        },
    ),
    Section.AID: _schema(
        ["term", "program", "amountYuan"],
        {
            "term": _TERM,
            "program": _STR,
            "amountYuan": {"type": "number", "minimum": 0, "maximum": 100000},
        },
    ),
}


SCHEMA_CODES = declared("INVALID_SCHEMA")  # `check_schema`
ENTRY_CODES = declared(*TEXT_CODES, "SECTION_ENTRY_INVALID")  # `clean_entry`, `validate_entry`

MULTI_LINE_KEYS = frozenset({"description"})  # the only multi-line strings of an entry
ENTRY_STRING_MAX = MULTI_LINE
MAX_DEPTH = 8


def clean_entry(data: Any, path: str = "data", depth: int = 0) -> Any:
    """Every string of an entry as free text (domain/text.py): NFC, stripped, no control
    characters, one line except under `description`; the schema then checks the rest."""
    if depth > MAX_DEPTH:
        raise DomainError(path, "an entry is nested at most 8 deep", "INVALID_VALUE")
    if isinstance(data, str):
        multi = path.rsplit(".", 1)[-1] in MULTI_LINE_KEYS
        return clean_text(path, data, max_length=ENTRY_STRING_MAX, multi_line=multi)
    if isinstance(data, dict):
        return {clean_text(path, str(k), max_length=100): clean_entry(v, f"{path}.{k}", depth + 1) for k, v in data.items()}
    if isinstance(data, list):
        return [clean_entry(v, f"{path}.{i}", depth + 1) for i, v in enumerate(data)]
    return data


def check_schema(schema: dict[str, Any]) -> None:
    """A published schema must itself be valid JSON Schema and describe an object."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as e:
        raise DomainError("schema", f"not a valid JSON Schema: {e.message}", "INVALID_SCHEMA") from e
    if schema.get("type") != "object":
        raise DomainError("schema", "a section entry schema describes an object", "INVALID_SCHEMA")


def validate_entry(section: Section, version: int, schema: dict[str, Any], data: Any) -> None:
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        path = ".".join(str(p) for p in first.path)
        raise DomainError(
            "data" + (f".{path}" if path else ""),
            f"{section.value} v{version}: {first.message}",
            "SECTION_ENTRY_INVALID",
        )
