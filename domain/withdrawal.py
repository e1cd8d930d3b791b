"""Withdrawing a scan filed under the wrong student (Art. 6 (2), 20, 24; R-E3).

A school that uploaded a scan to the wrong dossier takes it out of that dossier: the
evidence of one child must not stay in another child's file (Art. 24), and the dossier
must hold the right evidence (Art. 20: 证明材料归入学生学籍档案). Nothing is deleted: the
bytes stay under their lock and the metadata stays, marked with who withdrew it, when and
why, for archivists and auditors to review (R-E3).

A withdrawn document is evidence of nothing: no case or correction can cite it afterwards.
A document that a decision rests on cannot be withdrawn: a completed case or an applied
correction changed the dossier on the strength of it, and that record of change must keep
its evidence (Art. 6 (1), 20); a decision taken on a wrong scan is put right by a new case
or correction with the right evidence, never by removing the evidence of the old one. A
document offered to a business still open is not withdrawn either, until that business is
withdrawn or rejected: otherwise the business would go on, or be decided, without it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from domain.corrections import OPEN_STATES, Correction, CorrectionState
from domain.error_codes import declared
from domain.errors import DomainError
from domain.evidence import Document, Withdrawal
from domain.workflows.engine import Case, CaseState

USABLE_CODES = declared("DOCUMENT_WITHDRAWN")  # `require_usable`
WITHDRAW_RULE_CODES = declared("DOCUMENT_WITHDRAWN", "CITED_AS_EVIDENCE", "REASON_REQUIRED")  # `withdraw`

# Businesses whose citation keeps a document in the dossier: open ones (they would be
# decided without it) and those whose decision changed the dossier (it rests on it).
_BINDING_CASES = frozenset({CaseState.OPEN, CaseState.COMPLETED})
_BINDING_CORRECTIONS = OPEN_STATES | {CorrectionState.APPLIED}


def require_usable(document: Document, field: str = "evidence") -> None:
    """A withdrawn document cannot be evidence, nor take a new version or a new location."""
    if document.withdrawal is not None:
        raise DomainError(
            field,
            f"document {document.id} was withdrawn from the dossier; upload the scan to the right student and use "
            "that document",
            "DOCUMENT_WITHDRAWN",
        )


def binding_citation(document_id: str, cases: Iterable[Case], corrections: Iterable[Correction]) -> str | None:
    """The first open or decided business of the dossier that cites the document, named for
    the message (`case <id> (COMPLETED)`); None when none does."""
    for case in cases:
        if case.state in _BINDING_CASES and document_id in case.evidence:
            return f"case {case.id} ({case.kind.value}, {case.state.value})"
    for correction in corrections:
        if correction.state in _BINDING_CORRECTIONS and document_id in correction.evidence:
            return f"correction {correction.id} ({correction.state.value})"
    return None


def withdraw(
    document: Document, *, by: str, at: datetime, reason: str, cases: Iterable[Case], corrections: Iterable[Correction]
) -> Document:
    """The document taken out of its dossier, or the refusal: already withdrawn, no reason,
    or cited by a business that is open or whose decision rests on it."""
    require_usable(document, "documentId")
    if not reason.strip():
        raise DomainError("reason", "say why the document is withdrawn (e.g. whose scan it is)", "REASON_REQUIRED")
    citing = binding_citation(document.id, cases, corrections)
    if citing is not None:
        raise DomainError(
            "documentId",
            f"{citing} cites this document: an open business is withdrawn or rejected first; a decided one rests on "
            "it and keeps it (put a wrong decision right with a new case or correction)",
            "CITED_AS_EVIDENCE",
        )
    return replace(document, withdrawal=Withdrawal(by=by, at=at, reason=reason.strip()))
