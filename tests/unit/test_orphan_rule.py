"""Which object versions the reconcile sweep counts as orphans (storage/orphans.py): those
no document's metadata names by key and version id; a version still PENDING names its key
(its version id is written when the upload is marked stored)."""

from __future__ import annotations

from storage.evidence_store import ObjectVersion
from storage.orphans import names

KEY = "evidence/2141010501/G1/d1/original"


def _metadata(state: str, version_id: str, rendition: dict[str, str] | None = None) -> dict[str, object]:
    return {"_id": "d1", "versions": [{"state": state, "original": {"key": KEY, "version_id": version_id}, "rendition": rendition}]}


def test_a_stored_version_names_its_key_and_version_id_only() -> None:
    stored = _metadata("STORED", "v1")
    assert names(stored, ObjectVersion(KEY, "v1", 5))
    assert not names(stored, ObjectVersion(KEY, "v2", 5))  # a second version under the same key
    assert not names(stored, ObjectVersion(KEY.replace("original", "rendition"), "v1", 5))


def test_a_pending_version_names_its_key_whatever_the_version() -> None:
    assert names(_metadata("PENDING", ""), ObjectVersion(KEY, "v9", 5))


def test_a_rendition_is_named_as_its_original_is() -> None:
    rendition = {"key": KEY.replace("original", "rendition"), "version_id": "r1"}
    assert names(_metadata("STORED", "v1", rendition), ObjectVersion(rendition["key"], "r1", 5))


def test_no_metadata_names_nothing() -> None:
    assert not names(None, ObjectVersion(KEY, "v1", 5))
    assert not names({"_id": "d1", "versions": []}, ObjectVersion(KEY, "v1", 5))  # its only upload was dropped
