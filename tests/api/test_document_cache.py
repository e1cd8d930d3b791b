"""A frontend sends the same few operations over and over: each is parsed and validated
once, then served from the process-wide caches."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import ParserCache, ValidationCache

from schema import PARSE_CACHE_SIZE, VALIDATION_CACHE_SIZE
from tests.support import GraphQLClient


def _cache_info(cached: Any) -> tuple[int, int]:
    info = cached.cache_info()
    return info.hits, info.misses


def test_parsed_and_validated_documents_are_reused_across_requests(gql: GraphQLClient) -> None:
    parse = ParserCache(maxsize=PARSE_CACHE_SIZE).cached_parse_document
    validate = ValidationCache(maxsize=VALIDATION_CACHE_SIZE).cached_validate_document
    query = "query CacheProbe($n: String!) { viewer { login } student(number: $n) { number } }"
    parsed, validated = _cache_info(parse), _cache_info(validate)
    for n in range(5):
        gql(query, {"n": f"G41010520190901{n:04d}"}, as_="henan.dept")
    parse_hits, parse_misses = (a - b for a, b in zip(_cache_info(parse), parsed))
    validate_hits, validate_misses = (a - b for a, b in zip(_cache_info(validate), validated))
    assert (parse_hits, parse_misses) == (4, 1)
    assert (validate_hits, validate_misses) == (4, 1)
