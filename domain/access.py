"""Authorisation, decided here and only here, from role × scope (R-A4, Art. 3, 24).

Reads: `school_scope` / `area_scope` say which schools and areas an account sees; storage
turns a `SchoolScope` into a query filter, and `SchoolScope.contains` checks one school.
Writes: `require_writer` is the gate every mutation passes (R-A5, Art. 22), then the
action-specific checks below.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from domain.accounts import Account, Role
from domain.error_codes import declared
from domain.errors import PermissionDenied
from domain.jurisdiction import AreaLevel, School, area_ancestors, area_level, area_lineage

# The school fields a scope can constrain; each maps to an indexed field in storage.
SCHOOL_SCOPE_FIELDS = ("code", "supervisor_code", "area_code", "city_code", "province_code")


@dataclass(frozen=True)
class SchoolScope:
    """The schools an account may see: everything, or those matching any one condition
    (field, allowed values). An empty `any_of` means nothing at all."""

    everything: bool
    any_of: tuple[tuple[str, frozenset[str]], ...] = ()

    def contains(self, school: School) -> bool:
        if self.everything:
            return True
        values = {
            "code": school.code,
            "supervisor_code": school.supervisor_code,
            "area_code": school.area_code,
            "city_code": school.city_code,
            "province_code": school.province_code,
        }
        return any(values[field] in allowed for field, allowed in self.any_of)


NOTHING = SchoolScope(everything=False)
NO_TOKEN = "none:"  # matches no stored record


def school_tokens(school: School) -> tuple[str, ...]:
    """The scope tokens a school answers to, one per `SCHOOL_SCOPE_FIELDS` entry. Records
    seen through a school (dossiers, cases, audit events) carry the tokens of every school
    through which they are seen, so that any scope is one equality on one indexed array
    field — a filter every MongoDB-protocol server evaluates in the database."""
    return (
        f"code:{school.code}",
        f"supervisor_code:{school.supervisor_code}",
        f"area_code:{school.area_code}",
        f"city_code:{school.city_code}",
        f"province_code:{school.province_code}",
    )


def area_tokens(area_code: str) -> tuple[str, ...]:
    """The scope tokens of a record about a whole area rather than one school (an export of
    an area's dossiers, Art. 24): its county department (`supervisor_code`), and the
    departments, archivists and auditors of the area and of every area above it."""
    return (f"supervisor_code:{area_code}", *(f"{area_field(a)}:{a}" for a in area_lineage(area_code)))


def scope_token(scope: SchoolScope) -> str | None:
    """The one token a scope filters by; None for every school. Every role's scope is one
    condition (see `school_scope`)."""
    if scope.everything:
        return None
    if not scope.any_of:
        return NO_TOKEN
    ((field_name, values),) = scope.any_of
    (value,) = values
    return f"{field_name}:{value}"


def area_field(area_code: str) -> str:
    """The school field that places a school under an area of that code's level."""
    return {
        AreaLevel.COUNTY: "area_code",
        AreaLevel.CITY: "city_code",
        AreaLevel.PROVINCE: "province_code",
    }[area_level(area_code)]


def school_scope(account: Account) -> SchoolScope:
    if account.disabled:
        return NOTHING
    if account.role is Role.ADMIN:
        # Schools are reference data the admin maintains; dossiers are not (least privilege).
        return SchoolScope(everything=True)
    code = account.scope_code
    assert code is not None  # every other role has a scope (Account validates it)
    if account.role is Role.SCHOOL_REGISTRAR:
        return SchoolScope(False, (("code", frozenset({code})),))
    if account.role is Role.COUNTY_DEPARTMENT:
        # A county manages the schools it supervises, not the city's or province's
        # 直管学校 that happen to stand in the county (Art. 3).
        return SchoolScope(False, (("supervisor_code", frozenset({code})),))
    # Cities and the province oversee every school in their area, and their own 直管学校
    # (Art. 3). Archivists and auditors see the schools located in their area.
    return SchoolScope(False, ((area_field(code), frozenset({code})),))


@dataclass(frozen=True)
class AreaScope:
    """Areas an account sees: its own subtree, and the areas above it (the path to it)."""

    everything: bool
    subtree_prefix: str | None = None
    lineage: frozenset[str] = frozenset()

    def contains(self, code: str) -> bool:
        if self.everything or code in self.lineage:
            return True
        return self.subtree_prefix is not None and code.startswith(self.subtree_prefix)


def _prefix(area_code: str) -> str:
    level = area_level(area_code)
    return {AreaLevel.PROVINCE: area_code[:2], AreaLevel.CITY: area_code[:4], AreaLevel.COUNTY: area_code}[level]


def area_scope(account: Account, registrar_school: School | None = None) -> AreaScope:
    if account.disabled:
        return AreaScope(everything=False)
    if account.role is Role.ADMIN:
        return AreaScope(everything=True)
    if account.role is Role.SCHOOL_REGISTRAR:
        if registrar_school is None:
            return AreaScope(everything=False)
        return AreaScope(False, None, frozenset(area_lineage(registrar_school.area_code)))
    code = account.scope_code
    assert code is not None
    return AreaScope(False, _prefix(code), frozenset(area_lineage(code)))


def may_see_registrars(account: Account, visible_school_code: str) -> bool:
    """Registrar details of a school the account already sees (Art. 22 备案): for the
    departments over it, the admin, and the school's own registrar."""
    if account.disabled:
        return False
    if account.is_department or account.role is Role.ADMIN:
        return True
    return account.role is Role.SCHOOL_REGISTRAR and account.scope_code == visible_school_code


def audit_school_filter(account: Account) -> SchoolScope | None:
    """Auditors read the audit trail of the schools in their area; nobody else reads it."""
    if account.disabled or account.role is not Role.AUDITOR:
        return None
    code = account.scope_code or ""
    if area_level(code) is AreaLevel.PROVINCE:
        return SchoolScope(everything=True)  # the whole trail, events without a school too
    return school_scope(account)


def student_scope(account: Account) -> SchoolScope:
    """Dossiers are seen through their current school; the system admin sees none."""
    if account.role is Role.ADMIN:
        return NOTHING
    return school_scope(account)


def may_read_personal(account: Account, school: School) -> bool:
    """Unmasked identifiers, addresses, phones and health data (Art. 24, R-A6): for the
    school's own registrar and its supervising department, who need them to work."""
    if account.disabled:
        return False
    own = account.role is Role.SCHOOL_REGISTRAR and account.scope_code == school.code
    return own or supervises(account, school)


# -- writes -----------------------------------------------------------------------------

# What `require_writer` refuses, and what the gates built on it add (PERMISSION_DENIED).
WRITER_CODES = declared("ACCOUNT_DISABLED", "READ_ONLY_ROLE", "REGISTRAR_NOT_TRAINED")
ROLE_CODES = declared(*WRITER_CODES, "PERMISSION_DENIED")


def require_writer(account: Account) -> None:
    """The gate in front of every mutation."""
    if account.disabled:
        raise PermissionDenied("this account is disabled", "ACCOUNT_DISABLED")
    if account.role is Role.AUDITOR:
        raise PermissionDenied("auditors have read-only access", "READ_ONLY_ROLE")
    if account.role is Role.SCHOOL_REGISTRAR and not account.trained:
        # Art. 22: registrars are trained before they take up the post (先培训后上岗).
        raise PermissionDenied(
            "this registrar has no recorded training yet; writes are allowed after training (Art. 22)",
            "REGISTRAR_NOT_TRAINED",
        )


def supervises(account: Account, school: School) -> bool:
    """The account belongs to the school's supervising department (学籍主管部门, R-A2)."""
    return account.is_department and account.scope_code == school.supervisor_code


def require_school_maintainer(account: Account, school: School) -> None:
    """School contact and paper-archive details: the school's registrar or its supervisor."""
    require_writer(account)
    own_school = account.role is Role.SCHOOL_REGISTRAR and account.scope_code == school.code
    if not (own_school or supervises(account, school)):
        raise PermissionDenied("only the school's registrar or its supervising department may change it")


def require_training_recorder(account: Account, registrar_school: School) -> None:
    """Art. 22: registrar details are filed with (备案) the level above, which records
    their training: the supervising department of the registrar's school."""
    require_writer(account)
    if not supervises(account, registrar_school):
        raise PermissionDenied("only the supervising department of the registrar's school records training")


def require_school_registrar(account: Account, school: School) -> None:
    """Enrolment and dossier upkeep: the registrar of that school keys them in (Art. 6)."""
    require_writer(account)
    if not (account.role is Role.SCHOOL_REGISTRAR and account.scope_code == school.code):
        raise PermissionDenied("only the school's registrar keys in its students' records")


def require_verifier(account: Account, school: School) -> None:
    """核准 of new dossiers: the school's supervising department (Art. 6)."""
    require_writer(account)
    if not supervises(account, school):
        raise PermissionDenied("only the school's supervising department verifies its dossiers")


def require_schema_publisher(account: Account) -> None:
    """The province extends the dossier sections (Art. 3: 省级统筹)."""
    require_writer(account)
    if account.role is not Role.PROVINCE_DEPARTMENT:
        raise PermissionDenied("only the province publishes section schemas")


def require_admin(account: Account) -> None:
    """System administration (the working calendar): the admin only."""
    require_writer(account)
    if account.role is not Role.ADMIN:
        raise PermissionDenied("only the system admin does this")


# -- accounts (R-A4; Art. 3, 21, 22) ----------------------------------------------------

_LEVEL_RANK = {AreaLevel.PROVINCE: 0, AreaLevel.CITY: 1, AreaLevel.COUNTY: 2}


def area_contains(area_code: str, code: str) -> bool:
    """`code` is the area `area_code` or lies under it."""
    return code.startswith(_prefix(area_code))


def require_account_administrator(account: Account) -> None:
    """Accounts are administered by the system admin and by the departments (Art. 3, 21);
    registrars, archivists and auditors administer none."""
    require_writer(account)
    if not (account.role is Role.ADMIN or account.is_department):
        raise PermissionDenied("only the system admin and the education departments administer accounts")


def may_see_account(actor: Account, target: Account, registrar_school: School | None) -> bool:
    """Accounts an administrator may look up; any other is reported as missing (Art. 24).
    The admin sees every account; a department its own and those scoped inside its area —
    registrars of the schools it sees, other accounts of its area or below."""
    if actor.disabled:
        return False
    if actor.role is Role.ADMIN or actor.login == target.login:
        return True
    if not actor.is_department or target.role is Role.ADMIN or actor.scope_code is None:
        return False
    if target.role is Role.SCHOOL_REGISTRAR:
        return registrar_school is not None and school_scope(actor).contains(registrar_school)
    return target.scope_code is not None and area_contains(actor.scope_code, target.scope_code)


def may_manage_account(actor: Account, target: Account, registrar_school: School | None) -> bool:
    """Who creates, disables and re-enables an account (R-A4, Art. 21): the system admin,
    any account but its own; a department, inside its own area only — registrars of the
    schools it supervises (学籍主管部门, Art. 3), departments of a lower level (the province
    its cities and counties, a city its counties, a county none), and, for a city or the
    province, archivists and auditors of its area or an area below (they see every school
    located in their area, which a county department does not). Never an admin, never a
    department of its own level or above, never its own account."""
    if actor.disabled or actor.login == target.login:
        return False
    if actor.role is Role.ADMIN:
        return True
    if not actor.is_department or actor.scope_code is None or target.role is Role.ADMIN:
        return False
    if target.role is Role.SCHOOL_REGISTRAR:
        school = registrar_school
        return school is not None and school.code == target.scope_code and supervises(actor, school)
    area = target.scope_code
    if area is None or not area_contains(actor.scope_code, area):
        return False
    if target.is_department:
        return _LEVEL_RANK[area_level(area)] > _LEVEL_RANK[area_level(actor.scope_code)]
    # Archivists and auditors see every school located in their area, the city's and the
    # province's directly managed schools among them (Art. 3), which a county department
    # does not see itself (it sees the schools it supervises); a city or the province sees
    # every school located in its area. So no account is given more than its creator sees
    # (Art. 24), a county creates none of them.
    return actor.role is not Role.COUNTY_DEPARTMENT


def require_account_manager(actor: Account, target: Account, registrar_school: School | None) -> None:
    require_account_administrator(actor)
    if not may_manage_account(actor, target, registrar_school):
        raise PermissionDenied(
            "an account is created, disabled or re-enabled by the admin, or by a department for its own area below "
            "its own level (never an admin, never its own account)"
        )


def filing_department(target: Account, registrar_school: School | None) -> str | None:
    """Art. 22: an account holder's details are filed (备案) with the education department
    one level up — a registrar's with its school's supervising department, a county's
    accounts with the city, a city's with the province. None for the province's accounts
    and the admin's, filed outside this system: the admin records those."""
    if target.role is Role.SCHOOL_REGISTRAR:
        return registrar_school.supervisor_code if registrar_school is not None else None
    if target.scope_code is None:
        return None
    above = area_ancestors(target.scope_code)
    return above[0] if above else None


def may_record_filing(actor: Account, target: Account, registrar_school: School | None) -> bool:
    if actor.disabled or (target.role is Role.SCHOOL_REGISTRAR and registrar_school is None):
        return False
    department = filing_department(target, registrar_school)
    if department is None:
        return actor.role is Role.ADMIN
    return actor.is_department and actor.scope_code == department


def require_filing_recorder(actor: Account, target: Account, registrar_school: School | None) -> None:
    require_account_administrator(actor)
    if not may_record_filing(actor, target, registrar_school):
        raise PermissionDenied("the filing (备案) is recorded by the department one level above the account (Art. 22)")


# -- term re-verification (Art. 3, 23, 25) ----------------------------------------------


def may_see_reverification(account: Account, department_code: str, school_codes: Collection[str]) -> bool:
    """A term's re-verification is seen by the departments and auditors whose area holds
    the department that runs it (the level above oversees it, Art. 25), and by the
    registrars of its schools, each for its own school's part only."""
    if account.disabled or account.scope_code is None:
        return False
    if account.role is Role.SCHOOL_REGISTRAR:
        return account.scope_code in school_codes
    if account.is_department or account.role is Role.AUDITOR:
        return area_contains(account.scope_code, department_code)
    return False


def may_see_reverification_school(account: Account, department_code: str, school_code: str) -> bool:
    """One school's part of a re-verification (its roster, result and discrepancies): its
    own registrar, and the departments and auditors who see the re-verification."""
    if account.role is Role.SCHOOL_REGISTRAR:
        return not account.disabled and account.scope_code == school_code
    return may_see_reverification(account, department_code, ())


def require_reverification_department(account: Account, department_code: str | None = None) -> None:
    """Opening a re-verification, deciding the schools' results, waiving their tasks and
    closing it: the education department that supervises the schools (学籍主管部门, Art. 3),
    which re-verifies every term (Art. 23); with a code, that department only."""
    require_writer(account)
    if not account.is_department or (department_code is not None and account.scope_code != department_code):
        raise PermissionDenied("only the department that runs this re-verification does this (Art. 3, 23)")


def require_follow_up_recorder(account: Account, school: School) -> None:
    """A discrepancy's follow-up is recorded by the school's registrar, who opens the
    business, or by its supervising department."""
    require_writer(account)
    own_school = account.role is Role.SCHOOL_REGISTRAR and account.scope_code == school.code
    if not (own_school or supervises(account, school)):
        raise PermissionDenied("only the school's registrar or its supervising department records the follow-up")


# -- the year-end change (Art. 17) ------------------------------------------------------


def may_run_year_end(account: Account, school: School) -> bool:
    """A school's year-end promotion and graduation: its own registrar, or its supervising
    department (学籍主管部门, Art. 3) for the schools it supervises."""
    if account.disabled:
        return False
    own_school = account.role is Role.SCHOOL_REGISTRAR and account.scope_code == school.code
    return own_school or supervises(account, school)


def require_year_end_runner(account: Account, school: School) -> None:
    require_writer(account)
    if not may_run_year_end(account, school):
        raise PermissionDenied("only the school's registrar or its supervising department runs its year-end change (Art. 17)")


def may_see_year_end(account: Account, school: School) -> bool:
    """A year-end plan is seen by who may run it, and by the auditors of the school's area."""
    if account.role is Role.AUDITOR:
        return not account.disabled and school_scope(account).contains(school)
    return may_run_year_end(account, school)


def require_progression_recorder(account: Account, school: School) -> None:
    """Progression placements (升学) at a junior school: the receiving school's registrar,
    or its supervising department, from the admission list it holds (Art. 17)."""
    require_writer(account)
    own_school = account.role is Role.SCHOOL_REGISTRAR and account.scope_code == school.code
    if not (own_school or supervises(account, school)):
        raise PermissionDenied("only the receiving school's registrar or its supervising department places its new students")


def may_see_unplaced(account: Account, area_code: str) -> bool:
    """Children out of school after primary: the departments and auditors over the area."""
    if account.disabled or account.scope_code is None:
        return False
    if not (account.is_department or account.role is Role.AUDITOR):
        return False
    return area_contains(account.scope_code, area_code)


# -- archive handover after a transfer (Art. 9, 18, 19, 24) -----------------------------


def may_see_archive_handover(account: Account, sending: School | None, receiving: School | None) -> bool:
    """A transfer's archive handover is seen by whoever sees the sending or the receiving
    school's students: their registrars, their departments, archivists and auditors of
    their areas (never the system admin, who sees no dossiers)."""
    if account.disabled:
        return False
    scope = student_scope(account)
    return any(school is not None and scope.contains(school) for school in (sending, receiving))


def require_handover_sender(account: Account, sending: School) -> None:
    """The sending school's registrar, who keeps its paper archive (Art. 9), sends the
    archive and records the paper copies it keeps (Art. 18, 19)."""
    require_writer(account)
    if not (account.role is Role.SCHOOL_REGISTRAR and account.scope_code == sending.code):
        raise PermissionDenied("only the sending school's registrar hands the archive over and records its copies (Art. 18, 19)")


def require_handover_receiver(account: Account, receiving: School) -> None:
    """The receiving school's registrar acknowledges receipt (Art. 18: 转入学校…接续档案)."""
    require_writer(account)
    if not (account.role is Role.SCHOOL_REGISTRAR and account.scope_code == receiving.code):
        raise PermissionDenied("only the receiving school's registrar acknowledges receipt of the archive (Art. 18)")
