"""Discrepancies a school flags while re-verifying its roster (Art. 23), and how each is
resolved.

- LEFT_WITHOUT_CHANGE: a student recorded as attending no longer attends and no change was
  recorded (Art. 26(3), (4): changes and dropouts reported late). Resolved by a status case
  about that student that accounts for the absence (a dropout report, a transfer, …).
- PRESENT_WITHOUT_DOSSIER: a child attends without a dossier here (Art. 26(1): 不为已接收学生
  建立学籍档案; (5) when the status is elsewhere). Resolved by establishing a dossier here
  (Art. 5, 6), or by a transfer or placement case bringing the status here.
- DATA_WRONG: a field of the dossier is wrong. Resolved by an Art. 10 correction of that
  field or, where the school may change it itself, by a dossier update that changed it.

Open discrepancies of a result the department confirmed are tasks; a task ends when its
business is linked (the link is recorded) or the department waives it with a reason."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime

from domain import codes
from domain.accounts import Account
from domain.dossier import Dossier, StudentState, normalised_class_name
from domain.error_codes import declared
from domain.errors import DomainError, NotFound
from domain.identity import Sex, check_agrees
from domain.reverification.campaigns import RESULT_OPEN_CODES, on_roster, require_changeable
from domain.reverification.records import (
    KEY_FIELDS,
    Discrepancy,
    DiscrepancyKind,
    DiscrepancyState,
    DossierField,
    FollowUpKind,
    ReportedChild,
    Resolution,
    ResultState,
    SchoolResult,
)
from domain.text import ONE_LINE, SHORT, ascii_pattern, clean_text, identifier
from domain.workflows.engine import CaseKind

# Status cases that account for a student no longer attending (Art. 11-16).
LEAVING_CASES = frozenset(
    {
        CaseKind.TRANSFER,
        CaseKind.DROPOUT_REPORT,
        CaseKind.SUSPENSION,
        CaseKind.ABROAD,
        CaseKind.SPECIAL_PLACEMENT,
        CaseKind.DEATH,
        CaseKind.MISSING_REPORT,
    }
)
# Status cases that bring a child's status (held elsewhere) to the school it attends.
ARRIVING_CASES = frozenset({CaseKind.TRANSFER, CaseKind.SPECIAL_PLACEMENT})
# The correction field (`CorrectionChanges`) that carries each key field.
CORRECTION_FIELDS = {
    DossierField.NAME: "name",
    DossierField.FORMER_NAME: "former_name",
    DossierField.SEX: "sex",
    DossierField.BIRTH_DATE: "birth_date",
    DossierField.ID_NUMBER: "id_document",
}

_DIVISION = ascii_pattern(r"[1-9][0-9]{5}")
_PHONE = ascii_pattern(r"[0-9+\- ]{5,20}")
_DOCUMENT_NUMBER = ascii_pattern(r"[0-9A-Z]{5,20}")
VALUE_FIELD = "dataWrong.correctValue"


def recorded_value(dossier: Dossier, field: DossierField) -> str | None:
    """The dossier's value of a field, as text (codes as codes, dates ISO 8601, sex by name)."""
    b = dossier.basic
    values: dict[DossierField, str | None] = {
        DossierField.NAME: b.name,
        DossierField.FORMER_NAME: b.former_name,
        DossierField.SEX: b.sex.name,
        DossierField.BIRTH_DATE: b.birth_date.isoformat(),
        DossierField.ID_NUMBER: dossier.id_document.number,
        DossierField.CLASS_NAME: dossier.status.class_name,
        DossierField.ETHNICITY: b.ethnicity,
        DossierField.HOUSEHOLD_PLACE: b.household_place,
        DossierField.ADDRESS: b.address,
        DossierField.PHONE: b.phone,
    }
    return values[field]


VALUE_CODES = declared("INVALID_VALUE", "INVALID_CODE")  # `correct_value`


def correct_value(field: DossierField, value: str, today: date) -> str:
    """The value the school says is right, in the spelling `recorded_value` uses; refused
    when it cannot be a value of that field."""
    if field in (DossierField.NAME, DossierField.FORMER_NAME):
        text = clean_text(VALUE_FIELD, value, max_length=SHORT)
    elif field is DossierField.ADDRESS:
        text = clean_text(VALUE_FIELD, value, max_length=ONE_LINE)
    elif field is DossierField.CLASS_NAME:
        text = normalised_class_name(value, VALUE_FIELD)
    elif field is DossierField.SEX:
        text = identifier(value)
        if text not in Sex.__members__:
            raise DomainError(VALUE_FIELD, "MALE or FEMALE", "INVALID_VALUE")
    elif field is DossierField.BIRTH_DATE:
        try:
            born = date.fromisoformat(identifier(value))
        except ValueError:
            raise DomainError(VALUE_FIELD, "a date as 2019-09-01", "INVALID_VALUE") from None
        if born > today:
            raise DomainError(VALUE_FIELD, "the birth date is in the future", "INVALID_VALUE")
        text = born.isoformat()
    elif field is DossierField.ETHNICITY:
        text = identifier(value)
        codes.ETHNICITY.check(VALUE_FIELD, text)
    else:
        pattern = {DossierField.HOUSEHOLD_PLACE: _DIVISION, DossierField.PHONE: _PHONE, DossierField.ID_NUMBER: _DOCUMENT_NUMBER}[field]
        text = identifier(value)
        if not pattern.fullmatch(text):
            raise DomainError(VALUE_FIELD, f"not a value of {field.value}", "INVALID_VALUE")
    if not text:
        raise DomainError(VALUE_FIELD, "give the correct value", "INVALID_VALUE")
    return text


def expected_follow_ups(d: Discrepancy) -> tuple[FollowUpKind, ...]:
    """The kinds of business that resolve a discrepancy."""
    if d.kind is DiscrepancyKind.LEFT_WITHOUT_CHANGE:
        return (FollowUpKind.CASE,)
    if d.kind is DiscrepancyKind.DATA_WRONG:
        if d.field in KEY_FIELDS:
            return (FollowUpKind.CORRECTION, FollowUpKind.DOSSIER_UPDATE)
        return (FollowUpKind.DOSSIER_UPDATE,)
    assert d.child is not None
    if d.child.enrolled_at is not None:
        return (FollowUpKind.CASE,)  # the status is elsewhere: a transfer or placement brings it
    if d.child.id_document is not None and d.child.id_document.key is not None:
        return (FollowUpKind.ENROLMENT,)  # nobody holds this identity: a dossier is established
    return (FollowUpKind.ENROLMENT, FollowUpKind.CASE)


def is_task(result: SchoolResult, d: Discrepancy) -> bool:
    return d.state is DiscrepancyState.OPEN and result.state is ResultState.DEPARTMENT_CONFIRMED


def _same(a: Discrepancy, b: Discrepancy) -> bool:
    if a.kind is not b.kind or b.state is DiscrepancyState.WITHDRAWN:
        return False
    if a.kind is DiscrepancyKind.PRESENT_WITHOUT_DOSSIER:
        return child_key(a) == child_key(b)
    return a.dossier_id == b.dossier_id and a.field == b.field


def child_key(d: Discrepancy) -> str | None:
    """One child, one report: by identity when given, else by name, birth date and sex."""
    c = d.child
    if c is None:
        return None
    if c.id_document is not None and c.id_document.key is not None:
        return c.id_document.key
    return hashlib.sha256(f"{c.name}|{c.birth_date.isoformat()}|{c.sex.value}".encode()).hexdigest()


RAISE_CODES = declared(*RESULT_OPEN_CODES, "ALREADY_RAISED")  # `_add`


def _add(result: SchoolResult, d: Discrepancy) -> SchoolResult:
    require_changeable(result)
    if any(_same(d, other) for other in result.discrepancies):
        raise DomainError(None, "this discrepancy is raised already", "ALREADY_RAISED")
    return replace(result, discrepancies=(*result.discrepancies, replace(d, id=f"{result.id}:{len(result.discrepancies) + 1}")))


def _on_roster(result: SchoolResult, dossier: Dossier) -> None:
    if not on_roster(dossier, result.school_code):
        raise DomainError("number", "the student is not on this school's roster", "NOT_ON_ROSTER")


LEFT_CODES = declared(*RAISE_CODES, "NOT_ON_ROSTER", "WRONG_STATE")  # `raise_left_without_change`


def raise_left_without_change(
    result: SchoolResult, dossier: Dossier, account: Account, *, now: datetime, note: str | None
) -> SchoolResult:
    _on_roster(result, dossier)
    if dossier.status.state is not StudentState.ENROLLED:
        raise DomainError(
            "number", f"the student is recorded as {dossier.status.state.value}: the absence is on record", "WRONG_STATE"
        )
    d = Discrepancy("", DiscrepancyKind.LEFT_WITHOUT_CHANGE, account.login, now, dossier.id, dossier.number, note=note)
    return _add(result, d)


DATA_CODES = declared(*RAISE_CODES, "NOT_ON_ROSTER", "NOTHING_TO_CHANGE", *VALUE_CODES)  # `raise_data_wrong`


def raise_data_wrong(
    result: SchoolResult,
    dossier: Dossier,
    field: DossierField,
    value: str,
    account: Account,
    *,
    now: datetime,
    note: str | None,
) -> SchoolResult:
    _on_roster(result, dossier)
    recorded = recorded_value(dossier, field)
    correct = correct_value(field, value, now.date())
    if correct == recorded:
        raise DomainError(VALUE_FIELD, "the dossier already has this value", "NOTHING_TO_CHANGE")
    d = Discrepancy(
        "", DiscrepancyKind.DATA_WRONG, account.login, now, dossier.id, dossier.number,
        field=field, recorded_value=recorded, correct_value=correct, note=note,
    )
    return _add(result, d)


PRESENT_CODES = declared(*RAISE_CODES, "HAS_DOSSIER", "INVALID_VALUE", "ID_BIRTH_DATE_MISMATCH", "ID_SEX_MISMATCH")


def raise_present_without_dossier(
    result: SchoolResult,
    child: ReportedChild,
    holder: Dossier | None,
    account: Account,
    *,
    now: datetime,
    note: str | None,
) -> SchoolResult:
    """`holder`: the dossier that holds the child's identity, if the school gave an
    identity document that has one."""
    if child.birth_date > now.date():
        raise DomainError("presentWithoutDossier.birthDate", "the birth date is in the future", "INVALID_VALUE")
    if child.id_document is not None:
        check_agrees(child.id_document, child.birth_date, child.sex)
    enrolled_at = None
    if holder is not None:
        if result.school_code in (holder.status.school_code, holder.attending_school_code):
            raise DomainError(
                "presentWithoutDossier.idDocument", f"the child has a dossier here already ({holder.number})", "HAS_DOSSIER"
            )
        enrolled_at = holder.status.school_code
    d = Discrepancy(
        "", DiscrepancyKind.PRESENT_WITHOUT_DOSSIER, account.login, now,
        child=replace(child, enrolled_at=enrolled_at), note=note,
    )
    return _add(result, d)


def _resolve(result: SchoolResult, discrepancy_id: str, resolution: Resolution) -> SchoolResult:
    return replace(
        result,
        discrepancies=tuple(replace(d, resolution=resolution) if d.id == discrepancy_id else d for d in result.discrepancies),
    )


FIND_CODES = declared("NOT_FOUND")  # `_find`


def _find(result: SchoolResult, discrepancy_id: str) -> Discrepancy:
    found = result.discrepancy(discrepancy_id)
    if found is None:
        raise NotFound("id", "discrepancy")
    return found


WITHDRAW_CODES = declared(*FIND_CODES, *RESULT_OPEN_CODES, "ALREADY_RESOLVED")  # `withdraw`


def withdraw(result: SchoolResult, discrepancy_id: str, account: Account, *, now: datetime) -> SchoolResult:
    """The school takes back a discrepancy while its result is still its own to change."""
    d = _find(result, discrepancy_id)
    require_changeable(result)
    if d.state is not DiscrepancyState.OPEN:
        raise DomainError("id", f"the discrepancy is {d.state.value.lower()}", "ALREADY_RESOLVED")
    return _resolve(result, d.id, Resolution(DiscrepancyState.WITHDRAWN, account.login, account.role.value, now))


TASK_CODES = declared(*FIND_CODES, "ALREADY_RESOLVED", "NOT_YET_A_TASK")  # `require_task`


def require_task(result: SchoolResult, discrepancy_id: str) -> Discrepancy:
    """The open discrepancy of a result the department confirmed: a task."""
    d = _find(result, discrepancy_id)
    if d.state is not DiscrepancyState.OPEN:
        raise DomainError("id", f"the discrepancy is {d.state.value.lower()}", "ALREADY_RESOLVED")
    if result.state is not ResultState.DEPARTMENT_CONFIRMED:
        raise DomainError("id", "the department has not confirmed the school's result yet", "NOT_YET_A_TASK")
    return d


@dataclass(frozen=True)
class FollowUp:
    """A business offered to resolve a discrepancy, as the stores know it."""

    kind: FollowUpKind
    id: str  # the case or correction id, or the student number
    dossier: Dossier  # the student it concerns, as the dossier now is
    ended_without_effect: bool = False  # rejected or withdrawn
    case_kind: CaseKind | None = None
    target_school: str | None = None  # the school a transfer or placement brings the status to
    fields: frozenset[str] = frozenset()  # what a correction changes (`CorrectionChanges` names)


def _wrong(message: str) -> DomainError:
    return DomainError("businessId", message, "WRONG_FOLLOW_UP")


def _matches_child(child: ReportedChild, dossier: Dossier) -> bool:
    b = dossier.basic
    same = (b.name, b.sex, b.birth_date) == (child.name, child.sex, child.birth_date)
    if child.id_document is not None and child.id_document.number is not None:
        same = same and dossier.id_document.key == child.id_document.key
    return same


KIND_CODES = declared("WRONG_FOLLOW_UP")  # `require_fitting_kind`


def require_fitting_kind(d: Discrepancy, kind: FollowUpKind) -> None:
    allowed = expected_follow_ups(d)
    if kind not in allowed:
        raise _wrong(f"a {d.kind.value} discrepancy is resolved by {' or '.join(k.value for k in allowed)}")


def _check_follow_up(result: SchoolResult, d: Discrepancy, f: FollowUp, opened_at: datetime) -> None:
    require_fitting_kind(d, f.kind)
    if f.ended_without_effect:
        raise _wrong("that business was rejected or withdrawn")
    if d.kind is DiscrepancyKind.PRESENT_WITHOUT_DOSSIER:
        assert d.child is not None
        if not _matches_child(d.child, f.dossier):
            raise _wrong("that dossier is not of the reported child (name, sex, birth date, identity)")
        if f.kind is FollowUpKind.ENROLMENT:
            created = f.dossier.created_at
            if f.dossier.status.school_code != result.school_code or created is None or created < opened_at:
                raise _wrong("that dossier was not established at this school during the re-verification")
        elif f.case_kind not in ARRIVING_CASES or f.target_school != result.school_code:
            raise _wrong("only a transfer or placement to this school brings the child's status here")
        return
    if f.dossier.id != d.dossier_id:
        raise _wrong("that business concerns another student")
    if d.kind is DiscrepancyKind.LEFT_WITHOUT_CHANGE:
        if f.case_kind not in LEAVING_CASES:
            raise _wrong(f"a {f.case_kind.value if f.case_kind else 'business'} case does not account for a student who left")
        return
    assert d.field is not None
    if f.kind is FollowUpKind.CORRECTION and CORRECTION_FIELDS[d.field] not in f.fields:
        raise _wrong(f"that correction does not change {d.field.value}")
    if f.kind is FollowUpKind.DOSSIER_UPDATE and recorded_value(f.dossier, d.field) == d.recorded_value:
        raise _wrong(f"the dossier's {d.field.value} is still the value flagged as wrong")


LINK_CODES = declared(*TASK_CODES, "WRONG_FOLLOW_UP")  # `link`


def link(
    result: SchoolResult, discrepancy_id: str, follow_up: FollowUp, account: Account, *, now: datetime, opened_at: datetime
) -> SchoolResult:
    """Resolve a task by the business opened for it, recording the link. `opened_at`: when
    the campaign opened (a dossier established before it was on the roster already)."""
    d = require_task(result, discrepancy_id)
    _check_follow_up(result, d, follow_up, opened_at)
    version = follow_up.dossier.version if follow_up.kind is FollowUpKind.DOSSIER_UPDATE else None
    resolution = Resolution(
        DiscrepancyState.LINKED, account.login, account.role.value, now,
        business_kind=follow_up.kind, business_id=follow_up.id, business_version=version,
    )
    return _resolve(result, d.id, resolution)


WAIVE_CODES = declared(*TASK_CODES, "REASON_REQUIRED")  # `waive`


def waive(result: SchoolResult, discrepancy_id: str, account: Account, *, now: datetime, reason: str | None) -> SchoolResult:
    """The department ends a task that needs no business (the child was found to have a
    dossier, the student came back, …), saying why."""
    d = require_task(result, discrepancy_id)
    if not (reason or "").strip():
        raise DomainError("reason", "say why the discrepancy needs no business", "REASON_REQUIRED")
    return _resolve(result, d.id, Resolution(DiscrepancyState.WAIVED, account.login, account.role.value, now, reason=reason))
