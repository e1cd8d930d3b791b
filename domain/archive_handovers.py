"""The archive handover after a transfer (Art. 18, 19; R-D2, R-D3).

When a transfer completes, the sending school hands the student's archive (学籍档案) over
to the receiving school "在1个月内办结" (Art. 18): within one calendar month of the transfer
date, and when that day is not a working day, on the next working day. The receiving
school acknowledges receipt and continues the same dossier. The sending school keeps an
electronic copy as of the transfer, read-only, and copies of the necessary paper files,
recording where they are (Art. 19: 保留电子档案备份，同时保留必要的纸质档案复印件).

States: OPEN (waiting for the sender) → HANDED_OVER (sent, waiting for the receiver) →
RECEIVED. An OPEN handover past its deadline is overdue and goes once to the sending
school's supervising department (Art. 25: the level above sees to it)."""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from domain.accounts import Account
from domain.calendar import Deadline, WorkingCalendar
from domain.error_codes import declared
from domain.errors import DomainError
from domain.text import ONE_LINE, MULTI_LINE, optional_text, required_text


class HandoverState(StrEnum):
    OPEN = "OPEN"
    HANDED_OVER = "HANDED_OVER"
    RECEIVED = "RECEIVED"


class ArchivePart(StrEnum):
    """What a handover sends: the electronic dossier (moved by the system, Art. 17), the
    paper file (纸质档案, Art. 9) and, where there are any, the scanned evidence's originals."""

    ELECTRONIC_DOSSIER = "ELECTRONIC_DOSSIER"
    PAPER_FILE = "PAPER_FILE"
    EVIDENCE_ORIGINALS = "EVIDENCE_ORIGINALS"


REQUIRED_PARTS = (ArchivePart.ELECTRONIC_DOSSIER, ArchivePart.PAPER_FILE)
MAX_PAPER_COPIES = 50


@dataclass(frozen=True)
class PaperCopy:
    """A paper copy the sending school keeps (Art. 19): what it is and where it is kept."""

    item: str
    location: str


@dataclass(frozen=True)
class HandoverEvent:
    at: datetime
    actor: str
    role: str
    action: str  # OPENED, HANDED_OVER, RECEIVED, PAPER_COPIES_RECORDED, ESCALATED
    comment: str | None = None


@dataclass(frozen=True)
class ArchiveHandover:
    id: str  # the transfer case's id: one handover per transfer
    case_id: str
    dossier_id: str
    number: str  # the student number at the transfer
    sending_school_code: str
    sending_supervisor_code: str
    receiving_school_code: str
    receiving_supervisor_code: str
    transferred_at: datetime  # when the transfer's version of the dossier was recorded
    transfer_date: date  # that moment's day in China
    dossier_version: int  # the dossier's version written by the transfer: the sender's copy
    due: date
    due_provisional: bool
    state: HandoverState = HandoverState.OPEN
    sent: tuple[ArchivePart, ...] = ()
    handed_over_at: datetime | None = None
    handed_over_by: str | None = None
    handover_note: str | None = None
    received_at: datetime | None = None
    received_by: str | None = None
    paper_copies: tuple[PaperCopy, ...] = ()
    escalated_to: str | None = None
    events: tuple[HandoverEvent, ...] = ()
    version: int = 1


def one_month_after(day: date) -> date:
    """The same day of the next month; the month's last day when it has no such day
    (31 January → 28 or 29 February)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, months.monthrange(year, month)[1]))


def handover_deadline(transfer_date: date, calendar: WorkingCalendar) -> Deadline:
    """Art. 18 "在1个月内办结": one calendar month from the transfer date; a deadline that
    falls on a day off (a weekend, a statutory holiday) moves to the next working day.
    Provisional when a day it depends on lies in a year without a published schedule."""
    day = one_month_after(transfer_date)
    provisional = not calendar.schedule(day.year).published
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
        provisional = provisional or not calendar.schedule(day.year).published
    return Deadline(day, provisional)


def is_overdue(h: ArchiveHandover, today: date) -> bool:
    """Not handed over, and the deadline has passed."""
    return h.state is HandoverState.OPEN and today > h.due


def was_late(h: ArchiveHandover, today: date, handed_over_day: date | None) -> bool:
    """Not handed over in time: handed over after the deadline, or still not by today
    although the deadline has passed (`handed_over_day`: the hand-over's day in China)."""
    if handed_over_day is not None:
        return handed_over_day > h.due
    return today > h.due


HAND_OVER_CODES = declared("ALREADY_HANDED_OVER", "INCOMPLETE_HANDOVER", "INVALID_VALUE")


def hand_over(
    h: ArchiveHandover, account: Account, parts: tuple[ArchivePart, ...], note: str | None, now: datetime
) -> ArchiveHandover:
    """The sending school records that it sent the archive: the electronic dossier and the
    paper file at least (Art. 18, 19)."""
    if h.state is not HandoverState.OPEN:
        raise DomainError("id", "the archive was handed over already", "ALREADY_HANDED_OVER")
    missing = [p.value for p in REQUIRED_PARTS if p not in parts]
    if missing:
        raise DomainError(
            "parts", f"a handover sends the whole archive (Art. 18): {', '.join(missing)} missing", "INCOMPLETE_HANDOVER"
        )
    comment = note_of(note)
    sent = tuple(p for p in ArchivePart if p in parts)
    event = HandoverEvent(now, account.login, account.role.value, "HANDED_OVER", comment)
    return replace(
        h,
        state=HandoverState.HANDED_OVER,
        sent=sent,
        handed_over_at=now,
        handed_over_by=account.login,
        handover_note=comment,
        events=(*h.events, event),
    )


ACKNOWLEDGE_CODES = declared("NOT_HANDED_OVER", "ALREADY_RECEIVED", "INVALID_VALUE")


def acknowledge(h: ArchiveHandover, account: Account, note: str | None, now: datetime) -> ArchiveHandover:
    """The receiving school confirms that the archive arrived; it continues the dossier on
    that basis (Art. 18)."""
    if h.state is HandoverState.RECEIVED:
        raise DomainError("id", "the receipt of this archive is acknowledged already", "ALREADY_RECEIVED")
    if h.state is not HandoverState.HANDED_OVER:
        raise DomainError("id", "the sending school has not handed the archive over yet", "NOT_HANDED_OVER")
    comment = note_of(note)
    event = HandoverEvent(now, account.login, account.role.value, "RECEIVED", comment)
    return replace(h, state=HandoverState.RECEIVED, received_at=now, received_by=account.login, events=(*h.events, event))


def note_of(note: str | None) -> str | None:
    """A hand-over's or a receipt's note, checked as free text (multi-line)."""
    return optional_text("note", note, max_length=MULTI_LINE, multi_line=True)


def paper_copies_of(copies: tuple[tuple[str, str], ...]) -> tuple[PaperCopy, ...]:
    """The paper copies listed, each item and place checked as one-line text."""
    if not copies:
        raise DomainError("copies", "list at least one copy kept, with where it is", "INVALID_VALUE")
    if len(copies) > MAX_PAPER_COPIES:
        raise DomainError("copies", f"at most {MAX_PAPER_COPIES} copies", "INVALID_VALUE")
    return tuple(
        PaperCopy(
            required_text(f"copies.{i}.item", item, max_length=ONE_LINE),
            required_text(f"copies.{i}.location", location, max_length=ONE_LINE),
        )
        for i, (item, location) in enumerate(copies)
    )


PAPER_COPY_CODES = declared("INVALID_VALUE", "NOTHING_TO_CHANGE")


def record_paper_copies(
    h: ArchiveHandover, account: Account, copies: tuple[tuple[str, str], ...], now: datetime
) -> ArchiveHandover:
    """The paper copies the sending school keeps, and where (Art. 19); the list given
    replaces the one recorded before."""
    kept = paper_copies_of(copies)
    if kept == h.paper_copies:
        raise DomainError("copies", "these are the copies recorded already", "NOTHING_TO_CHANGE")
    event = HandoverEvent(now, account.login, account.role.value, "PAPER_COPIES_RECORDED", f"{len(kept)} copies")
    return replace(h, paper_copies=kept, events=(*h.events, event))


def escalate(h: ArchiveHandover, now: datetime, today: date) -> ArchiveHandover | None:
    """An overdue handover goes to the sending school's supervising department, once
    (idempotent: None when there is nothing to do)."""
    if h.escalated_to is not None or not is_overdue(h, today):
        return None
    target = h.sending_supervisor_code
    event = HandoverEvent(now, "system", "SYSTEM", "ESCALATED", f"overdue since {h.due.isoformat()}; escalated to {target}")
    return replace(h, escalated_to=target, events=(*h.events, event))
