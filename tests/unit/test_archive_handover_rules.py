"""The rules of the archive handover after a transfer (Art. 18, 19), without I/O: the
one-month deadline on the working-day calendar, the states, who may do what, escalation,
and what counts as late."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from domain import archive_handovers as rules
from domain.access import may_see_archive_handover, require_handover_receiver, require_handover_sender
from domain.accounts import Account, Role
from domain.archive_handovers import ArchiveHandover, ArchivePart, HandoverState
from domain.calendar import WorkingCalendar, YearSchedule
from domain.errors import DomainError
from domain.jurisdiction import Ownership, School, SchoolKind

CAL = WorkingCalendar()
SENDER = School("2141010501", "纬五路", SchoolKind.PRIMARY, Ownership.PUBLIC, "410105", "410105")
RECEIVER = School("2141010201", "伏牛路", SchoolKind.PRIMARY, Ownership.PUBLIC, "410102", "410102")
ELSEWHERE = School("2141030201", "西关", SchoolKind.PRIMARY, Ownership.PUBLIC, "410302", "410302")
SENDING_REGISTRAR = Account("weiwu.registrar", "纬五路", Role.SCHOOL_REGISTRAR, SENDER.code, date(2026, 1, 1))
RECEIVING_REGISTRAR = Account("funiu.registrar", "伏牛路", Role.SCHOOL_REGISTRAR, RECEIVER.code, date(2026, 1, 1))
NOW = datetime(2026, 10, 9, 9, tzinfo=UTC)


def code(e: pytest.ExceptionInfo[DomainError]) -> str:
    return e.value.code


def handover(**over: object) -> ArchiveHandover:
    base = ArchiveHandover(
        id="case-1", case_id="case-1", dossier_id="G1", number="G1", sending_school_code=SENDER.code,
        sending_supervisor_code="410105", receiving_school_code=RECEIVER.code, receiving_supervisor_code="410102",
        transferred_at=datetime(2026, 9, 1, 2, tzinfo=UTC), transfer_date=date(2026, 9, 1), dossier_version=5,
        due=date(2026, 10, 9), due_provisional=False,
    )
    return replace(base, **over)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("transferred", "due"),
    [
        (date(2025, 12, 15), date(2026, 1, 15)),  # a working day: one calendar month exactly
        (date(2025, 9, 1), date(2025, 10, 9)),  # 1 October lies in the National Day holiday (1-8 October 2025)
        (date(2026, 1, 17), date(2026, 2, 24)),  # 17 February 2026 lies in the Spring Festival (15-23 February)
        (date(2025, 2, 1), date(2025, 3, 3)),  # 1 March 2025 is a Saturday: the Monday after
        (date(2025, 8, 28), date(2025, 9, 28)),  # 28 September 2025 is a Sunday worked instead (调休): that day
        (date(2025, 1, 31), date(2025, 2, 28)),  # no 31 February: the month's last day
        (date(2024, 1, 31), date(2024, 2, 29)),  # a leap year
        (date(2025, 12, 31), date(2026, 2, 2)),  # 31 January 2026 is a Saturday
    ],
)
def test_the_deadline_is_one_calendar_month_then_the_next_working_day(transferred: date, due: date) -> None:
    found = rules.handover_deadline(transferred, CAL)
    assert found.due == due and not found.provisional


def test_an_unpublished_year_makes_the_deadline_provisional_and_an_override_moves_it() -> None:
    assert rules.handover_deadline(date(2099, 3, 3), CAL).provisional
    # the admin publishes 2099 with 3 April as a day off: the deadline moves and is firm
    published = WorkingCalendar([YearSchedule(2099, frozenset({date(2099, 4, 3)}), frozenset(), True, "override")])
    found = rules.handover_deadline(date(2099, 3, 3), published)
    assert found.due == date(2099, 4, 6) and not found.provisional  # 3 April a Friday off, then the weekend


def test_handed_over_then_received_in_that_order_once_each() -> None:
    h = handover()
    with pytest.raises(DomainError) as refused:
        rules.acknowledge(h, RECEIVING_REGISTRAR, None, NOW)
    assert code(refused) == "NOT_HANDED_OVER"
    with pytest.raises(DomainError) as refused:
        rules.hand_over(h, SENDING_REGISTRAR, (ArchivePart.ELECTRONIC_DOSSIER,), None, NOW)
    assert code(refused) == "INCOMPLETE_HANDOVER" and "PAPER_FILE" in refused.value.message
    sent = rules.hand_over(h, SENDING_REGISTRAR, (ArchivePart.PAPER_FILE, ArchivePart.ELECTRONIC_DOSSIER), " 专人送达 ", NOW)
    assert sent.state is HandoverState.HANDED_OVER and sent.handover_note == "专人送达" and sent.handed_over_by == "weiwu.registrar"
    assert sent.sent == (ArchivePart.ELECTRONIC_DOSSIER, ArchivePart.PAPER_FILE)
    with pytest.raises(DomainError) as refused:
        rules.hand_over(sent, SENDING_REGISTRAR, tuple(ArchivePart), None, NOW)
    assert code(refused) == "ALREADY_HANDED_OVER"
    received = rules.acknowledge(sent, RECEIVING_REGISTRAR, None, NOW)
    assert received.state is HandoverState.RECEIVED and received.received_by == "funiu.registrar"
    with pytest.raises(DomainError) as refused:
        rules.acknowledge(received, RECEIVING_REGISTRAR, None, NOW)
    assert code(refused) == "ALREADY_RECEIVED"
    assert [e.action for e in received.events] == ["HANDED_OVER", "RECEIVED"]


def test_paper_copies_are_checked_text_and_replace_the_list() -> None:
    h = handover()
    for bad in ((), (("学籍卡复印件", " "),), (("学籍卡\n复印件", "档案室"),), tuple(("x", "y") for _ in range(51))):
        with pytest.raises(DomainError) as refused:
            rules.record_paper_copies(h, SENDING_REGISTRAR, bad, NOW)
        assert code(refused) == "INVALID_VALUE"
    kept = rules.record_paper_copies(h, SENDING_REGISTRAR, (("学籍卡复印件", "档案室 3 号柜"),), NOW)
    assert kept.paper_copies == (rules.PaperCopy("学籍卡复印件", "档案室 3 号柜"),)
    with pytest.raises(DomainError) as refused:
        rules.record_paper_copies(kept, SENDING_REGISTRAR, (("学籍卡复印件", "档案室 3 号柜"),), NOW)
    assert code(refused) == "NOTHING_TO_CHANGE"


def test_only_the_sending_registrar_sends_and_only_the_receiving_one_acknowledges() -> None:
    require_handover_sender(SENDING_REGISTRAR, SENDER)
    require_handover_receiver(RECEIVING_REGISTRAR, RECEIVER)
    department = Account("jinshui.dept", "金水区", Role.COUNTY_DEPARTMENT, "410105")
    for who, check, school in (
        (RECEIVING_REGISTRAR, require_handover_sender, SENDER),
        (department, require_handover_sender, SENDER),
        (SENDING_REGISTRAR, require_handover_receiver, RECEIVER),
    ):
        with pytest.raises(DomainError) as refused:
            check(who, school)
        assert code(refused) == "PERMISSION_DENIED"
    untrained = replace(SENDING_REGISTRAR, trained_on=None)
    with pytest.raises(DomainError) as refused:
        require_handover_sender(untrained, SENDER)
    assert code(refused) == "REGISTRAR_NOT_TRAINED"


def test_who_sees_a_handover() -> None:
    seen = [
        SENDING_REGISTRAR,
        RECEIVING_REGISTRAR,
        Account("jinshui.dept", "金水区", Role.COUNTY_DEPARTMENT, "410105"),
        Account("zhongyuan.dept", "中原区", Role.COUNTY_DEPARTMENT, "410102"),
        Account("zhengzhou.archivist", "郑州", Role.ARCHIVIST, "410100"),
        Account("henan.auditor", "河南", Role.AUDITOR, "410000"),
    ]
    unseen = [
        Account("xiguan.registrar", "西关", Role.SCHOOL_REGISTRAR, ELSEWHERE.code, date(2026, 1, 1)),
        Account("luoyang.dept", "洛阳", Role.CITY_DEPARTMENT, "410300"),
        Account("admin", "系统管理员", Role.ADMIN, None),
        replace(SENDING_REGISTRAR, disabled=True),
    ]
    assert all(may_see_archive_handover(a, SENDER, RECEIVER) for a in seen)
    assert not any(may_see_archive_handover(a, SENDER, RECEIVER) for a in unseen)


def test_escalated_once_when_not_sent_by_the_deadline_and_late_when_sent_after_it() -> None:
    h = handover(due=date(2026, 10, 9))
    assert rules.escalate(h, NOW, date(2026, 10, 9)) is None  # the deadline day itself is in time
    moved = rules.escalate(h, NOW, date(2026, 10, 10))
    assert moved is not None and moved.escalated_to == "410105" and moved.events[-1].action == "ESCALATED"
    assert rules.escalate(moved, NOW, date(2026, 10, 11)) is None
    sent = rules.hand_over(h, SENDING_REGISTRAR, tuple(ArchivePart), None, NOW)
    assert rules.escalate(sent, NOW, date(2026, 10, 30)) is None and not rules.is_overdue(sent, date(2026, 10, 30))
    assert not rules.was_late(h, date(2026, 10, 9), None)
    assert rules.was_late(h, date(2026, 10, 10), None)
    assert not rules.was_late(h, date(2026, 12, 1), date(2026, 10, 9))
    assert rules.was_late(h, date(2026, 12, 1), date(2026, 10, 12))
