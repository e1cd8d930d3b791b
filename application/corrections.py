"""Art. 10 corrections: request → school → supervising department → applied.

Steps are resumable without transactions: the dossier's `open_business` names the
correction; the decision is recorded first (version-guarded), then the dossier is
changed only while it still names this correction, so running the last step again
after an interruption finishes the work once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from domain import access
from domain.access import WRITER_CODES
from domain.corrections import (
    APPLY_CODES,
    DECIDER_CODES,
    DECISION_CODES,
    REQUEST_CODES,
    REQUESTER_CODES,
    Correction,
    CorrectionChanges,
    CorrectionState,
    Decision,
    DecisionRecord,
    apply_changes,
    check_request,
    decide,
    require_decider,
    require_requester,
)
from domain.dossier import basic_changes, missing_fields
from domain.error_codes import declared
from domain.errors import DomainError, NotFound, PermissionDenied
from domain.evidence import EvidenceKind
from domain.withdrawal import USABLE_CODES, require_usable
from domain.jurisdiction import School
from domain.ports import Change, StudentRow
from application.session import Session
from application import students as usecases
from application.students import Candidate

ANOTHER_BUSINESS_OPEN = usecases.ANOTHER_BUSINESS_OPEN

REQUEST_CORRECTION_CODES = declared(
    *usecases.LOOKUP_CODES, *WRITER_CODES, *REQUESTER_CODES, *usecases.BUSINESS_CODES, *REQUEST_CODES, *APPLY_CODES,
    "ENROLLED_ELSEWHERE", *USABLE_CODES,
)


async def request(
    ctx: Session, number: str, changes: CorrectionChanges, reason: str, evidence: tuple[str, ...]
) -> Correction:
    row, school = await usecases.student_in_scope(ctx, number)
    access.require_writer(ctx.account)
    require_requester(ctx.account, school)
    await usecases.require_no_open_business(ctx, row.dossier)
    check_request(changes, reason, evidence)
    await _check_evidence(ctx, row.dossier.id, evidence)
    corrected = apply_changes(row.dossier, changes)  # refuse now what could never be applied
    key = corrected.id_document.key
    if key and key != row.dossier.id_document.key:
        holder = await ctx.stores.students.identity_holder(key)
        if holder is not None and holder.id != row.dossier.id:
            other = await ctx.loaders.school.load(holder.status.school_code)
            assert other is not None
            raise usecases.EnrolledElsewhereError(other, school)
    correction = Correction(
        id=usecases.new_business_id("correction"),
        dossier_id=row.dossier.id,
        number=row.dossier.number,
        school_code=school.code,
        changes=changes,
        reason=reason.strip(),
        evidence=tuple(e.strip() for e in evidence if e.strip()),
        state=CorrectionState.PENDING_SCHOOL,
        requested_by=ctx.account.login,
        requested_at=datetime.now(UTC),
    )
    await usecases.open_business(ctx, row.dossier.id, correction.id)
    await ctx.stores.corrections.insert(correction, ctx.stamp())
    return correction


# Art. 10: 凭《居民户口簿》或其他证明文件 — the household register, or another proof.
PROOF_KINDS = frozenset({EvidenceKind.HOUSEHOLD_REGISTER, EvidenceKind.STATUS_APPLICATION, EvidenceKind.APPROVAL_LETTER})


async def _check_evidence(ctx: Session, dossier_id: str, evidence: tuple[str, ...]) -> None:
    """Each reference is a stored scan of this student (POST /uploads), not withdrawn from
    the dossier; one is the proof."""
    kinds = []
    for document_id in (e.strip() for e in evidence if e.strip()):
        document = await ctx.stores.documents.get(document_id)
        if document is None or document.dossier_id != dossier_id:
            raise DomainError("evidence", f"{document_id} is not a stored document of this student", "EVIDENCE_REQUIRED")
        require_usable(document)
        kinds.append(document.kind)
    if not PROOF_KINDS & set(kinds):
        raise DomainError(
            "evidence", "attach the household register scan or another proof (Art. 10)", "EVIDENCE_REQUIRED"
        )


CORRECTION_LOOKUP_CODES = declared("NOT_FOUND")  # `correction_in_scope`


async def correction_in_scope(ctx: Session, correction_id: str) -> Correction:
    found = await ctx.stores.corrections.get(correction_id)
    school = await ctx.loaders.school.load(found.school_code) if found else None
    if found is None or school is None or not access.student_scope(ctx.account).contains(school):
        raise NotFound("id", "correction")
    return found


# The last step applies the correction: the dossier is checked again and written with its identity.
DECIDE_CORRECTION_CODES = declared(
    *CORRECTION_LOOKUP_CODES, *WRITER_CODES, *DECIDER_CODES, *DECISION_CODES, *APPLY_CODES, "CONFLICT",
    *usecases.IDENTITY_WRITE_CODES, *USABLE_CODES,
)


async def decide_step(
    ctx: Session, correction_id: str, decision: Decision, comment: str | None
) -> tuple[Correction, StudentRow | None, list[Candidate]]:
    correction = await correction_in_scope(ctx, correction_id)
    school = await ctx.loaders.school.load(correction.school_code)
    assert school is not None
    access.require_writer(ctx.account)
    if correction.state is CorrectionState.APPLIED:
        # Resume an interrupted application (the decision is recorded, the dossier not yet
        # changed), once the decision is old enough that its own request is no longer writing.
        require_decider_of_last_step(ctx, school)
        dossier = await ctx.stores.students.by_id(correction.dossier_id)
        if dossier is None or dossier.open_business != correction.id:
            raise DomainError("id", "this correction is applied; nothing is awaiting a decision", "NOT_OPEN")
        if correction.decisions and datetime.now(UTC) - correction.decisions[-1].at < usecases.STALE_BUSINESS:
            raise DomainError("id", "someone decided this step meanwhile; reload it", "CONFLICT")
        row, candidates = await _apply(ctx, correction)
        return correction, row, candidates
    step = require_decider(ctx.account, correction, school)
    if decision is Decision.APPROVE:
        await _require_usable_evidence(ctx, correction.evidence)
    record = DecisionRecord(step, decision, ctx.account.login, ctx.account.role.value, datetime.now(UTC), comment)
    state = decide(correction, record)
    if state is CorrectionState.APPLIED:
        dossier = await ctx.stores.students.by_id(correction.dossier_id)
        assert dossier is not None
        apply_changes(dossier, correction.changes)  # still valid against today's dossier?
    updated = await ctx.stores.corrections.record_decision(correction, record, state, ctx.stamp())
    if updated is None:
        raise DomainError("id", "someone decided this step meanwhile; reload it", "CONFLICT")
    if state is CorrectionState.REJECTED:
        await ctx.stores.students.release_business(correction.dossier_id, correction.id, ctx.stamp())
        return updated, None, []
    if state is CorrectionState.APPLIED:
        row, candidates = await _apply(ctx, updated)
        return updated, row, candidates
    return updated, None, []


async def _require_usable_evidence(ctx: Session, evidence: tuple[str, ...]) -> None:
    """An approval rests on the correction's evidence: none of it may have been withdrawn
    from the dossier since the request (a withdrawal and a request at the same moment)."""
    for document_id in evidence:
        document = await ctx.stores.documents.get(document_id)
        if document is not None:
            require_usable(document)


def require_decider_of_last_step(ctx: Session, school: School) -> None:
    if not access.supervises(ctx.account, school):
        raise PermissionDenied("the school's supervising department decides this step", "WRONG_ACTOR")


async def _apply(ctx: Session, correction: Correction) -> tuple[StudentRow | None, list[Candidate]]:
    before = await ctx.stores.students.by_id(correction.dossier_id)
    assert before is not None
    if before.open_business != correction.id:
        return None, []  # applied already
    after = replace(apply_changes(before, correction.changes), open_business=None, open_business_since=None)
    school = await ctx.loaders.school.load(before.status.school_code)
    assert school is not None
    changes = dict(basic_changes(before.basic, after.basic))
    if after.id_document != before.id_document:
        changes["id_document"] = (before.id_document, after.id_document)
    if after.number != before.number:
        changes["number"] = (before.number, after.number)
    change = Change("CORRECTED", changes, reason=correction.reason, evidence=correction.evidence, business_id=correction.id)
    await usecases.write_with_identity(ctx, before, after, school, change)
    after = replace(after, version=before.version + 1)
    # Name, identity, sex or birth date changed: the duplicate check runs again (Art. 8).
    candidates = await usecases.find_candidates(ctx, usecases.probe_of(after), after.id)
    return StudentRow(after, tuple(missing_fields(after))), candidates


WITHDRAW_CORRECTION_CODES = declared(*CORRECTION_LOOKUP_CODES, *WRITER_CODES, *REQUESTER_CODES, "NOT_OPEN", "CONFLICT")


async def withdraw(ctx: Session, correction_id: str) -> Correction:
    correction = await correction_in_scope(ctx, correction_id)
    school = await ctx.loaders.school.load(correction.school_code)
    assert school is not None
    access.require_writer(ctx.account)
    require_requester(ctx.account, school)
    if correction.state is not CorrectionState.PENDING_SCHOOL and correction.state is not CorrectionState.PENDING_DEPARTMENT:
        raise DomainError("id", "only an open correction can be withdrawn", "NOT_OPEN")
    record = DecisionRecord("SCHOOL", Decision.REJECT, ctx.account.login, ctx.account.role.value, datetime.now(UTC), "withdrawn")
    updated = await ctx.stores.corrections.record_decision(correction, record, CorrectionState.WITHDRAWN, ctx.stamp())
    if updated is None:
        raise DomainError("id", "someone decided this step meanwhile; reload it", "CONFLICT")
    await ctx.stores.students.release_business(correction.dossier_id, correction.id, ctx.stamp())
    return updated
