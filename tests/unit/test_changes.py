"""The change feed's vocabulary (domain/changes.py): kinds, key changes, China's day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.changes import DossierChangeKind as K
from domain.changes import change_kind, end_of_day, number_change, today_in_china


def test_each_action_has_its_kind_and_a_status_change_that_moves_the_school_is_a_school_change() -> None:
    assert change_kind("ENROLLED", ["school"]) is K.CREATED
    assert change_kind("UPDATED", ["class_name"]) is K.BASIC_DATA
    assert change_kind("VERIFIED", ["verification"]) is K.VERIFICATION
    assert change_kind("RETURNED", ["verification"]) is K.VERIFICATION
    assert change_kind("CORRECTED", ["name"]) is K.KEY_DATA_CORRECTION
    assert change_kind("STATUS:SUSPENSION", ["state", "suspension_until"]) is K.STATUS
    assert change_kind("STATUS:TRANSFER", ["school", "grade"]) is K.SCHOOL
    assert change_kind("STATUS:SPECIAL_PLACEMENT", ["attending_school"]) is K.STATUS
    assert change_kind("MERGED", []) is K.OTHER


def test_a_key_change_is_a_new_number_only() -> None:
    assert number_change({"number": ("L410105201702020001", "G410105201702021234")}) == (
        "L410105201702020001", "G410105201702021234")
    assert number_change({"id_document": ({"kind": "PASSPORT"}, {"kind": "PASSPORT"})}) is None
    assert number_change({"number": ("G1", "G1")}) is None


def test_a_day_ends_at_midnight_in_china() -> None:
    end = end_of_day(date(2026, 11, 27))
    assert end == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert today_in_china(datetime(2026, 11, 27, 15, 59, tzinfo=UTC)) == date(2026, 11, 27)
    assert today_in_china(datetime(2026, 11, 27, 16, 0, tzinfo=UTC)) == date(2026, 11, 28)
