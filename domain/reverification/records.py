"""What a term's re-verification (复核, Art. 23) records: the campaign a department opens,
each school's result (its roster confirmation and the department's decision), and the
discrepancies the school flags, which become tasks until their business is opened or the
department waives them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from domain.dossier import StudentState
from domain.identity import IdDocument, Sex


class CampaignState(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"  # closed by its department: nothing is confirmed or flagged any more


class ResultState(StrEnum):
    """Where one school's part stands."""

    NOT_STARTED = "NOT_STARTED"  # the school has not confirmed its roster yet
    SCHOOL_CONFIRMED = "SCHOOL_CONFIRMED"  # confirmed by the school, waiting for its department
    DEPARTMENT_CONFIRMED = "DEPARTMENT_CONFIRMED"  # confirmed by the department: done
    RETURNED = "RETURNED"  # returned to the school by the department, with the reason


class ResultDecision(StrEnum):
    """The department's decision on a school's confirmed result."""

    CONFIRM = "CONFIRM"
    RETURN = "RETURN"


class DiscrepancyKind(StrEnum):
    LEFT_WITHOUT_CHANGE = "LEFT_WITHOUT_CHANGE"  # on the roster, no longer attends, no change recorded
    PRESENT_WITHOUT_DOSSIER = "PRESENT_WITHOUT_DOSSIER"  # attends, has no dossier here (Art. 26(1))
    DATA_WRONG = "DATA_WRONG"  # a field of the dossier is wrong


class DiscrepancyState(StrEnum):
    OPEN = "OPEN"  # raised; a task once the department confirms the school's result
    WITHDRAWN = "WITHDRAWN"  # withdrawn by the school before its result was confirmed
    LINKED = "LINKED"  # resolved: its business (case, correction, update, enrolment) is opened
    WAIVED = "WAIVED"  # resolved: the department waived it, with the reason


class DossierField(StrEnum):
    """The dossier fields a school can flag as wrong. The key fields change after
    verification only by an Art. 10 correction; the others by a dossier update."""

    NAME = "NAME"
    FORMER_NAME = "FORMER_NAME"
    SEX = "SEX"
    BIRTH_DATE = "BIRTH_DATE"
    ID_NUMBER = "ID_NUMBER"
    CLASS_NAME = "CLASS_NAME"
    ETHNICITY = "ETHNICITY"
    HOUSEHOLD_PLACE = "HOUSEHOLD_PLACE"
    ADDRESS = "ADDRESS"
    PHONE = "PHONE"


KEY_FIELDS = frozenset({DossierField.NAME, DossierField.FORMER_NAME, DossierField.SEX, DossierField.BIRTH_DATE, DossierField.ID_NUMBER})
# Personal identifiers and contact data (Art. 24): masked for whoever may not read them.
PERSONAL_FIELDS = frozenset({DossierField.ID_NUMBER, DossierField.ADDRESS, DossierField.PHONE})


class FollowUpKind(StrEnum):
    """The business that resolves a discrepancy."""

    CASE = "CASE"  # a status case (openCase): a dropout report, a transfer, …
    CORRECTION = "CORRECTION"  # an Art. 10 correction request (requestCorrection)
    DOSSIER_UPDATE = "DOSSIER_UPDATE"  # the dossier updated by the school (updateDossier)
    ENROLMENT = "ENROLMENT"  # a dossier established for the child (enrollStudent, Art. 5, 6)


@dataclass(frozen=True)
class ReportedChild:
    """A child who attends without a dossier, as the school reports it."""

    name: str
    sex: Sex
    birth_date: date
    id_document: IdDocument | None = None
    enrolled_at: str | None = None  # the school holding the child's status elsewhere, found by the identity


@dataclass(frozen=True)
class Resolution:
    """How a discrepancy stopped being open: withdrawn, linked to its business, or waived."""

    state: DiscrepancyState
    by: str
    role: str
    at: datetime
    business_kind: FollowUpKind | None = None
    business_id: str | None = None  # the case or correction id, or the student number
    business_version: int | None = None  # the dossier's version that carries a dossier update
    reason: str | None = None


@dataclass(frozen=True)
class Discrepancy:
    id: str  # "<result id>:<n>", n counting the school's discrepancies in this campaign
    kind: DiscrepancyKind
    raised_by: str
    raised_at: datetime
    dossier_id: str | None = None  # LEFT_WITHOUT_CHANGE and DATA_WRONG: the roster's student
    number: str | None = None
    field: DossierField | None = None  # DATA_WRONG
    recorded_value: str | None = None
    correct_value: str | None = None
    child: ReportedChild | None = None  # PRESENT_WITHOUT_DOSSIER
    note: str | None = None
    resolution: Resolution | None = None

    @property
    def state(self) -> DiscrepancyState:
        return DiscrepancyState.OPEN if self.resolution is None else self.resolution.state


@dataclass(frozen=True)
class ResultEvent:
    """A step of a school's result: who did it, when, with what comment."""

    at: datetime
    actor: str
    role: str
    action: str  # SCHOOL_CONFIRMED, DEPARTMENT_CONFIRMED, RETURNED, ESCALATED, CLOSED
    comment: str | None = None


@dataclass(frozen=True)
class RosterEntry:
    """A student on the roster as the school confirmed it."""

    dossier_id: str
    number: str
    version: int
    state: StudentState


@dataclass(frozen=True)
class SchoolResult:
    """One school's part of a campaign. Its discrepancies live in it, so that confirming,
    deciding and flagging claim the same versions and never cross."""

    id: str  # "<campaign id>:<school code>"
    campaign_id: str
    term_code: str
    school_code: str
    department_code: str
    state: ResultState
    due: date | None  # of the current step; None once the department confirmed or the campaign closed
    department_due: date | None = None  # the campaign's date for the department's decisions
    escalated_to: str | None = None  # the level above the overdue party (the current step only)
    closed: bool = False
    roster_size: int | None = None  # the roster the school confirmed last
    roster_digest: str | None = None
    discrepancies: tuple[Discrepancy, ...] = ()
    events: tuple[ResultEvent, ...] = ()
    version: int = 1

    def discrepancy(self, discrepancy_id: str) -> Discrepancy | None:
        return next((d for d in self.discrepancies if d.id == discrepancy_id), None)

    def last(self, action: str) -> ResultEvent | None:
        return next((e for e in reversed(self.events) if e.action == action), None)


@dataclass(frozen=True)
class Campaign:
    id: str  # "<term code>:<department area code>": one per term and department
    term_code: str
    department_code: str
    school_codes: tuple[str, ...]  # the schools it supervised when the campaign opened
    schools_due: date
    department_due: date
    state: CampaignState
    opened_by: str
    opened_at: datetime
    closed_by: str | None = None
    closed_at: datetime | None = None
    close_note: str | None = None
    version: int = 1


def campaign_id(term_code: str, department_code: str) -> str:
    return f"{term_code}:{department_code}"


def result_id(campaign: str, school_code: str) -> str:
    return f"{campaign}:{school_code}"


def result_of_discrepancy(discrepancy_id: str) -> str:
    """The result a discrepancy id belongs to (its id without the last part)."""
    return discrepancy_id.rpartition(":")[0]


def campaign_of_result(result: str) -> str:
    return result.rpartition(":")[0]
