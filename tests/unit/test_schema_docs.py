"""Documentation coverage of the GraphQL schema, as frontend developers read it in the
explorer and in generated clients: every type, field, argument, input field and enum value
carries a description of a few words that says more than its name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)

from schema import build_schema

# The built-in scalars of the GraphQL specification: described by the specification.
SPEC_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})
# Scalars that Strawberry defines (Date, DateTime, JSON): their descriptions come with
# the library ("Date (isoformat)"); they are required to be present, not to be long.
LIBRARY_SCALARS = frozenset({"Date", "DateTime", "JSON"})
MIN_WORDS = 3


@dataclass
class Coverage:
    counted: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def check(self, kind: str, path: str, name: str, description: str | None, *, min_words: int = MIN_WORDS) -> None:
        self.counted[kind] = self.counted.get(kind, 0) + 1
        problem = _problem(name, description, min_words)
        if problem:
            self.missing.append(f"{kind} {path}: {problem}")

    def documented(self, kind: str) -> int:
        return self.counted.get(kind, 0) - sum(1 for m in self.missing if m.startswith(f"{kind} "))


def _problem(name: str, description: str | None, min_words: int) -> str | None:
    if description is None or not description.strip():
        return "no description"
    text = description.strip()
    if _bare(text) == _bare(name):
        return f"the description only repeats the name ({text!r})"
    if len(re.findall(r"\w+", text)) < min_words:
        return f"a placeholder, fewer than {min_words} words ({text!r})"
    return None


def _bare(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


def is_error_code_enum(enum: GraphQLEnumType) -> bool:
    """An `…ErrorCode` enum: a mutation's codes, or UploadErrorCode of POST /uploads. Their
    values are declared once each, with a description of when the code happens and what
    the user does, in the registry of stable codes, and each enum lists exactly the codes
    its code path can return; the exact-enum test checks both
    (tests/unit/test_error_codes.py, `test_enum_values_carry_the_registry_description`).
    This test leaves their values to it; the enum types themselves are counted here."""
    return enum.name.endswith("ErrorCode")


def coverage(schema: GraphQLSchema) -> Coverage:
    cov = Coverage()
    for name, named in sorted(schema.type_map.items()):
        if name.startswith("__") or name in SPEC_SCALARS:
            continue
        _type(cov, named)
    return cov


def _type(cov: Coverage, named: GraphQLNamedType) -> None:
    min_words = 1 if named.name in LIBRARY_SCALARS else MIN_WORDS
    cov.check("type", named.name, named.name, named.description, min_words=min_words)
    if isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)):
        for fname, f in named.fields.items():
            cov.check("field", f"{named.name}.{fname}", fname, f.description)
            for aname, arg in f.args.items():
                cov.check("argument", f"{named.name}.{fname}({aname})", aname, arg.description)
    elif isinstance(named, GraphQLInputObjectType):
        for fname, f in named.fields.items():
            cov.check("input field", f"{named.name}.{fname}", fname, f.description)
    elif isinstance(named, GraphQLEnumType):
        if is_error_code_enum(named):
            return
        for vname, v in named.values.items():
            cov.check("enum value", f"{named.name}.{vname}", vname, v.description)
    elif not isinstance(named, (GraphQLScalarType, GraphQLUnionType)):  # pragma: no cover
        raise AssertionError(f"unexpected kind of type {named!r}")


def summary(cov: Coverage) -> str:
    return ", ".join(f"{kind}s {cov.documented(kind)}/{n}" for kind, n in sorted(cov.counted.items()))


def test_every_name_in_the_schema_is_documented() -> None:
    cov = coverage(build_schema()._schema)
    assert not cov.missing, f"documented: {summary(cov)}; missing or placeholder:\n" + "\n".join(cov.missing)


def test_the_checker_finds_what_is_missing() -> None:
    assert _problem("name", None, MIN_WORDS) == "no description"
    assert _problem("schoolCode", "School code.", MIN_WORDS) is not None
    assert _problem("schoolCode", "School_code", MIN_WORDS) is not None
    assert _problem("grade", "Masked.", MIN_WORDS) is not None
    assert _problem("grade", "The grade, 1-9 (grades 7-9 are junior secondary).", MIN_WORDS) is None
