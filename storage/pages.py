"""Keyset pagination over `_id`: stable under inserts, index-backed, no skip()."""

from __future__ import annotations

from typing import Any


def keyset(query: dict[str, Any], after: str | None) -> dict[str, Any]:
    if after is None:
        return query
    return {"$and": [query, {"_id": {"$gt": after}}]} if query else {"_id": {"$gt": after}}
