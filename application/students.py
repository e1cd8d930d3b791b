"""The steps behind the dossier mutations: load in scope, check the rules in `domain/`,
write through the stores, record history. Resolvers call these and only translate."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from domain import access
from domain.school_handover import OPEN_SCHOOL_CODES, require_open
from domain.access import ROLE_CODES
from domain.dossier import (
    DOSSIER_CODES,
    KEY_FIELDS,
    BasicData,
    Dossier,
    Flags,
    Guardian,
    SchoolStatus,
    Verification,
    basic_changes,
    check_dossier,
    mask_name,
    missing_fields,
    normalised_class_name,
)
from domain.duplicates import Probe, match_keys, reasons
from domain.enrolment import (
    AGE_CODES,
    GRADE_CODES,
    admits_without_transfer,
    check_grade,
    check_grade_one_age,
    completeness_deadline,
    intake_year_of,
)
from domain.error_codes import declared
from domain.errors import DomainError, NotFound
from domain.identity import IdDocument
from domain.text import identifier, optional_text
from domain.jurisdiction import School
from domain.ports import Change, EnrolledElsewhere, StudentRow
from domain.student_number import (
    NUMBER_CODES,
    TEMPORARY_NUMBER_CODES,
    normalise_number,
    permanent_number,
    temporary_number,
    temporary_prefix,
)
from application.session import Session

MAX_DAYS_AHEAD = 92  # registrars key in the autumn intake from June


class EnrolledElsewhereError(DomainError):
    """Art. 8: one person, one status; such a student comes in only by transfer."""

    def __init__(self, school: School, admitting: School) -> None:
        hint = (
            " This school may admit the student to attend without a transfer (Art. 8); the status "
            "stays at the original school unless moved under Art. 12."
            if admits_without_transfer(admitting.kind)
            else " A student with status elsewhere is admitted only by transfer (Art. 8, 11)."
        )
        super().__init__(
            "idDocument", f"this person already has a student status at {school.name} ({school.code}).{hint}", "ENROLLED_ELSEWHERE"
        )
        self.school = school


@dataclass(frozen=True)
class Candidate:
    """A likely duplicate. Outside the caller's scope only a masked name is shown."""

    in_scope: bool
    name: str
    reasons: list[str]
    row: StudentRow | None


async def find_candidates(ctx: Session, probe: Probe, exclude_id: str | None) -> list[Candidate]:
    keys = match_keys(probe)
    scope = access.student_scope(ctx.account)
    found = [(d, k) for d, k in await ctx.stores.students.with_keys(keys) if d.id != exclude_id]
    schools = await ctx.loaders.school.load_many([d.status.school_code for d, _ in found])
    out: list[Candidate] = []
    for (dossier, dossier_keys), school in zip(found, schools, strict=True):
        in_scope = school is not None and scope.contains(school)
        row = StudentRow(dossier, tuple(missing_fields(dossier))) if in_scope else None
        name = dossier.basic.name if in_scope else mask_name(dossier.basic.name)
        out.append(Candidate(in_scope, name, reasons(dossier_keys, keys), row))
    return out


def probe_of(d: Dossier) -> Probe:
    return Probe(d.basic.name, d.basic.birth_date, d.basic.sex, tuple(g.id_document for g in d.guardians if g.id_document))


SCHOOL_LOOKUP_CODES = declared("NOT_FOUND")  # `school_in_scope`
LOOKUP_CODES = declared(*NUMBER_CODES, "NOT_FOUND")  # `student_in_scope`


async def school_in_scope(ctx: Session, code: str, field: str = "schoolCode") -> School:
    school = await ctx.loaders.school.load(code)  # read once per request (or per intake job)
    if school is None or not ctx.school_scope.contains(school):
        raise NotFound(field, "school")
    return school


async def student_in_scope(ctx: Session, number: str) -> tuple[StudentRow, School]:
    """The dossier by number (current or alias), if the caller may see it."""
    row = await ctx.stores.students.by_number(normalise_number(number), ctx.student_scope_key)
    if row is None:
        raise NotFound("number", "student")
    school = await ctx.loaders.school.load(row.dossier.status.school_code)
    assert school is not None
    return row, school


async def holds_for_caller(ctx: Session, dossier: Dossier) -> bool:
    """Whether the caller sees the school that holds the status, or the one the student
    attends (a special placement), rather than only a school the student has left."""
    for code in (dossier.status.school_code, dossier.attending_school_code):
        school = await ctx.loaders.school.load(code) if code else None
        if school is not None and ctx.school_scope.contains(school):
            return True
    return False


async def former_copy(ctx: Session, dossier: Dossier) -> tuple[Dossier, datetime] | None:
    """The read-only electronic copy a school the student has left keeps (Art. 19): the
    version that moved the student away from the last school the caller sees, and when it
    was recorded, so later changes at the receiving school are not the sender's to see.
    None when the caller sees the live dossier (it sees the school holding it now)."""
    if await holds_for_caller(ctx, dossier):
        return None
    versions = await ctx.stores.students.versions(dossier.id)
    held = [i for i, (version, _) in enumerate(versions) if await holds_for_caller(ctx, version)]
    if not held or held[-1] + 1 >= len(versions):
        return None
    return versions[held[-1] + 1]


@dataclass(frozen=True)
class Enrolment:
    school_code: str
    id_document: IdDocument
    basic: BasicData
    guardians: tuple[Guardian, ...]
    flags: Flags
    grade: int
    class_name: str
    entry_date: date
    entry_way: str
    study_mode: str
    age_approval_reference: str | None
    confirm_not_duplicate: bool


REFERENCE_MAX = 100  # an approval letter's number, e.g. 金教学〔2026〕31号


def enrolment(
    *,
    school_code: str,
    id_document: IdDocument,
    basic: BasicData,
    guardians: tuple[Guardian, ...],
    flags: Flags,
    grade: int,
    class_name: str,
    entry_date: date,
    entry_way: str,
    study_mode: str,
    age_approval_reference: str | None,
    confirm_not_duplicate: bool,
) -> Enrolment:
    """An enrolment in its one spelling, however it was keyed in (the `enrollStudent` form
    or a row of a bulk intake): identifiers normalised, free text cleaned."""
    return Enrolment(
        school_code=identifier(school_code),
        id_document=id_document,
        basic=basic,
        guardians=guardians,
        flags=flags,
        grade=grade,
        class_name=normalised_class_name(class_name),
        entry_date=entry_date,
        entry_way=identifier(entry_way),
        study_mode=identifier(study_mode),
        age_approval_reference=optional_text("ageApprovalReference", age_approval_reference, max_length=REFERENCE_MAX),
        confirm_not_duplicate=confirm_not_duplicate,
    )


ENROL_CODES = declared(
    *SCHOOL_LOOKUP_CODES, *ROLE_CODES, *GRADE_CODES, "INVALID_VALUE", *AGE_CODES, *TEMPORARY_NUMBER_CODES, *DOSSIER_CODES,
    "POSSIBLE_DUPLICATE", "ENROLLED_ELSEWHERE", *OPEN_SCHOOL_CODES,
)


async def enrol(ctx: Session, e: Enrolment) -> tuple[StudentRow, list[Candidate]]:
    school = await school_in_scope(ctx, e.school_code)
    access.require_school_registrar(ctx.account, school)  # Art. 5, 6: the school establishes status
    require_open(school, "schoolCode")  # Art. 19: a merged or closed school takes no new student
    check_grade(school.kind, e.grade)
    if e.entry_date > date.today() + timedelta(days=MAX_DAYS_AHEAD):
        raise DomainError("entryDate", "the entry date is too far ahead", "INVALID_VALUE")
    age_exception = "NONE"
    if e.grade == 1:  # Art. 4: autumn intake into grade 1
        reference = (e.age_approval_reference or "").strip() or None
        age_exception = check_grade_one_age(e.basic.birth_date, intake_year_of(e.entry_date), reference).value
    if e.flags.inclusive_education and school.kind.value == "SPECIAL_EDUCATION":
        raise DomainError("flags.inclusiveEducation", "随班就读 is attendance at a regular school (Art. 8)", "INVALID_VALUE")

    number = permanent_number(e.id_document)
    if number is None:
        prefix = temporary_prefix(school.area_code, e.basic.birth_date)
        number = temporary_number(prefix, await ctx.stores.students.next_sequence(prefix, ctx.stamp()))
    dossier = Dossier(
        id=number,
        number=number,
        aliases=(),
        id_document=e.id_document,
        basic=e.basic,
        guardians=e.guardians,
        flags=e.flags,
        status=SchoolStatus(school.code, e.grade, e.class_name.strip(), e.entry_date, e.entry_way, e.study_mode),
        age_exception=age_exception,
        age_approval_reference=e.age_approval_reference if age_exception != "NONE" else None,
        complete_by=completeness_deadline(e.entry_date),  # Art. 6: within one month
        created_at=datetime.now(UTC),
    )
    check_dossier(dossier)
    candidates = await find_candidates(ctx, probe_of(dossier), None)
    strong = [c for c in candidates if "SAME_NAME_BIRTH_DATE_SEX" in c.reasons]
    if strong and e.id_document.key is None and not e.confirm_not_duplicate:
        # Without an identity number nothing unique guards Art. 8: a person review decides.
        raise DomainError(
            "confirmNotDuplicate",
            "a student with the same name, birth date and sex exists; check the candidates, then confirm",
            "POSSIBLE_DUPLICATE",
        )
    try:
        stored = await ctx.stores.students.insert_new(dossier, ctx.stamp(), Change("ENROLLED", {"school": (None, school.code)}))
    except EnrolledElsewhere as exc:
        other = await ctx.loaders.school.load(exc.existing.status.school_code)
        assert other is not None
        raise EnrolledElsewhereError(other, school) from exc
    return StudentRow(stored, tuple(missing_fields(stored))), candidates


@dataclass(frozen=True)
class DossierUpdate:
    number: str
    basic: BasicData | None
    id_document: IdDocument | None
    guardians: tuple[Guardian, ...] | None
    flags: Flags | None
    class_name: str | None
    study_mode: str | None


# `write_with_identity`: the new identity is someone else's, or the dossier changed meanwhile.
IDENTITY_WRITE_CODES = declared("ENROLLED_ELSEWHERE", "CONFLICT")
UPDATE_CODES = declared(
    *LOOKUP_CODES, *ROLE_CODES, "KEY_DATA_NEEDS_CORRECTION", "NOTHING_TO_CHANGE", *DOSSIER_CODES, *IDENTITY_WRITE_CODES
)


async def update(ctx: Session, u: DossierUpdate) -> StudentRow:
    row, school = await student_in_scope(ctx, u.number)
    access.require_school_registrar(ctx.account, school)
    before = row.dossier
    after = before
    changes: dict[str, tuple[object, object]] = {}
    if u.basic is not None:
        changed = basic_changes(before.basic, u.basic)
        changes.update(changed)
        after = replace(after, basic=u.basic)
    if u.id_document is not None and u.id_document != before.id_document:
        changes["id_document"] = (before.id_document, u.id_document)
        number = permanent_number(u.id_document)
        aliases = before.aliases
        if number and number != before.number:
            aliases = (*before.aliases, before.number)
            changes["number"] = (before.number, number)  # a key change (Art. 7): the old number becomes an alias
        after = replace(after, id_document=u.id_document, number=number or before.number, aliases=aliases)
    if before.verification is Verification.VERIFIED:
        key = [k for k in changes if k in (*KEY_FIELDS, "id_document")]
        if key:
            raise DomainError(
                key[0], "verified key data changes only through a correction request (Art. 10)", "KEY_DATA_NEEDS_CORRECTION"
            )
    if u.guardians is not None and u.guardians != before.guardians:
        changes["guardians"] = (before.guardians, u.guardians)
        after = replace(after, guardians=u.guardians)
    if u.flags is not None and u.flags != before.flags:
        changes["flags"] = (before.flags, u.flags)
        after = replace(after, flags=u.flags)
    status = before.status
    if u.class_name is not None and u.class_name.strip() != status.class_name:
        changes["class_name"] = (status.class_name, u.class_name.strip())
        status = replace(status, class_name=u.class_name.strip())
    if u.study_mode is not None and u.study_mode != status.study_mode:
        changes["study_mode"] = (status.study_mode, u.study_mode)
        status = replace(status, study_mode=u.study_mode)
    after = replace(after, status=status)
    if not changes:
        raise DomainError(None, "nothing differs from the dossier", "NOTHING_TO_CHANGE")
    if before.verification is Verification.RETURNED:
        after = replace(after, verification=Verification.UNVERIFIED)  # resubmitted for 核准
    check_dossier(after)
    await write_with_identity(ctx, before, after, school, Change("UPDATED", changes))
    return StudentRow(replace(after, version=before.version + 1), tuple(missing_fields(after)))


async def write_with_identity(ctx: Session, before: Dossier, after: Dossier, school: School, change: Change) -> None:
    """Write a changed dossier with its change of record; a new identity is claimed first
    (Art. 8) and the old claim released after, so that a failure in between never frees an
    identity still in use."""
    new_key, old_key = after.id_document.key, before.id_document.key
    if new_key and new_key != old_key:
        holder = await ctx.stores.students.claim_identity(new_key, before.id)
        if holder is not None:
            other = await ctx.loaders.school.load(holder.status.school_code)
            assert other is not None
            raise EnrolledElsewhereError(other, school)
    if not await ctx.stores.students.replace(before, after, ctx.stamp(), change):
        if new_key and new_key != old_key:
            await ctx.stores.students.release_identity(new_key, before.id)
        raise DomainError(None, "the dossier was changed meanwhile; reload it and try again", "CONFLICT")
    if old_key and old_key != new_key:
        await ctx.stores.students.release_identity(old_key, before.id)


VERIFY_CODES = declared(*LOOKUP_CODES, *ROLE_CODES, "ALREADY_VERIFIED", "INCOMPLETE", "REASON_REQUIRED", "CONFLICT")


async def verify(ctx: Session, number: str, approve: bool, note: str | None) -> StudentRow:
    """核准 (Art. 6): the supervising department verifies a new dossier or returns it."""
    row, school = await student_in_scope(ctx, number)
    access.require_verifier(ctx.account, school)
    before = row.dossier
    if before.verification is Verification.VERIFIED:
        raise DomainError("number", "this dossier is already verified", "ALREADY_VERIFIED")
    if approve and row.missing:
        raise DomainError("number", "the dossier is incomplete: " + ", ".join(row.missing), "INCOMPLETE")
    if not approve and not (note or "").strip():
        raise DomainError("reason", "say what the school must fix", "REASON_REQUIRED")
    state = Verification.VERIFIED if approve else Verification.RETURNED
    after = replace(before, verification=state, verification_note=None if approve else note)
    change = Change(state.value, {"verification": (before.verification.value, state.value)}, reason=note)
    if not await ctx.stores.students.replace(before, after, ctx.stamp(), change):
        raise DomainError(None, "the dossier was changed meanwhile; reload it and try again", "CONFLICT")
    return StudentRow(replace(after, version=before.version + 1), row.missing)


ANOTHER_BUSINESS_OPEN = "ANOTHER_BUSINESS_OPEN"
BUSINESS_CODES = declared(ANOTHER_BUSINESS_OPEN)  # `open_business`, `require_no_open_business`


async def open_business(ctx: Session, dossier_id: str, business_id: str) -> None:
    """One open business per student (the national system's 'another business is open')."""
    students = ctx.stores.students
    if await students.lock_business(dossier_id, business_id, ctx.stamp()):
        return
    current = await students.by_id(dossier_id)
    holder = current.open_business if current else None
    if current is not None and holder and not await _business_open(ctx, current):
        # A lock whose business was never written (an interrupted request): take it over.
        await students.release_business(dossier_id, holder, ctx.stamp())
        if await students.lock_business(dossier_id, business_id, ctx.stamp()):
            return
    raise await another_business_open(ctx, holder)


async def require_no_open_business(ctx: Session, dossier: Dossier) -> None:
    """Say so first when another business is open, before judging the new request."""
    if dossier.open_business and await _business_open(ctx, dossier):
        raise await another_business_open(ctx, dossier.open_business)


class AnotherBusinessOpen(DomainError):
    """One open business per student. The open business is named (id and kind) only to a
    caller who may see it; anyone else learns only that there is one."""

    def __init__(self, business_id: str | None, kind: str | None) -> None:
        named = f" ({kind} {business_id}); finish or withdraw it first" if business_id else ""
        super().__init__("number", f"another business is open for this student{named}", ANOTHER_BUSINESS_OPEN)
        self.business_id = business_id
        self.business_kind = kind


async def another_business_open(ctx: Session, holder: str | None) -> AnotherBusinessOpen:
    from application.cases import case_in_scope  # imports this module
    from application.corrections import correction_in_scope

    try:
        if holder and holder.startswith("case-"):
            return AnotherBusinessOpen(holder, (await case_in_scope(ctx, holder)).kind.value)
        if holder and holder.startswith("correction-"):
            await correction_in_scope(ctx, holder)
            return AnotherBusinessOpen(holder, "CORRECTION")
    except NotFound:
        pass
    return AnotherBusinessOpen(None, None)


STALE_BUSINESS = timedelta(minutes=2)  # a lock is taken before its case or correction is written


async def _business_open(ctx: Session, dossier: Dossier) -> bool:
    """The dossier's business lock stands: its case or correction exists, or it was taken
    so recently that the request taking it may still be writing it."""
    business_id = dossier.open_business
    if business_id is None:
        return False
    since = dossier.open_business_since
    if since is not None and datetime.now(UTC) - since < STALE_BUSINESS:
        return True
    if business_id.startswith("correction-"):
        return await ctx.stores.corrections.exists(business_id)
    if business_id.startswith("case-"):
        return await ctx.stores.cases.exists(business_id)
    return True


def new_business_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:16]}"
