"""Keyset pagination over `_id`: stable under inserts, index-backed, no skip()."""

from __future__ import annotations

from typing import Any


def keyset(query: dict[str, Any], after: str | None) -> dict[str, Any]:
    if after is None:
        return query
    if "_id" in query:
        return {**query, "$and": [*query.get("$and", []), {"_id": {"$gt": after}}]}
    return {**query, "_id": {"$gt": after}}
