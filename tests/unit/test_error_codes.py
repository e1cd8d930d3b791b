"""Exact error enums: each mutation's `…ErrorCode` (and `UploadErrorCode` of POST /uploads)
lists exactly the stable codes its code path can return, and every code is declared once,
with its description, in `domain/error_codes.py`.

The other half — a mutation returning a code its enum lacks — is also refused at run time:
`schema.errors.fail` raises instead of answering, so every API test that reaches an error
checks it for the path it takes.

How the codes are found (`tests/codegraph.py`), statically:
- a code is raised where a `DomainError` (or a subclass: `PermissionDenied`, `NotFound`,
  `EnrolledElsewhereError`, …) or an error factory (`refuse`, `identity._fail`) is
  constructed; the code is a string literal or a module-level constant, or, for a subclass
  or factory, the literal its caller passes (or the parameter's default);
- from the resolver of a mutation (its nested `body` included) every call is followed
  within domain/, application/, schema/, api/uploads.py and storage/scan_checks.py: names through the
  module's imports (`usecases.enrol`, `from domain.access import require_writer`), classes
  to their `__init__`/`__post_init__`, a function passed as a value (`asyncio.to_thread(
  inspect, …)`) as if called, and a method of an object of unknown class to every indexed
  method of that name (`input.basic.to_domain()`; GraphQL resolvers excepted, which only
  Strawberry calls), and `cls(…)` in a classmethod to that class;
- `schema.errors.audited` is reached from every resolver, and through it
  `application.audit.audited`: it turns a concurrent write (`ConcurrentWrite`, raised by
  storage/) into CONFLICT, so every mutation, all of which write, has CONFLICT.

Where it is not exact (each a deliberate approximation):
- constructing an error counts as raising it, and `except` clauses are not subtracted: a
  caught code still counts (`another_business_open` catches NOT_FOUND, which every path
  reaching it can return anyway);
- storage/ (other than the scan checks) is not followed: stores raise `ConcurrentWrite`
  only (see above), or `EnrolledElsewhere`, which the use case turns into a code here;
- branches are not told apart: a code counts if any path of a reached function raises it;
- calls of data (a guard taken from a workflow definition, a callback parameter) cannot be
  followed by name: each is listed in DYNAMIC_CALLS with why and what it resolves to, and an
  unlisted one fails the test;
- a call edge can be cut in PRUNED_CALLS when the callee's refusal cannot happen on that
  edge, each with the reason.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable, Iterator
from enum import Enum
from functools import cache
from typing import Any

import pytest

from domain.error_codes import DESCRIPTIONS
from tests.codegraph import CodeGraph

PACKAGES = ("domain", "application", "schema", "api", "storage", "scripts")
FOLLOWED = ("domain", "application", "schema")
FOLLOWED_FILES = ("api/uploads.py", "storage/scan_checks.py", "storage/check_pool.py")


def _workflow_callables(part: str) -> Callable[[], tuple[str, ...]]:
    """The callables of one part of every workflow definition, held there as data, as
    "module:qualname" keys (a closure counts as the function that builds it): "guards" and
    "warnings" (called when a case is opened), "effects" (applied as steps are approved)."""

    def keys() -> tuple[str, ...]:
        from domain.workflows.definitions import DEFINITIONS

        found: list[Callable[..., Any]] = []
        for d in DEFINITIONS.values():
            if part == "guards":
                found += d.guards
            elif part == "warnings":
                found += d.warnings
            else:
                found += [d.effect, *(s.effect for s in d.steps if s.effect)]
        names = {f"{f.__module__}:{f.__qualname__.split('.<locals>')[0]}" for f in found}
        return tuple(sorted(k for k in names if "<lambda>" not in k))

    return keys


WORKFLOW_DATA = "held as data by the workflow definitions (domain/workflows/definitions.py): every one of them"
NO_CODES = "raises no stable code"

# (function, local name called) → (why, what it resolves to)
DYNAMIC_CALLS: dict[tuple[str, str], tuple[str, Callable[[], tuple[str, ...]]]] = {
    ("domain.workflows.engine:open_case", "guard"): ("Definition.guards, " + WORKFLOW_DATA, _workflow_callables("guards")),
    ("domain.workflows.engine:open_case", "warn"): ("Definition.warnings, " + WORKFLOW_DATA, _workflow_callables("warnings")),
    ("domain.workflows.engine:_then_release", "effect"): ("a step's effect, " + WORKFLOW_DATA, _workflow_callables("effects")),
    ("application.cases:_write_effects", "effect"): ("the effects, " + WORKFLOW_DATA, _workflow_callables("effects")),
    ("application.persisted:register", "names_of"): (
        "the document check the resolver passes in (a lambda calling `_operation_names`, analysed in the resolver)", tuple
    ),
    ("application.audit:audited", "body"): ("the resolver's nested `body`, analysed as part of the resolver", tuple),
    ("application.reverification:change_result", "change"): (
        "the rule the use case passes as a lambda (analysed in the use case, which calls it there)", tuple
    ),
    ("schema.errors:fail", "error_type"): ("the mutation's error type: a Strawberry type; " + NO_CODES, tuple),
    ("schema.errors:fail", "extra"): ("extra error fields, named in the resolver (analysed there); " + NO_CODES, tuple),
    ("api.uploads:upload_endpoint", "stores"): ("opens the stores (storage/); " + NO_CODES, tuple),
    ("api.uploads:upload_endpoint", "authenticate"): (
        "api.auth.Authenticator checks the token and loads the account; it raises InvalidToken (answered 401 "
        "UNAUTHENTICATED, listed in NOT_DOMAIN_ERRORS), never a DomainError",
        tuple,
    ),
    ("application.session:_each", "fetch"): ("a store read behind a per-request loader (storage/); " + NO_CODES, tuple),
    ("application.reference_lists:_each", "write"): (
        "a list import's store write per record (storage/: `create_many`, `rename`, `relist`); " + NO_CODES, tuple
    ),
}

# (caller, callee) edges that are never followed, with why the callee's refusal cannot
# happen there.
VALID_AREA = (
    "normalises an area code that is valid on every mutation path: an account's scope code is validated "
    "when the Account is built (Account.__post_init__), and codes read from the store were validated when written"
)
ROW_REPORTED = (
    "a list's rows are checked one by one and each refusal is caught into the row's report (ListRowProblemCode, "
    "exact by ROW_CODES); the mutation itself answers ROWS_REFUSED"
)
PRUNED_CALLS: dict[tuple[str, str], str] = {
    ("domain.jurisdiction:area_level", "domain.jurisdiction:validate_area_code"): VALID_AREA,
    ("domain.jurisdiction:area_ancestors", "domain.jurisdiction:validate_area_code"): VALID_AREA,
    ("application.reference_lists:import_areas", "domain.reference_lists:check_area_row"): ROW_REPORTED,
    ("application.reference_lists:import_areas", "domain.reference_lists:refuse_duplicates"): ROW_REPORTED,
    ("application.reference_lists:import_schools", "domain.reference_lists:check_school_row"): ROW_REPORTED,
    ("application.reference_lists:import_schools", "domain.reference_lists:refuse_duplicates"): ROW_REPORTED,
    ("application.reference_lists:_placement_problem", "domain.reference_lists:check_placement_change"): ROW_REPORTED,
}

# Codes a path returns without constructing a DomainError, each with where it comes from.
NOT_DOMAIN_ERRORS: dict[str, dict[str, str]] = {
    "upload": {
        "UNAUTHENTICATED": "api.auth.unauthenticated answers 401 before the endpoint runs anything",
        "DATABASE_UNAVAILABLE": "the database driver's timeout, answered 503 by api/uploads.py and api/middleware.py, "
        "not a rule",
        "INTERNAL_SERVER_ERROR": "any unexpected exception, answered as JSON 500 by api/middleware.py",
    },
}


@cache
def whole_source() -> CodeGraph:
    return CodeGraph(PACKAGES)


@cache
def followed() -> CodeGraph:
    graph = CodeGraph(FOLLOWED, FOLLOWED_FILES)
    for (caller, callee), _why in PRUNED_CALLS.items():
        assert callee in graph.calls[caller], f"PRUNED_CALLS names an edge that is gone: {caller} → {callee}"
        graph.calls[caller].discard(callee)
    return graph


def _dynamic() -> dict[tuple[str, str], tuple[str, ...]]:
    return {site: resolve() for site, (_why, resolve) in DYNAMIC_CALLS.items()}


def mutations() -> Iterator[tuple[str, str, type[Enum]]]:
    """(mutation name, resolver key, its code enum) of every mutation resolver."""
    graph = followed()
    for key, f in graph.functions.items():
        decorators = [ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in f.node.decorator_list]
        if "strawberry.mutation" not in decorators:
            continue
        enum_name = next(
            ast.unparse(kw.value.elts[1])
            for call in ast.walk(f.node)
            if isinstance(call, ast.Call) and ast.unparse(call.func) == "audited"
            for kw in call.keywords
            if kw.arg == "errors" and isinstance(kw.value, ast.Tuple)
        )
        enum = getattr(importlib.import_module(f.module.name), enum_name)
        head, *rest = f.node.name.split("_")
        yield head + "".join(p.capitalize() for p in rest), key, enum


# Constructions that pass on a code decided elsewhere, and where that code comes from.
RELAYED = {
    "storage.scan_checks:inspection_of": "re-raises a refusal made in a check worker by the literal "
    "refuse(...) calls of storage/scan_checks.py, which this scan checks like any other (SCAN_CODES)",
}


def test_every_error_construction_carries_a_declared_code() -> None:
    graph = whole_source()
    assert graph.constructions, "no construction of a DomainError found: the scan is broken"
    free = [c for c in graph.constructions if c.code is None and c.function not in RELAYED]
    assert not free, "codes must be literals or constants, declared in domain/error_codes.py: " + "; ".join(
        f"{c.function} line {c.line}: {c.text}" for c in free
    )
    undeclared = sorted(
        {f"{c.code} ({c.function})" for c in graph.constructions if c.code not in DESCRIPTIONS and c.function not in RELAYED}
    )
    assert not undeclared, f"declare these codes in domain/error_codes.py: {undeclared}"


def test_every_declared_code_is_used_and_described() -> None:
    raised = {c.code for c in whole_source().constructions} | {
        code for extra in NOT_DOMAIN_ERRORS.values() for code in extra
    }
    assert sorted(set(DESCRIPTIONS) - raised) == [], "declared but never raised: remove them"
    assert all(len(text) > 20 and text.endswith(".") for text in DESCRIPTIONS.values())


def test_every_mutation_of_the_schema_is_checked() -> None:
    from strawberry.types.base import StrawberryObjectDefinition

    from schema import build_schema

    mutation = build_schema().get_type_by_name("Mutation")
    assert isinstance(mutation, StrawberryObjectDefinition)
    resolvers = sorted(key.rsplit(".", 1)[-1] for _, key, _ in mutations())
    assert resolvers == sorted(f.python_name for f in mutation.fields)


@pytest.mark.parametrize("name,key,enum", list(mutations()), ids=lambda v: v if isinstance(v, str) and ":" not in v else "")
def test_a_mutations_enum_is_exactly_what_it_can_return(name: str, key: str, enum: type[Enum]) -> None:
    codes, unexplained = followed().codes_from(key, _dynamic())
    assert not unexplained, f"calls of data not explained in DYNAMIC_CALLS: {sorted({(d.function, d.name) for d in unexplained})}"
    listed = set(enum.__members__)
    assert sorted(listed - codes) == [], f"{enum.__name__} lists codes {name} cannot return"
    assert sorted(codes - listed) == [], f"{name} can return codes {enum.__name__} lacks"


def test_the_upload_enum_is_exactly_what_post_uploads_can_return() -> None:
    from schema.documents.types import UploadErrorCode

    codes, unexplained = followed().codes_from("api.uploads:upload_endpoint", _dynamic())
    assert not unexplained, sorted({(d.function, d.name) for d in unexplained})
    codes |= set(NOT_DOMAIN_ERRORS["upload"])
    listed = set(UploadErrorCode.__members__)
    assert sorted(listed - codes) == [], "UploadErrorCode lists codes the upload cannot return"
    assert sorted(codes - listed) == [], "the upload can return codes UploadErrorCode lacks"


def test_enum_values_carry_the_registry_description() -> None:
    from schema import build_schema

    text = build_schema().as_str()
    for name, _, enum in mutations():
        assert f"enum {enum.__name__}" in text, name
    assert "The person already has a status at another school" in text


def test_the_workflow_callables_are_found() -> None:
    guards = _workflow_callables("guards")()
    assert "domain.workflows.definitions:_state_in" in guards
    assert "domain.workflows.definitions:_placement_guard" in guards
    assert "domain.workflows.definitions:_transfer_effect" in _workflow_callables("effects")()
    for part in ("guards", "warnings", "effects"):
        keys = _workflow_callables(part)()
        assert keys and all(k in followed().functions for k in keys), (part, keys)


def _groups() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(functions, the codes declared for them next to the rule): each group exact."""
    from domain import access, calendar, codes, corrections, dossier, enrolment, evidence, identity, reference_lists, sections
    from domain import student_number, text
    from domain.workflows import definitions, engine
    from application import cases as cases
    from application import corrections as corrections_uc
    from application import documents as documents
    from application import students as students
    from application import reference_lists as lists

    role_gates = (
        "require_school_maintainer", "require_training_recorder", "require_school_registrar", "require_verifier",
        "require_reverification_department", "require_follow_up_recorder",
    )
    return [
        (("domain.access:require_writer",), access.WRITER_CODES),
        *(((f"domain.access:{gate}",), access.ROLE_CODES) for gate in (*role_gates, "require_schema_publisher", "require_admin")),
        (("domain.text:clean_text", "domain.text:optional_text", "domain.text:required_text"), text.TEXT_CODES),
        (("domain.reference_lists:check_area_row", "domain.reference_lists:refuse_duplicates"), reference_lists.AREA_ROW_CODES),
        (
            ("domain.reference_lists:check_school_row", "domain.reference_lists:refuse_duplicates",
             "domain.reference_lists:check_placement_change"),
            reference_lists.SCHOOL_ROW_CODES,
        ),
        (("application.reference_lists:check_request",), lists.LIST_REQUEST_CODES),
        (("application.reference_lists:import_areas", "application.reference_lists:import_schools"), lists.LIST_ROWS_CODES),
        (("domain.codes:CodeTable.check",), codes.CODE_TABLE_CODES),
        (("domain.identity:parse_id_document",), identity.ID_DOCUMENT_CODES),
        (("domain.identity:check_agrees",), identity.ID_AGREEMENT_CODES),
        (("domain.dossier:check_dossier",), dossier.DOSSIER_CODES),
        (("domain.student_number:normalise_number",), student_number.NUMBER_CODES),
        (("domain.student_number:temporary_number",), student_number.TEMPORARY_NUMBER_CODES),
        (("domain.enrolment:check_grade_one_age",), enrolment.AGE_CODES),
        (("domain.enrolment:check_grade",), enrolment.GRADE_CODES),
        (("domain.evidence:require_uploader", "domain.evidence:require_archivist"), evidence.EVIDENCE_ROLE_CODES),
        (("storage.scan_checks:check_type", "storage.scan_checks:inspect"), evidence.SCAN_CODES),
        (("domain.corrections:check_request",), corrections.REQUEST_CODES),
        (("domain.corrections:require_requester",), corrections.REQUESTER_CODES),
        (("domain.corrections:require_decider",), corrections.DECIDER_CODES),
        (("domain.corrections:decide",), corrections.DECISION_CODES),
        (("domain.corrections:apply_changes",), corrections.APPLY_CODES),
        (("domain.calendar:check_override",), calendar.OVERRIDE_CODES),
        (("domain.sections:check_schema",), sections.SCHEMA_CODES),
        (("domain.sections:clean_entry", "domain.sections:validate_entry"), sections.ENTRY_CODES),
        (("domain.workflows.engine:check_evidence",), engine.EVIDENCE_CODES),
        (("domain.workflows.engine:decide",), engine.DECIDE_CODES),
        (("domain.workflows.engine:withdraw",), engine.WITHDRAW_CODES),
        (_workflow_callables("guards")(), definitions.GUARD_CODES),
        (("application.students:school_in_scope",), students.SCHOOL_LOOKUP_CODES),
        (("application.students:student_in_scope",), students.LOOKUP_CODES),
        (("application.students:enrol",), students.ENROL_CODES),
        (("application.students:write_with_identity",), students.IDENTITY_WRITE_CODES),
        (("application.students:update",), students.UPDATE_CODES),
        (("application.students:verify",), students.VERIFY_CODES),
        (("application.cases:evidence_facts",), cases.EVIDENCE_LOOKUP_CODES),
        (("application.cases:case_in_scope",), cases.CASE_LOOKUP_CODES),
        (("application.cases:open_status_case",), cases.OPEN_CASE_CODES),
        (("application.cases:decide_case",), cases.DECIDE_CASE_CODES),
        (("application.cases:withdraw_case",), cases.WITHDRAW_CASE_CODES),
        (("application.corrections:correction_in_scope",), corrections_uc.CORRECTION_LOOKUP_CODES),
        (("application.corrections:request",), corrections_uc.REQUEST_CORRECTION_CODES),
        (("application.corrections:decide_step",), corrections_uc.DECIDE_CORRECTION_CODES),
        (("application.corrections:withdraw",), corrections_uc.WITHDRAW_CORRECTION_CODES),
        (("application.documents:authorise_upload",), documents.AUTHORISE_UPLOAD_CODES),
        (("application.documents:store",), documents.STORE_CODES),
        (("application.documents:set_legal_hold",), documents.SET_LEGAL_HOLD_CODES),
        *_reverification_groups(),
    ]


def _reverification_groups() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    from domain import terms
    from domain.reverification import campaigns as c
    from domain.reverification import discrepancies as d
    from application import reverification as uc
    from application import reverification_tasks as tasks

    rule, dis, app, task = "domain.reverification.campaigns:", "domain.reverification.discrepancies:", "application.reverification:", "application.reverification_tasks:"
    return [
        (("domain.terms:parse_term",), terms.TERM_CODES),
        ((rule + "open_campaign",), c.OPEN_CODES),
        ((rule + "require_changeable",), c.RESULT_OPEN_CODES),
        ((rule + "confirm_roster",), c.CONFIRM_ROSTER_CODES),
        ((rule + "decide_result",), c.DECIDE_CODES),
        ((rule + "close_campaign",), c.CLOSE_CODES),
        ((dis + "correct_value",), d.VALUE_CODES),
        ((dis + "_add",), d.RAISE_CODES),
        ((dis + "_find",), d.FIND_CODES),
        ((dis + "require_task",), d.TASK_CODES),
        ((dis + "require_fitting_kind",), d.KIND_CODES),
        ((dis + "raise_left_without_change",), d.LEFT_CODES),
        ((dis + "raise_data_wrong",), d.DATA_CODES),
        ((dis + "raise_present_without_dossier",), d.PRESENT_CODES),
        ((dis + "withdraw",), d.WITHDRAW_CODES),
        ((dis + "link",), d.LINK_CODES),
        ((dis + "waive",), d.WAIVE_CODES),
        ((app + "campaign_in_scope",), uc.LOOKUP_CODES),
        ((app + "result_in_scope",), uc.RESULT_LOOKUP_CODES),
        ((app + "result_by_id",), uc.BY_ID_CODES),
        ((app + "open_reverification",), uc.OPEN_REVERIFICATION_CODES),
        ((app + "confirm_roster",), uc.CONFIRM_ROSTER_CODES),
        ((app + "decide_school",), uc.DECIDE_SCHOOL_CODES),
        ((app + "close_reverification",), uc.CLOSE_REVERIFICATION_CODES),
        ((task + "_one",), tasks.ONE_REPORT_CODES),
        ((task + "raise_discrepancy",), tasks.RAISE_DISCREPANCY_CODES),
        ((task + "withdraw_discrepancy",), tasks.WITHDRAW_DISCREPANCY_CODES),
        ((task + "follow_up",), tasks.FOLLOW_UP_CODES),
        ((task + "link_discrepancy",), tasks.LINK_DISCREPANCY_CODES),
        ((task + "waive_discrepancy",), tasks.WAIVE_DISCREPANCY_CODES),
    ]


@pytest.mark.parametrize("functions,declared", _groups(), ids=lambda v: v[0].split(":")[-1] if isinstance(v[0], str) and ":" in v[0] else "")
def test_each_rule_and_use_case_declares_exactly_the_codes_it_raises(functions: tuple[str, ...], declared: tuple[str, ...]) -> None:
    """The groups the enums are built from are exact too, so that a use case composing them
    states what it returns. Calls of workflow data resolve as in DYNAMIC_CALLS."""
    graph = followed()
    raised: set[str] = set()
    for key in functions:
        assert key in graph.functions, key
        codes, _ = graph.codes_from(key, _dynamic())
        raised |= codes
    assert sorted(set(declared) - raised) == [], f"declared for {functions} but never raised there"
    assert sorted(raised - set(declared)) == [], f"raised by {functions} but not declared"


def test_the_business_lock_declares_what_it_raises_besides_a_caught_lookup() -> None:
    """`another_business_open` looks the open business up and catches its NOT_FOUND; the
    graph does not subtract caught codes, so NOT_FOUND is the one code found beyond
    BUSINESS_CODES (see the module docstring)."""
    from application.students import BUSINESS_CODES

    for key in ("application.students:open_business", "application.students:require_no_open_business"):
        codes, _ = followed().codes_from(key, _dynamic())
        assert codes == {*BUSINESS_CODES, "NOT_FOUND"}, (key, codes)


def test_an_undeclared_code_is_refused_when_the_error_is_built() -> None:
    from domain.errors import DomainError

    with pytest.raises(ValueError, match="NOT_A_DECLARED_CODE"):
        DomainError(None, "message", "NOT_A_DECLARED_CODE")
    assert DomainError("field", "message", "ENROLLED_ELSEWHERE").code == "ENROLLED_ELSEWHERE"
