"""The write gate (R-A5, Art. 22), who may change a school, and the audit trail of every
mutation (R-A6)."""

from __future__ import annotations

from typing import Any

from tests.support import GraphQLClient

UPDATE = """mutation($input: UpdateSchoolContactInput!) {
  updateSchoolContact(input: $input) {
    __typename
    ... on UpdateSchoolContactSuccess { school { code phone paperArchiveLocation } }
    ... on UpdateSchoolContactError { field message code }
  }
}"""
TRAIN = """mutation($input: RecordRegistrarTrainingInput!) {
  recordRegistrarTraining(input: $input) {
    __typename
    ... on RecordRegistrarTrainingSuccess { registrar { login trainedOn } }
    ... on RecordRegistrarTrainingError { field message code }
  }
}"""
AUDIT = """query($f: AuditEventFilter) { auditEvents(first: 50, filter: $f) {
  totalCount edges { node { actor role action targetType targetId outcome schoolCode requestId details } } } }"""


def _new_registrar(db: Any, login: str, school: str, trained: bool) -> None:
    from datetime import UTC, datetime

    db.accounts.insert_one(
        {
            "_id": login,
            "name": "新任学籍管理员",
            "role": "SCHOOL_REGISTRAR",
            "scope_code": school,
            "trained_on": datetime(2026, 1, 5, tzinfo=UTC) if trained else None,
            "disabled": False,
        }
    )


def test_untrained_registrar_reads_but_cannot_write_until_training_is_recorded(
    gql: GraphQLClient, db: Any
) -> None:
    _new_registrar(db, "novice.registrar", "2141070201", trained=False)
    before = db.schools.find_one({"_id": "2141070201"})
    # reading works
    assert gql('{ school(code: "2141070201") { code } }', as_="novice.registrar")["school"]["code"] == "2141070201"
    # writing is refused with a typed error, and nothing changes
    result = gql(UPDATE, {"input": {"code": "2141070201", "phone": "0373-1234567"}}, as_="novice.registrar")
    assert result["updateSchoolContact"]["__typename"] == "UpdateSchoolContactError"
    assert result["updateSchoolContact"]["code"] == "REGISTRAR_NOT_TRAINED"
    assert db.schools.find_one({"_id": "2141070201"}) == before
    # another county cannot record the training; the supervising one can
    wrong = gql(TRAIN, {"input": {"login": "novice.registrar", "completedOn": "2026-11-20"}}, as_="jinshui.dept")
    assert wrong["recordRegistrarTraining"]["code"] == "NOT_FOUND"
    future = gql(TRAIN, {"input": {"login": "novice.registrar", "completedOn": "2099-01-01"}}, as_="henan.dept")
    assert future["recordRegistrarTraining"]["code"] == "PERMISSION_DENIED"  # the province does not supervise it
    trained = gql(TRAIN, {"input": {"login": "novice.registrar", "completedOn": "2026-11-20"}}, as_="hongqi.dept")
    assert trained["recordRegistrarTraining"] == {
        "__typename": "RecordRegistrarTrainingSuccess",
        "registrar": {"login": "novice.registrar", "trainedOn": "2026-11-20"},
    }
    result = gql(UPDATE, {"input": {"code": "2141070201", "phone": "0373-1234567"}}, as_="novice.registrar")
    assert result["updateSchoolContact"]["school"]["phone"] == "0373-1234567"


def test_training_cannot_be_dated_in_the_future(gql: GraphQLClient, db: Any) -> None:
    _new_registrar(db, "future.registrar", "2141070201", trained=False)
    result = gql(TRAIN, {"input": {"login": "future.registrar", "completedOn": "2099-01-01"}}, as_="hongqi.dept")
    assert result["recordRegistrarTraining"]["code"] == "TRAINING_DATE_IN_FUTURE"
    assert db.accounts.find_one({"_id": "future.registrar"})["trained_on"] is None


def test_seeded_untrained_registrar_is_refused(gql: GraphQLClient) -> None:
    result = gql(UPDATE, {"input": {"code": "2141010503", "phone": "1"}}, as_="waiguoyu.registrar")
    assert result["updateSchoolContact"]["code"] == "REGISTRAR_NOT_TRAINED"


def test_who_may_change_a_school(gql: GraphQLClient, db: Any) -> None:
    def update(login: str, code: str, **fields: str) -> dict[str, Any]:
        out: dict[str, Any] = gql(UPDATE, {"input": {"code": code, **fields}}, as_=login)["updateSchoolContact"]
        return out

    assert update("weiwu.registrar", "2141010501", paperArchiveLocation="档案室 A-3")["school"] == {
        "code": "2141010501",
        "phone": None,
        "paperArchiveLocation": "档案室 A-3",
    }
    assert update("jinshui.dept", "2141010502", phone="0371-1")["__typename"] == "UpdateSchoolContactSuccess"
    # another school's registrar: the school does not exist for them
    assert update("weiwu.registrar", "2141010502", phone="x")["code"] == "NOT_FOUND"
    # the city sees the county's school but is not its supervising department
    assert update("zhengzhou.dept", "2141010502", phone="x")["code"] == "PERMISSION_DENIED"
    # the city does supervise its 直管学校
    assert update("zhengzhou.dept", "2141010202", phone="0371-2")["__typename"] == "UpdateSchoolContactSuccess"
    assert update("henan.auditor", "2141010501", phone="x")["code"] == "READ_ONLY_ROLE"
    assert update("zhengzhou.archivist", "2141010501", phone="x")["code"] == "PERMISSION_DENIED"
    refused = update("weiwu.registrar", "2141010501")
    assert (refused["code"], refused["field"]) == ("NOTHING_TO_CHANGE", None)
    too_long = update("weiwu.registrar", "2141010501", address="路" * 201)
    assert (too_long["code"], too_long["field"]) == ("VALUE_TOO_LONG", "address")
    assert db.schools.find_one({"_id": "2141010502"})["phone"] == "0371-1"


def test_every_mutation_attempt_is_audited_and_only_auditors_read_the_trail(gql: GraphQLClient) -> None:
    gql(UPDATE, {"input": {"code": "2141030201", "phone": "0379-7"}}, as_="xiguan.registrar")
    gql(UPDATE, {"input": {"code": "2141030201", "phone": "x"}}, as_="henan.auditor")
    events = gql(AUDIT, {"f": {"targetId": "2141030201"}}, as_="henan.auditor")["auditEvents"]
    nodes = [e["node"] for e in events["edges"]]
    ok = next(n for n in nodes if n["actor"] == "xiguan.registrar")
    assert ok["action"] == "mutation:updateSchoolContact" and ok["outcome"] == "ok"
    assert ok["schoolCode"] == "2141030201" and ok["requestId"]
    assert ok["details"]["after"] == {"phone": "0379-7"}
    refused = next(n for n in nodes if n["actor"] == "henan.auditor")
    assert refused["outcome"] == "READ_ONLY_ROLE"
    for login in ("henan.dept", "admin", "xiguan.registrar"):
        errors = gql.errors(AUDIT, as_=login)
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_audit_trail_has_no_mutation_to_change_it(gql: GraphQLClient) -> None:
    fields = gql('{ __type(name: "Mutation") { fields { name } } }', as_="admin")["__type"]["fields"]
    assert not [f["name"] for f in fields if "audit" in f["name"].lower()]
