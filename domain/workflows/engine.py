"""The workflow engine: opening a case, deciding its steps in order, withdrawing it,
escalating overdue steps. Pure: callers load facts and store the results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.access import WRITER_CODES, require_writer
from domain.accounts import Account, Role
from domain.calendar import WorkingCalendar
from domain.dossier import Dossier
from domain.error_codes import declared
from domain.errors import DomainError, PermissionDenied
from domain.evidence import EvidenceKind
from domain.jurisdiction import School, area_ancestors


class CaseKind(StrEnum):
    TRANSFER = "TRANSFER"  # 转学 (Art. 11)
    SPECIAL_PLACEMENT = "SPECIAL_PLACEMENT"  # 特殊教育 / 随班就读 / 工读 (Art. 12)
    SUSPENSION = "SUSPENSION"  # 休学 (Art. 13)
    SUSPENSION_EXTENSION = "SUSPENSION_EXTENSION"  # 延长休学 (Art. 13(3))
    RESUMPTION = "RESUMPTION"  # 复学 (Art. 13(3))
    ABROAD = "ABROAD"  # 出境就读 (Art. 13(4))
    RETURN_FROM_ABROAD = "RETURN_FROM_ABROAD"  # 回国接续学籍 (Art. 13(4))
    DROPOUT_REPORT = "DROPOUT_REPORT"  # 辍学报告 (Art. 14)
    SKIP_GRADE = "SKIP_GRADE"  # 跳级 (Art. 15)
    DEATH = "DEATH"  # 死亡注销 (Art. 16)
    MISSING_REPORT = "MISSING_REPORT"  # 失踪 / 被刑事拘留报告 (Art. 16)
    SANCTION_RECORD = "SANCTION_RECORD"  # 记录处分: no transfer while it lasts (Art. 11(4))
    SANCTION_END = "SANCTION_END"  # 解除处分 (Art. 11(4))


class Party(StrEnum):
    """Who acts, relative to the case: the student's current school and its supervising
    department, or the other school of the case (the receiving school of a transfer)."""

    STUDENT_SCHOOL = "STUDENT_SCHOOL"
    STUDENT_SUPERVISOR = "STUDENT_SUPERVISOR"
    TARGET_SCHOOL = "TARGET_SCHOOL"
    TARGET_SUPERVISOR = "TARGET_SUPERVISOR"
    # The education department of the county of the student's household registration, to
    # which a migrant child's archive is handed over (Art. 14(2)); named, it sees the case.
    HOUSEHOLD_DEPARTMENT = "HOUSEHOLD_DEPARTMENT"

    @property
    def is_school(self) -> bool:
        return self in (Party.STUDENT_SCHOOL, Party.TARGET_SCHOOL)


class CaseState(StrEnum):
    OPEN = "OPEN"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class Decision(StrEnum):
    APPROVE = "APPROVE"
    RETURN = "RETURN"  # back to the previous step, with the reason
    REJECT = "REJECT"
    FORCE = "FORCE"  # the level above approves an overdue step (Art. 11(3) 强制干预)


@dataclass(frozen=True)
class EvidenceFact:
    """A document of the student offered as evidence, as the store knows it."""

    document_id: str
    kind: EvidenceKind
    content_type: str


@dataclass(frozen=True)
class Facts:
    """Everything the rules of a kind look at when a case is opened."""

    dossier: Dossier
    school: School
    target: School | None
    grounds: str | None
    params: dict[str, Any]
    today: date


Guard = Callable[[Facts], None]  # raises DomainError when the case may not be opened
Effect = Callable[[Dossier, "Case"], Dossier]
Condition = Callable[[dict[str, Any]], bool]  # on the case's grounds and params


def always(_: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class EvidenceRule:
    kind: EvidenceKind
    image_only: bool = False  # e.g. the signed, sealed skip-grade form (Art. 15)
    when: Condition = always


@dataclass(frozen=True)
class Step:
    name: str
    party: Party
    deadline_days: int | None = 10
    evidence: tuple[EvidenceRule, ...] = ()
    when: Condition = always
    effect: Effect | None = None  # applied when this step approves (before the last)
    confirms_warnings: bool = False  # this step must override the case's warnings with a reason
    due_rule: Callable[[date], date] | None = None  # a due date by rule (e.g. the end of term) instead of days
    # False: while the case waits at this step it is no longer the student's open business,
    # so other business (a resumption) can be opened; the rule of one open business holds
    # for every step that keeps the default.
    holds_business: bool = True
    receiving: Party | None = None  # a handover step: the party it hands over to


@dataclass(frozen=True)
class Definition:
    kind: CaseKind
    article: str
    title: str
    opened_by: Party
    steps: tuple[Step, ...]
    effect: Effect  # applied when the last step approves
    grounds: tuple[str, ...] = ()
    needs_target: bool = False
    open_evidence: tuple[EvidenceRule, ...] = ()
    guards: tuple[Guard, ...] = ()
    warnings: tuple[Callable[[Facts], str | None], ...] = ()
    params: tuple[str, ...] = ()  # the parameters a client gives
    derive: Callable[[Facts], dict[str, Any]] | None = None  # parameters read off the dossier
    more_parties: Callable[[Facts], dict[Party, str]] | None = None  # e.g. the household department


@dataclass(frozen=True)
class CaseEvent:
    at: datetime
    actor: str
    role: str
    action: str  # OPENED, APPROVED, RETURNED, REJECTED, FORCED, WITHDRAWN, ESCALATED, COMPLETED
    step: str | None
    comment: str | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    kind: CaseKind
    dossier_id: str
    number: str
    parties: dict[str, str]  # Party → school code or department area code
    grounds: str | None
    params: dict[str, Any]
    warnings: tuple[str, ...]
    state: CaseState
    step: int  # index into the case's active steps
    step_started: date
    due: date | None
    provisional: bool
    opened_by: str
    opened_at: datetime
    events: tuple[CaseEvent, ...] = ()
    escalated_to: str | None = None  # the area code of the level above, once overdue
    evidence: tuple[str, ...] = ()
    version: int = 1
    effects_applied: int = 0  # effect slots written to the dossier (see `pending_effects`)


def active_steps(definition: Definition, case_grounds: str | None, params: dict[str, Any]) -> tuple[Step, ...]:
    facts = {"grounds": case_grounds, **params}
    return tuple(s for s in definition.steps if s.when(facts))


def release_business(d: Dossier, case: Case) -> Dossier:
    """The case stops being the student's open business (see `Step.holds_business`)."""
    return replace(d, open_business=None) if d.open_business == case.id else d


def _then_release(effect: Effect | None) -> Effect:
    def both(d: Dossier, case: Case) -> Dossier:
        return release_business(effect(d, case) if effect else d, case)

    return both


def step_effect(steps: tuple[Step, ...], i: int) -> Effect | None:
    """Step i's effect, plus the release of the business when the case moves on to a step
    that does not hold it."""
    effect = steps[i].effect
    if i + 1 < len(steps) and steps[i].holds_business and not steps[i + 1].holds_business:
        return _then_release(effect)
    return effect


def pending_effects(definition: Definition, case: Case) -> tuple[int, tuple[Effect, ...]]:
    """The effects decided but not yet written to the dossier, and the slot count once they
    are. Slot i < n is step i's own effect; slot n (n = number of steps) is the final effect.
    Recording progress in slots makes applying them resumable after any interruption."""
    steps = active_steps(definition, case.grounds, case.params)
    if case.state is CaseState.COMPLETED:
        upto = len(steps) + 1
    elif case.state is CaseState.OPEN:
        upto = case.step
    else:
        return case.effects_applied, ()
    slots: list[Effect | None] = [step_effect(steps, i) for i in range(len(steps))] + [definition.effect]
    effects = tuple(e for e in slots[case.effects_applied : upto] if e is not None)
    return max(upto, case.effects_applied), effects


def current_step(definition: Definition, case: Case) -> Step:
    return active_steps(definition, case.grounds, case.params)[case.step]


def parties_of(school: School, target: School | None) -> dict[str, str]:
    parties = {Party.STUDENT_SCHOOL.value: school.code, Party.STUDENT_SUPERVISOR.value: school.supervisor_code}
    if target is not None:
        parties[Party.TARGET_SCHOOL.value] = target.code
        parties[Party.TARGET_SUPERVISOR.value] = target.supervisor_code
    return parties


def acts_as(account: Account, party: Party, parties: dict[str, str]) -> bool:
    code = parties.get(party.value)
    if code is None or account.disabled:
        return False
    if party.is_school:
        return account.role is Role.SCHOOL_REGISTRAR and account.scope_code == code
    return account.is_department and account.scope_code == code


def level_above(party: Party, parties: dict[str, str]) -> str:
    """Who may force an overdue step: a school's supervising department; above a
    department, the department of the next level (county → city → province)."""
    if party is Party.STUDENT_SCHOOL:
        return parties[Party.STUDENT_SUPERVISOR.value]
    if party is Party.TARGET_SCHOOL:
        return parties[Party.TARGET_SUPERVISOR.value]
    code = parties[party.value]
    above = area_ancestors(code)
    return above[0] if above else code


EVIDENCE_CODES = declared("EVIDENCE_REQUIRED")  # `check_evidence`


def check_evidence(rules: tuple[EvidenceRule, ...], case_facts: dict[str, Any], offered: tuple[EvidenceFact, ...]) -> None:
    for rule in rules:
        if not rule.when(case_facts):
            continue
        matching = [e for e in offered if e.kind is rule.kind]
        if not matching:
            raise DomainError("evidence", f"attach the {rule.kind.value} scan", "EVIDENCE_REQUIRED")
        if rule.image_only and not any(e.content_type.startswith("image/") for e in matching):
            raise DomainError("evidence", f"the {rule.kind.value} must be an image of the signed, sealed form", "EVIDENCE_REQUIRED")


def _deadline(step: Step, start: date, calendar: WorkingCalendar) -> tuple[date | None, bool]:
    if step.due_rule is not None:
        return step.due_rule(start), False
    if step.deadline_days is None:
        return None, False
    d = calendar.add_working_days(start, step.deadline_days)
    return d.due, d.provisional


# What `open_case` refuses itself; each definition's guards add theirs
# (`domain.workflows.definitions.GUARD_CODES`).
OPEN_CODES = declared(
    *WRITER_CODES, "INVALID_GROUNDS", "TARGET_REQUIRED", "OTHER_SCHOOL", "INVALID_VALUE", "WRONG_OPENER", *EVIDENCE_CODES
)


def open_case(
    definition: Definition,
    facts: Facts,
    account: Account,
    *,
    case_id: str,
    now: datetime,
    calendar: WorkingCalendar,
    evidence: tuple[EvidenceFact, ...],
    comment: str | None,
) -> Case:
    require_writer(account)
    if definition.grounds and facts.grounds not in definition.grounds:
        raise DomainError("grounds", f"one of {', '.join(definition.grounds)} ({definition.article})", "INVALID_GROUNDS")
    if not definition.grounds and facts.grounds:
        raise DomainError("grounds", f"{definition.kind.value} takes no grounds", "INVALID_GROUNDS")
    if definition.needs_target and facts.target is None:
        raise DomainError("targetSchoolCode", "name the other school", "TARGET_REQUIRED")
    if not definition.needs_target and facts.target is not None:
        raise DomainError(
            "targetSchoolCode", f"a {definition.kind.value} case stays within the student's school", "OTHER_SCHOOL"
        )
    unknown = set(facts.params) - set(definition.params)
    if unknown:
        raise DomainError("params", f"{definition.kind.value} does not take {', '.join(sorted(unknown))}", "INVALID_VALUE")
    if definition.derive is not None:
        facts = replace(facts, params={**facts.params, **definition.derive(facts)})
    parties = parties_of(facts.school, facts.target)
    if definition.more_parties is not None:
        parties.update({party.value: code for party, code in definition.more_parties(facts).items()})
    if not acts_as(account, definition.opened_by, parties):
        raise PermissionDenied(
            f"a {definition.kind.value} case is opened by the {definition.opened_by.value.lower().replace('_', ' ')} "
            f"({definition.article})",
            "WRONG_OPENER",
        )
    for guard in definition.guards:
        guard(facts)
    case_facts = {"grounds": facts.grounds, **facts.params}
    check_evidence(definition.open_evidence, case_facts, evidence)
    warnings = tuple(w for w in (warn(facts) for warn in definition.warnings) if w)
    steps = active_steps(definition, facts.grounds, facts.params)
    start = facts.params.get("informedOn") or now.date()
    due, provisional = _deadline(steps[0], start, calendar)
    if due is not None and due < now.date():
        warnings = (*warnings, "OVERDUE_AT_OPENING")  # e.g. a death reported late (Art. 16)
    return Case(
        id=case_id,
        kind=definition.kind,
        dossier_id=facts.dossier.id,
        number=facts.dossier.number,
        parties=parties,
        grounds=facts.grounds,
        params=facts.params,
        warnings=warnings,
        state=CaseState.OPEN,
        step=0,
        step_started=now.date(),
        due=due,
        provisional=provisional,
        opened_by=account.login,
        opened_at=now,
        events=(CaseEvent(now, account.login, account.role.value, "OPENED", None, comment, tuple(e.document_id for e in evidence)),),
        evidence=tuple(e.document_id for e in evidence),
    )


@dataclass(frozen=True)
class Outcome:
    case: Case
    effects: tuple[Effect, ...] = field(default_factory=tuple)  # to apply to the dossier, in order


DECIDE_CODES = declared(
    *WRITER_CODES, "NOT_OPEN", "NOT_ESCALATED", "WRONG_ACTOR", "REASON_REQUIRED", "CANNOT_RETURN", *EVIDENCE_CODES,
    "OVERRIDE_REQUIRED",
)


def decide(
    definition: Definition,
    case: Case,
    account: Account,
    decision: Decision,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    comment: str | None,
    evidence: tuple[EvidenceFact, ...],
    override_reason: str | None,
    prior_evidence: tuple[EvidenceFact, ...] = (),
) -> Outcome:
    """`evidence` is offered with this decision; `prior_evidence` was offered earlier in the case."""
    require_writer(account)
    if case.state is not CaseState.OPEN:
        raise DomainError("id", f"this case is {case.state.value.lower()}; nothing awaits a decision", "NOT_OPEN")
    steps = active_steps(definition, case.grounds, case.params)
    step = steps[case.step]
    if decision is Decision.FORCE:
        if case.escalated_to is None:
            raise DomainError("decision", "only an overdue, escalated step can be forced", "NOT_ESCALATED")
        if not (account.is_department and account.scope_code == case.escalated_to):
            raise PermissionDenied("the level above the overdue party forces the step", "WRONG_ACTOR")
        if not (comment or "").strip():
            raise DomainError("comment", "a forced step records why (Art. 11(3))", "REASON_REQUIRED")
    elif not acts_as(account, step.party, case.parties):
        raise PermissionDenied(
            f"this step ({step.name}) is for the {step.party.value.lower().replace('_', ' ')}", "WRONG_ACTOR"
        )
    offered = tuple(e.document_id for e in evidence)
    if decision in (Decision.RETURN, Decision.REJECT) and not (comment or "").strip():
        raise DomainError("comment", "say why", "REASON_REQUIRED")
    if decision is Decision.REJECT:
        event = CaseEvent(now, account.login, account.role.value, "REJECTED", step.name, comment)
        return Outcome(replace(case, state=CaseState.REJECTED, due=None, events=(*case.events, event)))
    if decision is Decision.RETURN:
        if case.step == 0:
            raise DomainError("decision", "the first step cannot be returned; reject it instead", "CANNOT_RETURN")
        if not step.holds_business and steps[case.step - 1].holds_business:
            # the student's business was released when the case reached this step
            raise DomainError("decision", "this step cannot go back to the one before it; reject it instead", "CANNOT_RETURN")
        back = case.step - 1
        due, provisional = _deadline(steps[back], now.date(), calendar)
        event = CaseEvent(now, account.login, account.role.value, "RETURNED", step.name, comment)
        return Outcome(
            replace(
                case, step=back, step_started=now.date(), due=due, provisional=provisional, escalated_to=None,
                events=(*case.events, event),
            )
        )
    case_facts = {"grounds": case.grounds, **case.params}
    check_evidence(step.evidence, case_facts, (*evidence, *prior_evidence))
    if step.confirms_warnings and case.warnings and not (override_reason or "").strip():
        raise DomainError(
            "overrideReason", f"this case has warnings ({', '.join(case.warnings)}); approving needs a reason", "OVERRIDE_REQUIRED"
        )
    action = "FORCED" if decision is Decision.FORCE else "APPROVED"
    note = comment if not override_reason else f"{comment or ''} [override: {override_reason}]".strip()
    events = [*case.events, CaseEvent(now, account.login, account.role.value, action, step.name, note, offered)]
    slot = step_effect(steps, case.step)
    effects: list[Effect] = [slot] if slot else []
    all_evidence = (*case.evidence, *offered)
    if case.step + 1 == len(steps):
        events.append(CaseEvent(now, "system", "SYSTEM", "COMPLETED", None))
        effects.append(definition.effect)
        done = replace(case, state=CaseState.COMPLETED, due=None, escalated_to=None, events=tuple(events), evidence=all_evidence)
        return Outcome(done, tuple(effects))
    nxt = case.step + 1
    due, provisional = _deadline(steps[nxt], now.date(), calendar)
    moved = replace(
        case, step=nxt, step_started=now.date(), due=due, provisional=provisional, escalated_to=None,
        events=tuple(events), evidence=all_evidence,
    )
    return Outcome(moved, tuple(effects))


WITHDRAW_CODES = declared(*WRITER_CODES, "NOT_OPEN", "WRONG_ACTOR")  # `withdraw`


def withdraw(definition: Definition, case: Case, account: Account, *, now: datetime, reason: str | None) -> Case:
    require_writer(account)
    if case.state is not CaseState.OPEN:
        raise DomainError("id", "only an open case can be withdrawn", "NOT_OPEN")
    if not acts_as(account, definition.opened_by, case.parties):
        raise PermissionDenied("the party that opened the case withdraws it", "WRONG_ACTOR")
    event = CaseEvent(now, account.login, account.role.value, "WITHDRAWN", None, reason)
    return replace(case, state=CaseState.WITHDRAWN, due=None, events=(*case.events, event))


def escalate(definition: Definition, case: Case, *, now: datetime) -> Case | None:
    """An open step past its due date goes to the level above, once (idempotent)."""
    if case.state is not CaseState.OPEN or case.due is None or case.escalated_to is not None:
        return None
    if now.date() <= case.due:
        return None
    step = current_step(definition, case)
    target = level_above(step.party, case.parties)
    event = CaseEvent(now, "system", "SYSTEM", "ESCALATED", step.name, f"overdue since {case.due.isoformat()}; escalated to {target}")
    return replace(case, escalated_to=target, events=(*case.events, event))
