"""Persisted operations (trusted documents): a frontend's GraphQL documents registered
by their SHA-256 ahead of time, so that requests can name a document by its hash.

A document id is the lowercase hex SHA-256 of the document's exact text (UTF-8), written
`sha256:<hex>` as graphql-codegen's client preset emits it; the bare hex is accepted too."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

HASH_PREFIX = "sha256:"
_HEX = re.compile(r"[0-9a-f]{64}")


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_document_id(value: str) -> str | None:
    """The bare hex hash of a document id (`sha256:<hex>` or `<hex>`), or None when it is
    not one."""
    hex_part = value[len(HASH_PREFIX):] if value.startswith(HASH_PREFIX) else value
    hex_part = hex_part.lower()
    return hex_part if _HEX.fullmatch(hex_part) else None


def document_id(hash_hex: str) -> str:
    return HASH_PREFIX + hash_hex


@dataclass(frozen=True)
class PersistedOperation:
    hash: str  # bare lowercase hex
    document: str
    operation_names: tuple[str, ...]
    registered_by: str
    registered_at: datetime
    request_id: str
