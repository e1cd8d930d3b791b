"""Descriptions shared across the schema, and the value descriptions of enums whose members
are defined in `domain/` (which does not import Strawberry): the schema is what frontend
developers read, in the explorer and in the clients they generate from it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.enum import StrawberryEnumDefinition

E = TypeVar("E")

# The fields every mutation's `…Error` type has (see `describe_error`).
ERROR_FIELD = (
    "The input field the error is about, as a dotted path in the input (`basic.birthDate`, `guardians.0.phone`, "
    "`params.untilDate`); null when it is about the request as a whole."
)
ERROR_MESSAGE = "What went wrong, in English, for the log and for support; show the user a text chosen by `code`."
ERROR_CODE = "The stable code of the refusal: switch on this, never on `message`."

STUDENT_NUMBER_ARG = (
    "A student number (学籍号): `G` + the 18-character resident ID number, or a temporary `L` + 18 digits; an "
    "earlier number of the same student (alias) also finds the dossier. Full-width digits are accepted."
)
SCHOOL_CODE = "The 10-digit school identifier (学校标识码)."
AREA_CODE = "A 6-digit GB/T 2260 administrative division code (province `xx0000`, city `xxxx00`, county otherwise)."


def describe_values(enum: type[E], values: Mapping[str, str]) -> type[E]:
    """Give every value of a Strawberry enum its description; the names must match the
    enum's values exactly, so a new member without a description fails at import."""
    definition = getattr(enum, "__strawberry_definition__", None)
    if not isinstance(definition, StrawberryEnumDefinition):
        raise TypeError(f"{enum!r} is not a Strawberry enum")
    names = {value.name for value in definition.values}
    if names != set(values):
        raise ValueError(
            f"{definition.name}: undescribed {sorted(names - set(values))}, unknown {sorted(set(values) - names)}"
        )
    for value in definition.values:
        value.description = values[value.name]
    return enum


def describe_error(error_type: type, mutation: str, **more: str) -> None:
    """Describe a mutation's `…Error` type and its fields: `field`, `message` and `code`
    as every error has them, and the error's own fields (`more`, by Python name) unless
    they carry their description already. A field left without one fails at import.
    Kept apart from the class body, which belongs to the error-code declarations."""
    definition = getattr(error_type, "__strawberry_definition__", None)
    if not isinstance(definition, StrawberryObjectDefinition):
        raise TypeError(f"{error_type!r} is not a Strawberry type")
    definition.description = (
        f"Why `{mutation}` was refused: switch on `code`. The attempt is in the audit trail, like every accepted one."
    )
    texts = {"field": ERROR_FIELD, "message": ERROR_MESSAGE, "code": ERROR_CODE, **more}
    for f in definition.fields:
        if f.python_name in texts:
            f.description = texts[f.python_name]
        elif not f.description:
            raise ValueError(f"{definition.name}.{f.python_name} has no description")
