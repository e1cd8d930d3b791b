"""The withdrawal rules (domain/withdrawal.py, Art. 6 (2), 20, 24) for every state of a
citing business, and where an evidence key says an object belongs (domain/evidence.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.corrections import Correction, CorrectionChanges, CorrectionState
from domain.errors import DomainError
from domain.evidence import Document, DocumentState, DocumentVersion, EvidenceKind, ObjectPlace, StoredFile, object_key, place_of
from domain.withdrawal import require_usable, withdraw
from domain.workflows.engine import Case, CaseKind, CaseState

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _document(document_id: str = "d1") -> Document:
    version = DocumentVersion(1, StoredFile("k", "v", "0" * 64, 1, "image/png"), None, 1, None, "weiwu.registrar", NOW,
                              NOW + timedelta(days=1), DocumentState.STORED)
    return Document(document_id, "L1", "L1", "2141010501", EvidenceKind.HOUSEHOLD_REGISTER, "PERMANENT", None, None, None,
                    False, (version,), NOW)


def _case(state: CaseState, evidence: tuple[str, ...]) -> Case:
    return Case("case-1", CaseKind.SUSPENSION, "L1", "L1", {}, None, {}, (), state, 0, date(2026, 11, 2), None, False,
                "weiwu.registrar", NOW, evidence=evidence)


def _correction(state: CorrectionState, evidence: tuple[str, ...]) -> Correction:
    return Correction("correction-1", "L1", "L1", "2141010501", CorrectionChanges(name="王"), "更正", evidence, state,
                      "weiwu.registrar", NOW)


def _withdraw(cases: list[Case] = [], corrections: list[Correction] = [], reason: str = "误传") -> Document:  # noqa: B006
    return withdraw(_document(), by="weiwu.registrar", at=NOW, reason=reason, cases=cases, corrections=corrections)


@pytest.mark.parametrize("state", list(CaseState))
def test_a_case_that_is_open_or_completed_keeps_its_evidence(state: CaseState) -> None:
    binding = state in (CaseState.OPEN, CaseState.COMPLETED)
    if binding:
        with pytest.raises(DomainError) as e:
            _withdraw(cases=[_case(state, ("d0", "d1"))])
        assert e.value.code == "CITED_AS_EVIDENCE" and "case-1" in e.value.message
    else:  # rejected or withdrawn: nothing rests on it
        assert _withdraw(cases=[_case(state, ("d1",))]).withdrawal is not None
    assert _withdraw(cases=[_case(state, ("d2",))]).withdrawal is not None  # another document


@pytest.mark.parametrize("state", list(CorrectionState))
def test_a_correction_that_is_open_or_applied_keeps_its_evidence(state: CorrectionState) -> None:
    binding = state in (CorrectionState.PENDING_SCHOOL, CorrectionState.PENDING_DEPARTMENT, CorrectionState.APPLIED)
    if binding:
        with pytest.raises(DomainError) as e:
            _withdraw(corrections=[_correction(state, ("d1",))])
        assert e.value.code == "CITED_AS_EVIDENCE" and "correction-1" in e.value.message
    else:
        assert _withdraw(corrections=[_correction(state, ("d1",))]).withdrawal is not None


def test_a_withdrawal_records_who_when_why_and_happens_once() -> None:
    withdrawn = _withdraw(reason="  误传：属于王某某  ")
    assert withdrawn.withdrawal is not None
    assert (withdrawn.withdrawal.by, withdrawn.withdrawal.at, withdrawn.withdrawal.reason) == ("weiwu.registrar", NOW, "误传：属于王某某")
    assert withdrawn.versions == _document().versions  # nothing of the scan is dropped
    with pytest.raises(DomainError) as e:
        withdraw(withdrawn, by="weiwu.registrar", at=NOW, reason="再次", cases=[], corrections=[])
    assert e.value.code == "DOCUMENT_WITHDRAWN"
    with pytest.raises(DomainError) as e:
        _withdraw(reason=" \n ")
    assert (e.value.code, e.value.field) == ("REASON_REQUIRED", "reason")


def test_a_withdrawn_document_is_evidence_of_nothing() -> None:
    require_usable(_document())
    with pytest.raises(DomainError) as e:
        require_usable(_withdraw(), "replaces")
    assert (e.value.code, e.value.field) == ("DOCUMENT_WITHDRAWN", "replaces")


def test_an_evidence_key_names_its_school_dossier_document_and_part() -> None:
    key = object_key("2141010501", "G410105201909010011", "abc", "original")
    assert place_of(key) == ObjectPlace("2141010501", "G410105201909010011", "abc", "original")
    for other in ("audit/checkpoints/1", "evidence/2141010501/x/original", "evidence//x/y/z", "evidence/a/b/c/d/e", "scratch/held"):
        assert place_of(other) is None, other
