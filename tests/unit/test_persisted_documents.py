"""The schema extension behind persisted operations: a document it has seen pass parsing
and validation is reused as parsed, and neither step runs again."""

from __future__ import annotations

import asyncio

from graphql import parse

from domain.persisted import document_hash, parse_document_id
from schema import build_schema
from schema.persisted import EXTENSION_KEY, PersistedDocument


def test_document_ids_are_sha256_hex_with_or_without_the_prefix() -> None:
    digest = document_hash("{ __typename }")
    assert parse_document_id("sha256:" + digest) == digest
    assert parse_document_id(digest.upper()) == digest
    assert parse_document_id("sha1:" + digest) is None
    assert parse_document_id(digest[:-1]) is None


def test_a_known_document_skips_parsing_and_validation() -> None:
    schema = build_schema()
    entry = PersistedDocument(hash=document_hash("{ __typename }"), text="{ __typename }")
    first = asyncio.run(schema.execute(entry.text, operation_extensions={EXTENSION_KEY: entry}))
    assert first.errors is None and first.data == {"__typename": "Query"}
    assert entry.parsed is not None  # validated once, kept

    # Now the cached document is one that would never pass validation: if either step ran,
    # the request would fail; it executes the cached document as it is.
    entry.parsed = parse("{ __typename noSuchField }")
    again = asyncio.run(schema.execute(entry.text, operation_extensions={EXTENSION_KEY: entry}))
    assert again.errors is None and again.data == {"__typename": "Query"}

    # A client's JSON cannot pose as a registered document.
    forged = asyncio.run(schema.execute("{ __typename noSuchField }", operation_extensions={EXTENSION_KEY: {"parsed": None}}))
    assert forged.errors


def test_a_document_that_fails_validation_is_not_cached() -> None:
    schema = build_schema()
    entry = PersistedDocument(hash="x", text="{ noSuchField }")
    result = asyncio.run(schema.execute(entry.text, operation_extensions={EXTENSION_KEY: entry}))
    assert result.errors and entry.parsed is None
