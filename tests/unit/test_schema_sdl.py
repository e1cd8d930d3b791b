"""The exported SDL in the repository is the schema the code builds."""

from __future__ import annotations

from strawberry.types.base import StrawberryObjectDefinition

from schema import build_schema
from scripts.export_schema import SDL_PATH, sdl


def test_schema_graphql_matches_the_code() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == sdl(), "schema.graphql is stale: run ./scripts/export-schema"


def test_every_mutation_returns_a_union_with_a_typed_error() -> None:

    schema = build_schema()
    mutation = schema.get_type_by_name("Mutation")
    assert isinstance(mutation, StrawberryObjectDefinition)
    text = schema.as_str()
    for field in mutation.fields:
        name = "".join(p.capitalize() for p in field.python_name.split("_"))
        assert f"union {name}Result = {name}Success | {name}Error" in text
        assert f"enum {name}ErrorCode" in text


def test_the_grounds_of_every_case_kind_are_documented_for_the_frontend() -> None:
    from domain.workflows.definitions import DEFINITIONS

    text = SDL_PATH.read_text(encoding="utf-8")
    for definition in DEFINITIONS.values():
        for grounds in definition.grounds:
            assert grounds in text, (definition.kind, grounds)
