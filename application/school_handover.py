"""School merger and closure (Art. 19, R-D4): the department records it, a job moves the
school's whole archive to the receiver and archives a BagIt manifest of it, the receiver
verifies and acknowledges the manifest. Rules in `domain/school_handover.py`, storage in
`storage/school_handovers.py`."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime

import structlog

from application.session import Session, Stores
from domain.accounts import Role
from domain.access import area_contains, supervises
from domain.error_codes import declared
from domain.errors import DomainError, NotFound
from domain.jurisdiction import School, validate_area_code, validate_school_code
from domain.ports import AuditEvent, Change, Stamp, StudentRow
from domain.school_handover import (
    ACKNOWLEDGE_STATE_CODES,
    RECEIVER_CODES,
    RECORD_CODES,
    SCHOOL_STATE_AFTER,
    VERIFY_STATE_CODES,
    Acknowledgement,
    SchoolHandover,
    SchoolHandoverKind,
    SchoolHandoverState,
    Verification,
    bag_info,
    check_acknowledgement,
    check_archive_unit,
    check_decision,
    manifest_hash,
    check_record,
    check_verifiable,
    may_see,
    require_receiver,
    require_recorder,
)
from domain.text import identifier

log = structlog.get_logger("school_handover")
JOB_ACTOR = "system:school-handover"
MOVE_ATTEMPTS = 10
MOVES_AT_ONCE = 8  # dossiers moved concurrently (each one claimed in its own log)

RECORD_HANDOVER_CODES = declared("NOT_FOUND", *RECORD_CODES)
LOOKUP_CODES = declared("NOT_FOUND")  # `handover_in_scope`
VERIFY_HANDOVER_CODES = declared(*LOOKUP_CODES, *RECEIVER_CODES, *VERIFY_STATE_CODES)
ACKNOWLEDGE_HANDOVER_CODES = declared(*LOOKUP_CODES, *RECEIVER_CODES, *ACKNOWLEDGE_STATE_CODES)


async def record(
    session: Session,
    kind: SchoolHandoverKind,
    school_code: str,
    receiver_code: str | None,
    legal_basis: str,
    effective_on: date,
    archive_unit: tuple[str, str] | None = None,
) -> SchoolHandover:
    """Record a merger or closure: the handover (claimed once per school), then the
    school's new version (MERGED or CLOSED). The receiver is a school (`receiver_code`) or,
    for a closure, an archive unit (`archive_unit`: code and name). The job is started by
    the caller."""
    # Everything given is checked before anything is looked up.
    receiver_field = "intoSchoolCode" if kind is SchoolHandoverKind.MERGER else "receiverCode"
    code = validate_school_code(school_code, "schoolCode")
    if (receiver_code is None) == (archive_unit is None) or (archive_unit is not None and kind is SchoolHandoverKind.MERGER):
        raise DomainError(receiver_field, "name the receiving school, or for a closure the archive unit, not both", "INVALID_VALUE")
    receiver_code = validate_school_code(receiver_code, receiver_field) if receiver_code is not None else None
    unit = check_archive_unit(*archive_unit) if archive_unit is not None else None
    stamp = session.stamp()
    basis = check_decision(legal_basis, effective_on, stamp.at.date())
    sender = await session.stores.schools.get(code, session.school_scope)
    if sender is None:
        raise NotFound("schoolCode", "school")
    require_recorder(session.account, sender)
    receiver = None
    if receiver_code is not None:
        receiver = await session.stores.schools.get(receiver_code, session.school_scope)
        if receiver is None:
            raise NotFound(receiver_field, "school")
    check_record(session.account, sender, receiver, receiver_field=receiver_field)
    handover = SchoolHandover(
        id=sender.code, kind=kind, sender_code=sender.code, receiver_code=receiver.code if receiver else unit[0] if unit else "",
        legal_basis=basis, effective_on=effective_on, state=SchoolHandoverState.MOVING, recorded_by=session.account.login,
        recorded_at=stamp.at, archive_unit_name=unit[1] if unit else None,
    )
    if not await session.stores.school_handovers.create(handover, stamp, _decision(handover)):
        raise DomainError("schoolCode", f"{sender.name} ({sender.code}) is merged or closed already", "SCHOOL_CLOSED")
    await _close_school(session.stores, handover, stamp)
    return handover


def _decision(handover: SchoolHandover) -> dict[str, object]:
    return {
        "kind": handover.kind.value,
        "receiver_code": handover.receiver_code,
        "archive_unit_name": handover.archive_unit_name,
        "legal_basis": handover.legal_basis,
        "effective_on": handover.effective_on.isoformat(),
        "handover_id": handover.id,
    }


async def _close_school(stores: Stores, handover: SchoolHandover, stamp: Stamp) -> None:
    """The school's MERGED / CLOSED version (idempotent: the job repeats it, so a recording
    stopped between the handover and the school still closes the school)."""
    record = {
        "action": f"SCHOOL_{SCHOOL_STATE_AFTER[handover.kind]}",
        "changes": {"closed": {"old": None, "new": SCHOOL_STATE_AFTER[handover.kind]}},
        "effective_on": handover.effective_on.isoformat(),
        "source": handover.legal_basis,
    }
    await stores.schools.mark_closed(handover.sender_code, SCHOOL_STATE_AFTER[handover.kind], record, stamp)


# -- the job ------------------------------------------------------------------------------


async def run(stores: Stores, handover_id: str) -> SchoolHandover | None:
    """Move every dossier the sender holds, and its evidence, to the receiver; then archive
    the manifest. Resumable anywhere: dossiers taken on by an earlier run are finished
    first, then whatever the sender still holds; each move is claimed in the dossier's own
    log, so two runs never move one twice. None for an unknown handover."""
    store = stores.school_handovers
    handover = await store.get(handover_id)
    if handover is None or handover.state is not SchoolHandoverState.MOVING:
        return handover
    stamp = Stamp(JOB_ACTOR, f"school-handover:{handover.id}")
    await _close_school(stores, handover, stamp)
    gate = asyncio.Semaphore(MOVES_AT_ONCE)

    async def take_on(dossier_id: str, claim: bool) -> None:
        async with gate:
            if claim:
                await store.claim_item(handover.id, dossier_id)
            await _move(stores, handover, dossier_id, stamp)

    await asyncio.gather(*(take_on(d, False) for d in await store.open_items(handover.id)))
    if handover.to_archive_unit:  # the dossiers stay filed under the closed school: one pass over them
        done_already, after = set(await store.moved(handover.id)), None
        while True:
            held, after = await store.at_school(handover.sender_code, after)
            await asyncio.gather(*(take_on(d, True) for d in held if d not in done_already))
            if after is None:
                break
    else:
        while held := await store.held_by(handover.sender_code):
            await asyncio.gather(*(take_on(d, True) for d in held))
    sender, receiver = await stores.schools.get_many([handover.sender_code, handover.receiver_code])
    assert sender is not None and (receiver is not None or handover.to_archive_unit)
    done = await store.archive_bag(handover, bag_info(handover, sender, receiver), stamp)
    if done.state is SchoolHandoverState.BAGGED and done.revision == handover.revision + 1:  # this run archived it
        await stores.audit.append(
            AuditEvent(
                actor=JOB_ACTOR, role="SYSTEM", action="job:schoolHandoverBagged", target_type="school_handover",
                target_id=done.id, outcome="ok", request_id=stamp.request_id, school_code=done.sender_code,
                details={"receiver": done.receiver_code, "dossiers": done.dossiers, "documents": done.documents,
                         "evidence_objects": done.evidence_objects, "bag_sha256": done.bag.sha256 if done.bag else None},
            )
        )
    log.info("school handover bagged", handover=done.id, dossiers=done.dossiers, documents=done.documents)
    return done


async def _move(stores: Stores, handover: SchoolHandover, dossier_id: str, stamp: Stamp) -> None:
    """One dossier to the receiver (its next version, claimed in its log), then its
    documents; the item is finished last, so a stop anywhere before is done again."""
    reason = f"{handover.kind.value} ({handover.legal_basis}), effective {handover.effective_on.isoformat()}"
    change = Change(
        "STATUS:SCHOOL_HANDOVER", {"school": (handover.sender_code, handover.receiver_code)}, reason=reason,
        business_id=f"school-handover:{handover.id}",
    )
    if handover.to_archive_unit:
        await _hand_to_unit(stores, handover, dossier_id, stamp, change, reason)
        return
    dossier = None
    for _ in range(MOVE_ATTEMPTS):
        dossier = await stores.students.by_id(dossier_id)
        if dossier is None or dossier.status.school_code != handover.sender_code:
            break
        after = replace(dossier, status=replace(dossier.status, school_code=handover.receiver_code))
        if await stores.students.replace(dossier, after, stamp, change):
            dossier = after
            break
    if dossier is None or dossier.status.school_code != handover.receiver_code:
        await stores.school_handovers.finish_item(handover.id, dossier_id, "LEFT", 0)  # moved elsewhere first
        return
    documents = await stores.school_handovers.hand_over_documents(dossier_id, handover.receiver_code, reason, stamp)
    await stores.school_handovers.finish_item(handover.id, dossier_id, "MOVED", documents)


async def _hand_to_unit(stores: Stores, handover: SchoolHandover, dossier_id: str, stamp: Stamp, change: Change, reason: str) -> None:
    """A closure to an archive unit: the dossier stays filed under the closed school (its
    current students have no school until placed) and gets one version recording that the
    unit holds its archive; its documents are answered for by the unit."""
    unit_change = Change(
        change.action, {"archive": (handover.sender_code, handover.receiver_code)}, reason=reason, business_id=change.business_id
    )
    for _ in range(MOVE_ATTEMPTS):
        if any(h.business_id == change.business_id for h in await stores.students.history(dossier_id)):
            break  # recorded by an earlier run
        dossier = await stores.students.by_id(dossier_id)
        if dossier is None or dossier.status.school_code != handover.sender_code:
            await stores.school_handovers.finish_item(handover.id, dossier_id, "LEFT", 0)
            return
        if await stores.students.replace(dossier, dossier, stamp, unit_change):
            break
    documents = await stores.school_handovers.hand_over_documents(dossier_id, handover.receiver_code, reason, stamp)
    await stores.school_handovers.finish_item(handover.id, dossier_id, "MOVED", documents)


_running: dict[str, asyncio.Task[SchoolHandover | None]] = {}


def start(stores: Stores, handover_id: str) -> None:
    """Run the job in the background of this process (the mutation answers at once);
    `resume_unfinished` picks up a job whose process stopped."""
    if handover_id in _running:
        return
    task = asyncio.create_task(run(stores, handover_id))
    _running[handover_id] = task

    def done(t: asyncio.Task[SchoolHandover | None]) -> None:
        _running.pop(handover_id, None)
        if not t.cancelled() and t.exception() is not None:
            log.error("school handover failed", handover=handover_id, error=repr(t.exception()))

    task.add_done_callback(done)


async def resume_unfinished(stores: Stores) -> int:
    """Run every handover whose manifest is not archived yet (the daily job); the count."""
    unfinished = await stores.school_handovers.unfinished()
    for handover in unfinished:
        await run(stores, handover.id)
    return len(unfinished)


# -- the receiver -------------------------------------------------------------------------


async def _schools(session: Session, handover: SchoolHandover) -> tuple[School, School | None]:
    """The sender and the receiving school (None for an archive unit)."""
    codes = [handover.sender_code] if handover.to_archive_unit else [handover.sender_code, handover.receiver_code]
    found = await session.loaders.school.load_many(codes)
    sender, receiver = found[0], (found[1] if len(found) > 1 else None)
    assert sender is not None and (receiver is not None or handover.to_archive_unit)
    return sender, receiver


async def handover_in_scope(session: Session, handover_id: str) -> tuple[SchoolHandover, School, School | None]:
    handover = await session.stores.school_handovers.get(identifier(handover_id))
    if handover is not None:
        sender, receiver = await _schools(session, handover)
        if may_see(session.account, sender, receiver):
            return handover, sender, receiver
    raise NotFound("id", "school handover")


async def get(session: Session, handover_id: str) -> SchoolHandover | None:
    try:
        handover, _, _ = await handover_in_scope(session, handover_id)
    except NotFound:
        return None
    return handover


async def verify(session: Session, handover_id: str) -> SchoolHandover:
    """The receiver validates the archived bag (bagit: every checksum and the payload) and
    its counts against the database; the result is recorded either way."""
    handover, sender, receiver = await handover_in_scope(session, handover_id)
    require_receiver(session.account, sender, receiver)
    check_verifiable(handover)
    problems = await session.stores.school_handovers.problems_of(handover)
    stamp = session.stamp()
    verification = Verification(at=stamp.at, by=session.account.login, valid=not problems, problems=tuple(problems))
    return await session.stores.school_handovers.record_verification(handover, verification, stamp)


async def acknowledge(session: Session, handover_id: str, manifest_sha256: str) -> SchoolHandover:
    """The receiver acknowledges the verified manifest by its SHA-256: the handover is complete."""
    digest = manifest_hash(manifest_sha256)  # checked before anything is looked up
    handover, sender, receiver = await handover_in_scope(session, handover_id)
    require_receiver(session.account, sender, receiver)
    check_acknowledgement(handover, digest)
    stamp = session.stamp()
    ack = Acknowledgement(at=stamp.at, by=session.account.login, manifest_sha256=digest)
    return await session.stores.school_handovers.acknowledge(handover, ack, stamp)


def may_download(session: Session, handover: SchoolHandover, sender: School, receiver: School | None) -> bool:
    """The bag holds whole dossiers (Art. 24): the receiver's registrar, archivists who see
    either school, and the sender's supervising department."""
    account = session.account
    if account.disabled:
        return False
    if account.role is Role.SCHOOL_REGISTRAR:
        return receiver is not None and account.scope_code == receiver.code
    if account.role is Role.ARCHIVIST:
        return may_see(account, sender, receiver)
    return supervises(account, sender)


async def bag_link(session: Session, handover: SchoolHandover) -> tuple[str, datetime] | None:
    """A short-lived signed link to the archived bag, audited; None for whoever may not
    download it or before it exists."""
    sender, receiver = await _schools(session, handover)
    if handover.bag is None or not may_download(session, handover, sender, receiver):
        return None
    url, expires = session.stores.school_handovers.bag_link(handover)
    await session.audit(
        "download:schoolHandoverBag", "school_handover", handover.id, school_code=(receiver or sender).code,
        details={"bag_sha256": handover.bag.sha256, "expires": expires.astimezone(UTC).isoformat()},
    )
    return url, expires


# -- students left without a school --------------------------------------------------------

UNPLACED_ROLES = frozenset({Role.COUNTY_DEPARTMENT, Role.CITY_DEPARTMENT, Role.PROVINCE_DEPARTMENT})


async def unplaced_after_closure(session: Session, area_code: str) -> list[StudentRow] | None:
    """Students still studying at a closed school of the area (its archive went to an
    archive unit, so they have no school) until a transfer places them: for the
    departments over the area (None for anyone else). One read of the area's schools, then
    one equality per closed school and state."""
    account = session.account
    area = validate_area_code(area_code, "areaCode")
    if account.disabled or account.role not in UNPLACED_ROLES or not area_contains(account.scope_code or "", area):
        return None
    rows: list[StudentRow] = []
    for school in await session.stores.schools.in_area(area):
        if school.closed == SCHOOL_STATE_AFTER[SchoolHandoverKind.CLOSURE] and session.school_scope.contains(school):
            rows += await session.stores.school_handovers.studying_at(school.code)
    return rows
