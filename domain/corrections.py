"""Correcting key basic data (Art. 10, R-B9): the guardian's request with the household
register → the school approves → the supervising department approves → applied. Old and
new values, who, when and why stay in the history for good."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.access import supervises
from domain.accounts import Account, Role
from domain.dossier import DOSSIER_CODES, Dossier, check_dossier
from domain.error_codes import declared
from domain.errors import DomainError, PermissionDenied
from domain.identity import IdDocument, Sex
from domain.jurisdiction import School
from domain.student_number import permanent_number


class CorrectionState(StrEnum):
    PENDING_SCHOOL = "PENDING_SCHOOL"
    PENDING_DEPARTMENT = "PENDING_DEPARTMENT"
    APPLIED = "APPLIED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


OPEN_STATES = frozenset({CorrectionState.PENDING_SCHOOL, CorrectionState.PENDING_DEPARTMENT})


class Decision(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"


@dataclass(frozen=True)
class CorrectionChanges:
    """The fields to change; None means unchanged."""

    name: str | None = None
    former_name: str | None = None
    sex: Sex | None = None
    birth_date: date | None = None
    id_document: IdDocument | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class DecisionRecord:
    step: str  # "SCHOOL" or "DEPARTMENT"
    decision: Decision
    by: str
    role: str
    at: datetime
    comment: str | None


@dataclass(frozen=True)
class Correction:
    id: str
    dossier_id: str
    number: str
    school_code: str
    changes: CorrectionChanges
    reason: str
    evidence: tuple[str, ...]
    state: CorrectionState
    requested_by: str
    requested_at: datetime
    decisions: tuple[DecisionRecord, ...] = ()
    version: int = 1


REQUEST_CODES = declared("NOTHING_TO_CHANGE", "REASON_REQUIRED", "EVIDENCE_REQUIRED")  # `check_request`
REQUESTER_CODES = declared("PERMISSION_DENIED")  # `require_requester`
DECIDER_CODES = declared("NOT_OPEN", "WRONG_ACTOR")  # `require_decider`
DECISION_CODES = declared("REASON_REQUIRED")  # `decide`
APPLY_CODES = DOSSIER_CODES  # `apply_changes`: the corrected dossier is checked whole


def check_request(changes: CorrectionChanges, reason: str, evidence: tuple[str, ...]) -> None:
    if not changes.given():
        raise DomainError("changes", "name the fields to correct", "NOTHING_TO_CHANGE")
    if not reason.strip():
        raise DomainError("reason", "say why the data is corrected", "REASON_REQUIRED")
    if not [e for e in evidence if e.strip()]:
        # Art. 10: the application comes with a copy of the household register (or other proof).
        raise DomainError(
            "evidence", "attach the household register scan or other proof (Art. 10)", "EVIDENCE_REQUIRED"
        )


def require_requester(account: Account, school: School) -> None:
    if not (account.role is Role.SCHOOL_REGISTRAR and account.scope_code == school.code):
        raise PermissionDenied("the student's school enters a correction request (Art. 10)")


def step_of(state: CorrectionState) -> str:
    if state is CorrectionState.PENDING_SCHOOL:
        return "SCHOOL"
    if state is CorrectionState.PENDING_DEPARTMENT:
        return "DEPARTMENT"
    raise DomainError("id", f"this correction is {state.value.lower()}; nothing is awaiting a decision", "NOT_OPEN")


def require_decider(account: Account, correction: Correction, school: School) -> str:
    """The school decides first, then its supervising department (Art. 10)."""
    step = step_of(correction.state)
    if step == "SCHOOL" and not (account.role is Role.SCHOOL_REGISTRAR and account.scope_code == school.code):
        raise PermissionDenied("the student's school decides this step", "WRONG_ACTOR")
    if step == "DEPARTMENT" and not supervises(account, school):
        raise PermissionDenied("the school's supervising department decides this step", "WRONG_ACTOR")
    return step


def decide(correction: Correction, record: DecisionRecord) -> CorrectionState:
    if record.decision is Decision.REJECT:
        if not (record.comment or "").strip():
            raise DomainError("comment", "say why the correction is rejected", "REASON_REQUIRED")
        return CorrectionState.REJECTED
    return CorrectionState.PENDING_DEPARTMENT if record.step == "SCHOOL" else CorrectionState.APPLIED


def apply_changes(dossier: Dossier, changes: CorrectionChanges) -> Dossier:
    """The dossier after the correction. An identity correction that yields a resident ID
    gives the G number (Art. 7); the number it replaces stays as an alias."""
    basic = replace(dossier.basic, **{k: v for k, v in changes.given().items() if k != "id_document"})
    doc = changes.id_document or dossier.id_document
    number, aliases = dossier.number, dossier.aliases
    new_number = permanent_number(doc)
    if new_number and new_number != number:
        number, aliases = new_number, (*aliases, dossier.number)
    corrected = replace(dossier, basic=basic, id_document=doc, number=number, aliases=aliases)
    check_dossier(corrected)
    return corrected
