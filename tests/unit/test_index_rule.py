"""The equality-sort-range rule that decides whether a declared index serves a query."""

from __future__ import annotations

from storage.indexes import QueryShape, serving_index


def shape(collection: str, filter_: dict[str, object], sort: dict[str, int] | None = None) -> QueryShape:
    return QueryShape.of(collection, filter_, sort)


def test_equality_prefix_then_sort_is_served() -> None:
    assert serving_index(shape("students", {"scope_keys": "code:1", "grade": 3}, {"_id": 1})) == "scope"
    assert serving_index(shape("students", {"school_code": "1", "grade": 3, "class_name": "a"}, {"_id": 1})) == "class"
    assert serving_index(shape("audit", {"actor": "a", "_id": {"$lt": "x"}}, {"_id": -1})) == "actor"


def test_a_sort_the_index_cannot_give_is_not_served() -> None:
    # equality on a field that starts no index
    assert serving_index(shape("students", {"grade": 3}, {"_id": 1})) is None  # a walk of every _id
    assert serving_index(shape("students", {}, {"_id": 1})) == "_id"  # a page of everything, in order
    assert serving_index(shape("students", {"grade": 3})) is None  # a collection scan
    # the index has a field between the equality prefix and the sort
    assert serving_index(shape("students", {"school_code": "1"}, {"_id": 1})) is None


def test_or_and_unindexed_filters_are_not_served() -> None:
    assert serving_index(shape("students", {"$or": [{"school_code": "1"}, {"former_school_codes": "1"}]})) is None
    assert serving_index(shape("cases", {"state": "OPEN"}, {"_id": 1})) is None
    assert serving_index(shape("cases", {"awaiting": {"$in": ["1"]}})) is None


def test_id_equality_and_ranges_after_the_prefix() -> None:
    assert serving_index(shape("students", {"_id": "G1"})) == "_id"
    assert serving_index(shape("students", {"state": "SUSPENDED", "suspension_until": {"$lt": 1}})) == "suspensions"
    assert serving_index(shape("transitions", {"aggregate": "student", "day": "2026-11-28"})) == "aggregate_day"
