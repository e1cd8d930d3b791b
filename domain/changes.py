"""The change feed and as-of reads of dossiers (Art. 20, R-D5): the words they use.

- Every change of record to a dossier (Art. 6(1)) is one entry of the feed, of one kind:
  created (Art. 5, 6), basic data edited, verified or returned (核准, Art. 6), key data
  corrected (Art. 10), status changed (Art. 11-16) or, as a status change that moves the
  status, school changed (Art. 11, 12, 18). A change that gives the student another number
  (a temporary `L` number replaced by the `G` number, Art. 7) is also a key change: whoever
  keeps copies keyed by the number re-keys them (Ed-Fi's "key changes"). Nothing is ever
  deleted (Art. 14: no expulsion; a death is a status change), so there are no deletes.
- A change is seen in the feed of every scope that held or hosted the student just before
  or just after it: the sending school and its departments see the transfer out, the
  receiving ones the transfer in and what follows (Art. 18, 20). A school that only keeps
  a copy after a transfer (Art. 19) does not follow the student's later changes.
- "As of a day" means at the end of that calendar day in China (China Standard Time,
  UTC+8, without daylight saving since 1991): the last version of the dossier recorded
  before the next day began there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from typing import Any

CHINA = timezone(timedelta(hours=8), "CST")


class DossierChangeKind(Enum):
    CREATED = "CREATED"
    BASIC_DATA = "BASIC_DATA"
    VERIFICATION = "VERIFICATION"
    KEY_DATA_CORRECTION = "KEY_DATA_CORRECTION"
    STATUS = "STATUS"
    SCHOOL = "SCHOOL"
    OTHER = "OTHER"


_BY_ACTION = {
    "ENROLLED": DossierChangeKind.CREATED,
    "UPDATED": DossierChangeKind.BASIC_DATA,
    "VERIFIED": DossierChangeKind.VERIFICATION,
    "RETURNED": DossierChangeKind.VERIFICATION,
    "CORRECTED": DossierChangeKind.KEY_DATA_CORRECTION,
}
STATUS_PREFIX = "STATUS:"


def change_kind(action: str, fields: Iterable[str]) -> DossierChangeKind:
    """The kind of a change of record, from its action and the fields it changed."""
    if action.startswith(STATUS_PREFIX):
        return DossierChangeKind.SCHOOL if "school" in set(fields) else DossierChangeKind.STATUS
    return _BY_ACTION.get(action, DossierChangeKind.OTHER)


def number_change(changes: Mapping[str, tuple[Any, Any]]) -> tuple[str, str] | None:
    """(old, new) student number when the change gave the dossier another number."""
    pair = changes.get("number")
    if pair is None or pair[0] == pair[1] or not pair[0] or not pair[1]:
        return None
    return str(pair[0]), str(pair[1])


def end_of_day(day: date) -> datetime:
    """The first instant after `day` in China: versions recorded before it are as of `day`."""
    return datetime.combine(day + timedelta(days=1), time(), CHINA)


def today_in_china(now: datetime) -> date:
    return now.astimezone(CHINA).date()
