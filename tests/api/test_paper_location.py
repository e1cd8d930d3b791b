"""Where the paper file a scan mirrors is kept (Art. 9: 纸质档案由学校学籍管理员负责管理):
the registrar of the school that holds the dossier records a move; each move is a new
version of the document, with its old and new location and reason in the document's history
and in the audit trail. Every refusal changes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.api.test_archive_lists import ensure_account
from tests.api.test_cases import enrol, upload
from tests.support import GraphQLClient

MOVE = """mutation($input: UpdatePaperLocationInput!) { updatePaperLocation(input: $input) {
  __typename ... on UpdatePaperLocationSuccess { previousLocation document { id paperLocation history { version action actor changes reason } } }
  ... on UpdatePaperLocationError { field message code } } }"""
HISTORY = "query($id: ID!) { document(id: $id) { paperLocation history { version action changes reason } } }"


def move(gql: GraphQLClient, document_id: str, location: str, as_: str = "weiwu.registrar", reason: str | None = None) -> dict[str, Any]:
    payload = {"documentId": document_id, "paperLocation": location, "reason": reason}
    result: dict[str, Any] = gql(MOVE, {"input": payload}, as_=as_)["updatePaperLocation"]
    return result


def record(db: Any, document_id: str) -> tuple[Any, int]:
    """The live document and its log: what a refusal must leave as it was."""
    return db.documents.find_one({"_id": document_id}), db.transitions.count_documents({"aggregate_id": document_id})


def test_the_registrar_records_a_move_as_a_new_version_with_old_and_new_in_history_and_audit(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql)
    document_id = upload(gql, number, "HOUSEHOLD_REGISTER", paperLocation="档案室 1 号柜")
    moved = move(gql, document_id, "档案室 2 号柜 3 层", reason="档案室整理，按年级重排")
    assert moved["previousLocation"] == "档案室 1 号柜"
    document = moved["document"]
    assert document["paperLocation"] == "档案室 2 号柜 3 层"
    last = document["history"][-1]
    assert last == {
        "version": len(document["history"]), "action": "PAPER_LOCATION_CHANGED", "actor": "weiwu.registrar",
        "changes": {"paper_location": {"old": "档案室 1 号柜", "new": "档案室 2 号柜 3 层"}}, "reason": "档案室整理，按年级重排",
    }
    assert db.documents.find_one({"_id": document_id})["version"] == last["version"]
    event = db.audit_events.find_one({"action": "mutation:updatePaperLocation", "target_id": document_id, "outcome": "ok"})
    assert event["actor"] == "weiwu.registrar" and event["school_code"] == "2141010501"
    assert event["details"]["paperLocation"] == {"old": "档案室 1 号柜", "new": "档案室 2 号柜 3 层"}
    # whoever sees the student sees where the paper is, and its earlier places
    seen = gql(HISTORY, {"id": document_id}, as_="jinshui.dept")["document"]
    assert seen["paperLocation"] == "档案室 2 号柜 3 层" and seen["history"][-1]["action"] == "PAPER_LOCATION_CHANGED"


def test_bad_input_and_the_wrong_caller_are_refused_and_change_nothing(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql)
    document_id = upload(gql, number, "HOUSEHOLD_REGISTER", paperLocation="档案室 1 号柜")
    before = record(db, document_id)
    refusals = [
        ({"location": "档案室 1 号柜"}, "NOTHING_TO_CHANGE", "paperLocation"),
        ({"location": " \u3000 "}, "INVALID_VALUE", "paperLocation"),
        ({"location": "档案室\n2 号柜"}, "INVALID_VALUE", "paperLocation"),
        ({"location": "柜" * 201}, "INVALID_VALUE", "paperLocation"),
        ({"location": "档案室 3 号柜", "reason": "理由" * 1001}, "INVALID_VALUE", "reason"),
        ({"location": "档案室 3 号柜", "as_": "zhengzhou.archivist"}, "PERMISSION_DENIED", None),  # Art. 9: the school's registrar
        ({"location": "档案室 3 号柜", "as_": "jinshui.dept"}, "PERMISSION_DENIED", None),
        ({"location": "档案室 3 号柜", "as_": "henan.auditor"}, "READ_ONLY_ROLE", None),
        ({"location": "档案室 3 号柜", "as_": "wenhua.registrar"}, "NOT_FOUND", "documentId"),  # another school's student
        ({"location": "档案室 3 号柜", "as_": "admin"}, "NOT_FOUND", "documentId"),
    ]
    for args, code, field in refusals:
        as_ = args.pop("as_", "weiwu.registrar")
        result = move(gql, document_id, args["location"], as_=as_, reason=args.get("reason"))
        assert (result.get("code"), result.get("field")) == (code, field), (args, as_, result)
        assert record(db, document_id) == before, (args, as_)
    assert move(gql, "no-such-document", "档案室 3 号柜")["code"] == "NOT_FOUND"
    audited = db.audit_events.count_documents({"action": "mutation:updatePaperLocation", "target_id": document_id, "outcome": {"$ne": "ok"}})
    assert audited == len(refusals)


def test_a_registrar_of_the_school_without_training_is_refused(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql, "2141010502", as_="wenhua.registrar")
    document_id = upload(gql, number, "HOUSEHOLD_REGISTER", as_="wenhua.registrar", paperLocation="档案室 1 号柜")
    trainee = ensure_account(gql, "wenhua.trainee", "SCHOOL_REGISTRAR", "2141010502")  # no training recorded (Art. 22)
    before = record(db, document_id)
    assert move(gql, document_id, "档案室 2 号柜", as_=trainee)["code"] == "REGISTRAR_NOT_TRAINED"
    assert record(db, document_id) == before


def test_moves_at_the_same_moment_are_each_a_version_and_the_history_chains_them(gql: GraphQLClient) -> None:
    number = enrol(gql)
    document_id = upload(gql, number, "HOUSEHOLD_REGISTER", paperLocation="档案室 0 号柜")
    places = [f"档案室 {i} 号柜" for i in range(1, 9)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda place: move(gql, document_id, place), places))
    assert all(r["__typename"] == "UpdatePaperLocationSuccess" for r in results), results
    document = gql(HISTORY, {"id": document_id}, as_="weiwu.registrar")["document"]
    moves = [h["changes"]["paper_location"] for h in document["history"] if h["action"] == "PAPER_LOCATION_CHANGED"]
    assert len(moves) == 8 and sorted(m["new"] for m in moves) == sorted(places)
    # each move replaced the one before it: the last one set is the location
    chain = ["档案室 0 号柜", *(m["new"] for m in moves)]
    assert [m["old"] for m in moves] == chain[:-1] and document["paperLocation"] == chain[-1]
