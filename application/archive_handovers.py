"""The archive handover after a transfer (Art. 18, 19; R-D2, R-D3): opened when a transfer
completes, sent by the sending school's registrar, acknowledged by the receiving school's;
the sender's electronic copy as of the transfer; the paper copies it keeps; overdue
handovers escalated by the daily job; late ones listed for the compliance report."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from application.session import Session, Stores
from domain import archive_handovers as rules
from domain.access import ROLE_CODES, area_field, may_see_archive_handover, require_handover_receiver, require_handover_sender, student_scope
from domain.archive_handovers import ArchiveHandover, ArchivePart, HandoverEvent, HandoverState
from domain.calendar import WorkingCalendar
from domain.changes import today_in_china
from domain.dossier import Dossier
from domain.error_codes import declared
from domain.errors import NotFound
from domain.jurisdiction import School
from domain.ports import AuditEvent, ConcurrentWrite, Page, Stamp
from domain.workflows.engine import Case, CaseKind, CaseState, Party

TARGET = "archive_handover"


async def open_after_transfer(ctx: Session, case: Case) -> bool:
    """Open the handover of a completed transfer, once: its version 1 is claimed under the
    case's id, so a retried or concurrent completion opens exactly one. Nothing happens
    before the transfer's change is on the dossier. True when this call opened it."""
    if case.kind is not CaseKind.TRANSFER or case.state is not CaseState.COMPLETED:
        return False
    store = ctx.stores.archive_handovers
    if await store.get(case.id) is not None:
        return False
    found = await store.transfer_version(case.dossier_id, case.id)
    if found is None:
        return False
    version, transferred_at = found
    transfer_date = today_in_china(transferred_at)
    deadline = rules.handover_deadline(transfer_date, WorkingCalendar(await ctx.stores.calendar.overrides()))
    now = datetime.now(UTC)
    handover = ArchiveHandover(
        id=case.id,
        case_id=case.id,
        dossier_id=case.dossier_id,
        number=case.number,
        sending_school_code=case.parties[Party.STUDENT_SCHOOL.value],
        sending_supervisor_code=case.parties[Party.STUDENT_SUPERVISOR.value],
        receiving_school_code=case.parties[Party.TARGET_SCHOOL.value],
        receiving_supervisor_code=case.parties[Party.TARGET_SUPERVISOR.value],
        transferred_at=transferred_at,
        transfer_date=transfer_date,
        dossier_version=version,
        due=deadline.due,
        due_provisional=deadline.provisional,
        events=(HandoverEvent(now, ctx.account.login, ctx.account.role.value, "OPENED", f"due {deadline.due.isoformat()} (Art. 18)"),),
    )
    return await store.open(handover, ctx.stamp())


LOOKUP_CODES = declared("NOT_FOUND")  # `handover_in_scope`


async def _schools(ctx: Session, h: ArchiveHandover) -> tuple[School | None, School | None]:
    sending, receiving = await ctx.loaders.school.load_many([h.sending_school_code, h.receiving_school_code])
    return sending, receiving


async def handover_in_scope(ctx: Session, handover_id: str) -> ArchiveHandover:
    """A handover the caller sees (`may_see_archive_handover`), or the department it was
    escalated to; anything else is NOT_FOUND, as if it did not exist (Art. 24)."""
    h = await ctx.stores.archive_handovers.get(handover_id)
    if h is None:
        raise NotFound("id", "archive handover")
    sending, receiving = await _schools(ctx, h)
    escalated_here = h.escalated_to is not None and ctx.account.is_department and ctx.account.scope_code == h.escalated_to
    if may_see_archive_handover(ctx.account, sending, receiving) or (escalated_here and not ctx.account.disabled):
        return h
    raise NotFound("id", "archive handover")


HAND_OVER_ARCHIVE_CODES = declared(*LOOKUP_CODES, *ROLE_CODES, *rules.HAND_OVER_CODES)


async def hand_over_archive(ctx: Session, handover_id: str, parts: tuple[ArchivePart, ...], note: str | None) -> ArchiveHandover:
    note = rules.note_of(note)  # the text is checked before anything is looked up
    h = await handover_in_scope(ctx, handover_id)
    sending, _ = await _schools(ctx, h)
    assert sending is not None
    require_handover_sender(ctx.account, sending)
    after = rules.hand_over(h, ctx.account, parts, note, datetime.now(UTC))
    await ctx.stores.archive_handovers.replace(h, after, ctx.stamp(), action="HANDED_OVER")
    return replace(after, version=h.version + 1)


ACKNOWLEDGE_ARCHIVE_HANDOVER_CODES = declared(*LOOKUP_CODES, *ROLE_CODES, *rules.ACKNOWLEDGE_CODES)


async def acknowledge_archive_handover(ctx: Session, handover_id: str, note: str | None) -> ArchiveHandover:
    note = rules.note_of(note)  # the text is checked before anything is looked up
    h = await handover_in_scope(ctx, handover_id)
    _, receiving = await _schools(ctx, h)
    assert receiving is not None
    require_handover_receiver(ctx.account, receiving)
    after = rules.acknowledge(h, ctx.account, note, datetime.now(UTC))
    await ctx.stores.archive_handovers.replace(h, after, ctx.stamp(), action="RECEIVED")
    return replace(after, version=h.version + 1)


RECORD_PAPER_COPIES_CODES = declared(*LOOKUP_CODES, *ROLE_CODES, *rules.PAPER_COPY_CODES)


async def record_paper_copies(ctx: Session, handover_id: str, copies: tuple[tuple[str, str], ...]) -> tuple[ArchiveHandover, ArchiveHandover]:
    """(before, after): the copies recorded before are in the audit details too."""
    rules.paper_copies_of(copies)  # the text is checked before anything is looked up
    h = await handover_in_scope(ctx, handover_id)
    sending, _ = await _schools(ctx, h)
    assert sending is not None
    require_handover_sender(ctx.account, sending)
    after = rules.record_paper_copies(h, ctx.account, copies, datetime.now(UTC))
    await ctx.stores.archive_handovers.replace(h, after, ctx.stamp(), action="PAPER_COPIES_RECORDED")
    return h, replace(after, version=h.version + 1)


# -- reads --------------------------------------------------------------------------------


async def handovers_page(
    ctx: Session, school_code: str | None, state: HandoverState | None, *, after: str | None, first: int
) -> Page[ArchiveHandover]:
    """The handovers the caller sees: of one school it sees (as sender or receiver), or of
    its whole scope. A school outside the scope lists nothing."""
    if school_code is not None:
        school = await ctx.loaders.school.load(school_code)
        if school is None or ctx.account.disabled or not student_scope(ctx.account).contains(school):
            return Page([], [], False, 0)
        return await ctx.stores.archive_handovers.page(f"code:{school.code}", state, after=after, first=first)
    return await ctx.stores.archive_handovers.page(ctx.student_scope_key, state, after=after, first=first)


async def snapshot(ctx: Session, h: ArchiveHandover) -> tuple[Dossier, Dossier] | None:
    """(the dossier as the transfer left it, the dossier now): the sending school's
    read-only electronic copy (Art. 19), and the live dossier that decides what of it may
    be seen unmasked (Art. 24). The caller has seen the handover already."""
    then = await ctx.stores.archive_handovers.dossier_at(h.dossier_id, h.dossier_version)
    now = await ctx.stores.students.by_id(h.dossier_id)
    return (then, now) if then is not None and now is not None else None


# -- the daily job and the compliance report ---------------------------------------------


async def escalate_overdue_handovers(stores: Stores, now: datetime) -> int:
    """Handovers not sent by their deadline go to the sending school's supervising
    department, once each (Art. 18, 25). Running it twice changes nothing more."""
    today = today_in_china(now)
    stamp = Stamp.system("workflows")
    escalated = 0
    for h in await stores.archive_handovers.overdue(today):
        moved = rules.escalate(h, now, today)
        if moved is None:
            continue
        try:
            await stores.archive_handovers.replace(h, moved, stamp, action="ESCALATED")
        except ConcurrentWrite:
            continue  # handed over or escalated meanwhile: judged again next run
        await stores.audit.append(
            AuditEvent(
                actor=stamp.actor, role="SYSTEM", action="job:escalateArchiveHandover", target_type=TARGET, target_id=h.id,
                outcome="ok", request_id=None, ip=None, user_agent=None, school_code=h.sending_school_code,
                details={"due": h.due.isoformat(), "escalatedTo": moved.escalated_to},
            )
        )
        escalated += 1
    return escalated


@dataclass(frozen=True)
class LateArchiveHandover:
    """A handover not sent in time: which, between which schools, its deadline, and when
    it was handed over and received (None: not yet)."""

    id: str
    case_id: str
    number: str
    sending_school_code: str
    receiving_school_code: str
    due: date
    handed_over_at: datetime | None
    received_at: datetime | None


async def late_archive_handovers(
    stores: Stores, area_code: str, start: date, end: date, *, today: date | None = None
) -> list[LateArchiveHandover]:
    """Handovers of the schools located in an area (county, city or province code) whose
    deadline fell in [start, end] and that were not handed over by it: handed over later,
    or still not by `today` (China's today by default). For the Art. 26 report."""
    today = today or today_in_china(datetime.now(UTC))
    token = f"{area_field(area_code)}:{area_code}"
    late = []
    for h in await stores.archive_handovers.due_between(token, start, end):
        handed_day = today_in_china(h.handed_over_at) if h.handed_over_at is not None else None
        if rules.was_late(h, today, handed_day):
            late.append(
                LateArchiveHandover(
                    h.id, h.case_id, h.number, h.sending_school_code, h.receiving_school_code, h.due, h.handed_over_at, h.received_at
                )
            )
    return late
