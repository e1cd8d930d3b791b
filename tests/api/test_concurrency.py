"""Concurrent writers on the real server: every write that must win once wins once.

Eight clients act at the same instant (a barrier), several rounds each: one winner per
version, no lost update, each effect written once, no orphaned evidence object, unique
sequence numbers. The engine's own conditional update is shown not to be atomic, so an
upgrade that makes it so is noticed."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from api.app import s3_client
from api.settings import Settings
from domain.ports import ConcurrentWrite, Stamp
from storage.mongo import Collections, connect
from storage.transitions import TransitionLog, entry_hash, entry_id, new_entry, repair_projections
from tests import scans
from tests.api.test_cases import decide, enrol, open_case, upload
from tests.factories import ENROL, enrolment
from tests.support import GraphQLClient

WRITERS = 8
T = TypeVar("T")


def at_once(settings: Settings, base_url: str, action: Callable[[GraphQLClient, int], T], writers: int = WRITERS) -> list[T]:
    """Run `action` in `writers` threads released together; their results in order."""
    barrier = threading.Barrier(writers)
    results: list[Any] = [None] * writers
    errors: list[BaseException] = []

    def run(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            client = GraphQLClient(http, settings)
            barrier.wait()
            try:
                results[i] = action(client, i)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def is_ferretdb(db: Any) -> bool:
    return "ferretdbVersion" in db.client.admin.command("buildInfo")


def test_the_engines_conditional_update_is_not_atomic_so_nothing_relies_on_it(db: Any) -> None:
    """Measured fact behind the commit protocol: on FerretDB 1.24 several writers of
    `update_one({_id, version: n})` are all told they won. When an upgrade makes this
    atomic, this test fails and the protocol can be reconsidered."""
    if not is_ferretdb(db):
        pytest.skip("documents a FerretDB property")
    collection = db["conditional_update_probe"]
    collection.insert_one({"_id": "x", "version": 0, "n": 0})
    rounds_with_several_winners = 0
    for round_no in range(60):
        barrier = threading.Barrier(WRITERS)
        winners: list[int] = []

        def write(i: int, expected: int = round_no) -> None:
            barrier.wait()
            result = collection.update_one({"_id": "x", "version": expected}, {"$set": {"by": i}, "$inc": {"version": 1}})
            if result.modified_count == 1:
                winners.append(i)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        if len(winners) > 1:
            rounds_with_several_winners += 1
        collection.replace_one({"_id": "x"}, {"version": round_no + 1, "n": 0})
        if rounds_with_several_winners >= 3:
            break
    assert rounds_with_several_winners >= 1


# -- the transition log itself ---------------------------------------------------------

def _run(settings: Settings, body: Callable[[Collections], Any]) -> Any:
    async def go() -> Any:
        assert settings.mongodb_uri is not None
        client = connect(settings.mongodb_uri)
        try:
            return await body(Collections.of(client[settings.mongodb_database]))
        finally:
            await client.close()

    return asyncio.run(go())


def test_one_writer_claims_each_version_and_the_projection_follows_the_log(settings: Settings, db: Any) -> None:
    async def body(collections: Collections) -> tuple[list[list[bool]], Any]:
        log = TransitionLog(collections)
        probe = collections.areas.database["probe_aggregates"]
        outcomes: list[list[bool]] = []
        await log.commit("probe", probe, {"_id": "p1", "n": 0}, expected=0, prev_hash=None, stamp=Stamp("t"), action="CREATED")
        for version in range(1, 21):
            async def attempt(i: int, expected: int = version) -> bool:
                try:
                    await log.commit("probe", probe, {"_id": "p1", "n": i}, expected=expected, prev_hash=None, stamp=Stamp(f"w{i}"), action="SET")
                except ConcurrentWrite:
                    return False
                return True

            outcomes.append(list(await asyncio.gather(*(attempt(i) for i in range(WRITERS)))))
        return outcomes, await probe.find_one({"_id": "p1"})

    outcomes, projected = _run(settings, body)
    assert all(sum(round_) == 1 for round_ in outcomes), outcomes
    entries = sorted(db.transitions.find({"aggregate": "probe", "aggregate_id": "p1"}), key=lambda e: e["version"])
    assert [e["version"] for e in entries] == list(range(1, 22))  # no gap, no fork
    assert projected["version"] == 21 and projected["n"] == entries[-1]["state"]["n"]
    assert all(entry_hash(e) == e["hash"] for e in entries)  # recomputable from what is stored


def test_a_claim_whose_projection_never_happened_is_projected_by_the_next_access(
    gql: GraphQLClient, settings: Settings, db: Any
) -> None:
    number = enrol(gql, grade=2, className="二(1)班", born=date(2018, 5, 5))
    live = db.students.find_one({"_id": number})
    # A writer claims the next version and dies before writing the live document.
    state = {k: v for k, v in live.items() if k not in ("_id", "version", "log_hash")}
    state["class_name"] = "二(3)班"
    entry = {
        "_id": entry_id("student", number, live["version"] + 1), "aggregate": "student", "aggregate_id": number,
        "version": live["version"] + 1, "at": live["created_at"], "actor": "weiwu.registrar", "request_id": None,
        "action": "UPDATED", "change": None, "state": state, "prev_hash": live["log_hash"],
    }
    entry["hash"] = entry_hash(entry)
    db.transitions.insert_one(entry)
    assert db.students.find_one({"_id": number})["class_name"] == "二(1)班"
    seen = gql("query($n: String!) { student(number: $n) { className } }", {"n": number}, as_="weiwu.registrar")
    assert seen["student"]["className"] == "二(3)班"
    assert db.students.find_one({"_id": number})["version"] == live["version"] + 1


def _crash_after_claim(db: Any, collection: str, aggregate: str, key: str, **changes: Any) -> int:
    """Claim the next version of an aggregate as a writer would, and stop before projecting."""
    live = db[collection].find_one({"_id": key})
    state = {**{k: v for k, v in live.items() if k not in ("_id", "version", "log_hash")}, **changes}
    version: int = live["version"] + 1
    entry = {
        "_id": entry_id(aggregate, key, version), "aggregate": aggregate, "aggregate_id": key, "version": version,
        "at": datetime.now(UTC), "day": datetime.now(UTC).date().isoformat(), "actor": "crashed", "request_id": None,
        "action": "UPDATED", "change": None, "state": state, "prev_hash": live.get("log_hash"),
    }
    entry["hash"] = entry_hash(entry)
    db.transitions.insert_one(entry)
    return version


def test_a_crashed_claim_is_completed_by_the_next_writer_without_losing_either_change(gql: GraphQLClient, db: Any) -> None:
    number = enrol(gql, grade=2, className="二(1)班", born=date(2018, 5, 6))
    claimed = _crash_after_claim(db, "students", "student", number, class_name="二(4)班")
    update = """mutation($input: UpdateDossierInput!) { updateDossier(input: $input) { __typename
      ... on UpdateDossierSuccess { student { className studyMode } } ... on UpdateDossierError { code } } }"""
    result = gql(update, {"input": {"number": number, "studyMode": "2"}}, as_="weiwu.registrar")["updateDossier"]
    assert result == {"__typename": "UpdateDossierSuccess", "student": {"className": "二(4)班", "studyMode": "2"}}
    assert db.students.find_one({"_id": number})["version"] == claimed + 1


def test_the_daily_sweep_projects_claims_nobody_touched_again(gql: GraphQLClient, settings: Settings, db: Any) -> None:
    number, case_id = _suspension(gql)
    claimed = _crash_after_claim(db, "cases", "case", case_id, comment_probe="after the crash")
    assert db.cases.find_one({"_id": case_id})["version"] == claimed - 1
    repaired = _run(settings, lambda c: repair_projections(c, [datetime.now(UTC).date()]))
    assert repaired >= 1
    assert db.cases.find_one({"_id": case_id})["version"] == claimed
    assert _run(settings, lambda c: repair_projections(c, [datetime.now(UTC).date()])) == 0  # idempotent


def test_sequence_numbers_are_unique_under_concurrent_claims(settings: Settings) -> None:
    async def body(collections: Collections) -> list[int]:
        log = TransitionLog(collections)
        claims = [log.claim_next("probe-seq", Stamp(f"w{i}")) for i in range(WRITERS * 6)]
        return list(await asyncio.gather(*claims))

    numbers = _run(settings, body)
    assert sorted(numbers) == list(range(1, WRITERS * 6 + 1))


def test_a_claim_whose_answer_was_lost_is_still_its_writers_win(settings: Settings) -> None:
    """The insert reached the log but its writer was told "duplicate" (a retried write whose
    first attempt had landed): the writer finds its own entry and goes on; another writer's
    entry at that version is still a conflict."""

    async def body(collections: Collections) -> tuple[int, bool]:
        log = TransitionLog(collections)
        probe = collections.areas.database["probe_lost_answers"]
        await log.commit("probe", probe, {"_id": "p2", "n": 0}, expected=0, prev_hash=None, stamp=Stamp("t"), action="CREATED")
        mine = Stamp("writer", "request-1")
        landed = new_entry("probe", {"_id": "p2", "n": 1}, version=2, prev_hash=None, stamp=mine, action="SET")
        await collections.transitions.insert_one(landed)  # the first attempt, whose answer was lost
        projected = await log.commit("probe", probe, {"_id": "p2", "n": 1}, expected=1, prev_hash=None, stamp=mine, action="SET")
        try:
            await log.commit("probe", probe, {"_id": "p2", "n": 9}, expected=1, prev_hash=None, stamp=Stamp("other"), action="SET")
        except ConcurrentWrite:
            return projected["n"], True
        return projected["n"], False

    assert _run(settings, body) == (1, True)


# -- through the API ---------------------------------------------------------------------

def _suspension(gql: GraphQLClient) -> tuple[str, str]:
    number = enrol(gql, grade=2, className="二(2)班", born=date(2018, 3, 3))
    evidence = [upload(gql, number, "STATUS_APPLICATION"), upload(gql, number, "MEDICAL_CERTIFICATE")]
    until = (date.today() + timedelta(days=180)).isoformat()
    case = open_case(gql, "weiwu.registrar", kind="SUSPENSION", number=number, grounds="ILLNESS", params={"untilDate": until}, evidence=evidence)
    return number, case["case"]["id"]


def test_simultaneous_approvals_of_one_step_have_one_winner_and_one_effect(
    gql: GraphQLClient, settings: Settings, api: Any, db: Any
) -> None:
    for _ in range(3):
        number, case_id = _suspension(gql)
        first = at_once(settings, api.base_url, lambda c, i: decide(c, case_id, "weiwu.registrar"))
        assert Counter(r["__typename"] for r in first)["DecideCaseSuccess"] == 1, first
        assert {r["code"] for r in first if r["__typename"] == "DecideCaseError"} <= {"CONFLICT", "WRONG_ACTOR", "NOT_OPEN"}
        second = at_once(settings, api.base_url, lambda c, i: decide(c, case_id, "jinshui.dept"))
        assert Counter(r["__typename"] for r in second)["DecideCaseSuccess"] == 1, second
        case = db.cases.find_one({"_id": case_id})
        decisions = [e for e in case["events"] if e["action"] == "APPROVED"]
        assert case["state"] == "COMPLETED" and len(decisions) == 2  # one per step
        student = gql("query($n: String!) { student(number: $n) { state history { action } } }", {"n": number}, as_="weiwu.registrar")
        assert student["student"]["state"] == "SUSPENDED"
        assert [h["action"] for h in student["student"]["history"]].count("STATUS:SUSPENSION") == 1
        # The live documents are exactly what their logs say, version for version.
        for collection, aggregate, key in (("students", "student", number), ("cases", "case", case_id)):
            live = db[collection].find_one({"_id": key})
            entry = db.transitions.find_one({"_id": entry_id(aggregate, key, live["version"])})
            assert entry is not None and entry["hash"] == live["log_hash"]


def test_simultaneous_cases_for_one_student_open_one_business(gql: GraphQLClient, settings: Settings, api: Any, db: Any) -> None:
    for _ in range(3):
        number = enrol(gql, grade=2, className="二(2)班", born=date(2018, 3, 3))
        evidence = [upload(gql, number, "STATUS_APPLICATION"), upload(gql, number, "MEDICAL_CERTIFICATE")]
        until = (date.today() + timedelta(days=180)).isoformat()
        results = at_once(
            settings, api.base_url,
            lambda c, i: open_case(c, "weiwu.registrar", kind="SUSPENSION", number=number, grounds="ILLNESS", params={"untilDate": until}, evidence=evidence),
        )
        won = [r for r in results if r["__typename"] == "OpenCaseSuccess"]
        assert len(won) == 1, results
        assert {r["code"] for r in results if r["__typename"] == "OpenCaseError"} == {"ANOTHER_BUSINESS_OPEN"}
        open_cases = db.cases.count_documents({"number": number, "state": "OPEN"})
        assert open_cases == 1
        assert db.students.find_one({"_id": number})["open_business"] == won[0]["case"]["id"]


def test_simultaneous_new_versions_of_one_document_get_one_number_each_or_a_conflict(
    gql: GraphQLClient, settings: Settings, api: Any, db: Any
) -> None:
    number = enrol(gql)
    document_id = upload(gql, number, "HOUSEHOLD_REGISTER")
    for _ in range(3):
        def new_version(c: GraphQLClient, i: int) -> httpx.Response:
            return c.http.post(
                "/uploads",
                params={"student": number, "kind": "HOUSEHOLD_REGISTER", "filename": "v.png", "replaces": document_id},
                content=scans.png(),
                headers={"Authorization": f"Bearer {c.token('weiwu.registrar')}", "Content-Type": "image/png"},
            )

        responses = at_once(settings, api.base_url, new_version)
        created = [r.json()["document"]["version"] for r in responses if r.status_code == 201]
        refused = [r for r in responses if r.status_code != 201]
        assert len(created) == len(set(created)) and created, [r.text for r in responses]
        assert all(r.status_code == 409 and r.json()["error"]["code"] == "CONFLICT" for r in refused)
    stored = db.documents.find_one({"_id": document_id})
    versions = [v["version"] for v in stored["versions"]]
    assert versions == sorted(set(versions)) and all(v["state"] == "STORED" for v in stored["versions"])
    # No object without metadata: every object version in the store is a stored version.
    minio = s3_client(settings)
    prefix = stored["versions"][0]["original"]["key"].rsplit("/", 1)[0] + "/"
    objects = list(minio.list_objects(settings.s3_evidence_bucket, prefix=prefix, recursive=True, include_version=True))
    recorded = {(f["key"], f["version_id"]) for v in stored["versions"] for f in (v["original"], v["rendition"]) if f}
    assert {(o.object_name, o.version_id) for o in objects} == recorded


def test_simultaneous_enrolments_without_id_numbers_get_distinct_temporary_numbers(
    gql: GraphQLClient, settings: Settings, api: Any
) -> None:
    born = date(2019, 10, 10)

    def enrol_without_id(c: GraphQLClient, i: int) -> dict[str, Any]:
        value = enrolment(born=born, idDocument={"kind": "NONE_YET"}, confirmNotDuplicate=True)
        value["basic"]["name"] = f"无证{'甲乙丙丁戊己庚辛'[i]}{'一二三四五六七八九十'[i % 10]}"
        result: dict[str, Any] = c(ENROL, {"input": value}, as_="weiwu.registrar")["enrollStudent"]
        return result

    numbers: list[str] = []
    for _ in range(3):
        results = at_once(settings, api.base_url, enrol_without_id)
        assert all(r["__typename"] == "EnrollStudentSuccess" for r in results), results
        numbers += [r["student"]["number"] for r in results]
    assert len(set(numbers)) == len(numbers)
    assert all(n.startswith("L") for n in numbers)


def test_simultaneous_training_records_keep_one_linear_history(gql: GraphQLClient, settings: Settings, api: Any, db: Any) -> None:
    db.accounts.insert_one({"_id": "race.registrar", "name": "新任", "role": "SCHOOL_REGISTRAR", "scope_code": "2141070201", "trained_on": None, "disabled": False})
    train = """mutation($input: RecordRegistrarTrainingInput!) { recordRegistrarTraining(input: $input) { __typename } }"""
    days = [(date(2026, 11, 1) + timedelta(days=i)).isoformat() for i in range(WRITERS)]
    results = at_once(settings, api.base_url, lambda c, i: c(train, {"input": {"login": "race.registrar", "completedOn": days[i]}}, as_="hongqi.dept"))
    assert all(r["recordRegistrarTraining"]["__typename"] == "RecordRegistrarTrainingSuccess" for r in results)
    entries = sorted(db.transitions.find({"aggregate": "account", "aggregate_id": "race.registrar"}), key=lambda e: e["version"])
    assert [e["version"] for e in entries] == list(range(1, WRITERS + 1))
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(entries, entries[1:]))  # one chain, no fork
    assert db.accounts.find_one({"_id": "race.registrar"})["trained_on"] == entries[-1]["state"]["trained_on"]


def test_simultaneous_correction_decisions_apply_the_correction_once(gql: GraphQLClient, settings: Settings, api: Any, db: Any) -> None:
    from tests.api.test_corrections import decide as decide_correction, request

    for n in range(3):
        number = enrol(gql, grade=2, className="二(5)班", born=date(2018, 4, 4))
        correction_id = request(gql, number, {"formerName": f"王曾用{'甲乙丙'[n]}"})["correction"]["id"]
        school = at_once(settings, api.base_url, lambda c, i: decide_correction(c, correction_id, "weiwu.registrar"))
        assert Counter(r["__typename"] for r in school)["DecideCorrectionSuccess"] == 1, school
        department = at_once(settings, api.base_url, lambda c, i: decide_correction(c, correction_id, "jinshui.dept"))
        assert Counter(r["__typename"] for r in department)["DecideCorrectionSuccess"] == 1, department
        stored = db.corrections.find_one({"_id": correction_id})
        assert stored["state"] == "APPLIED" and len(stored["decisions"]) == 2
        history = gql("query($n: String!) { studentHistory(number: $n) { action } }", {"n": number}, as_="weiwu.registrar")
        assert [h["action"] for h in history["studentHistory"]].count("CORRECTED") == 1
        assert db.students.find_one({"_id": number})["open_business"] is None


def test_simultaneous_dossier_updates_lose_nothing(gql: GraphQLClient, settings: Settings, api: Any, db: Any) -> None:
    """Each accepted update is a version of its own with its own history entry; the
    refused ones change nothing and say CONFLICT."""
    update = """mutation($input: UpdateDossierInput!) { updateDossier(input: $input) { __typename
      ... on UpdateDossierError { code } } }"""
    number = enrol(gql, grade=2, className="二(1)班", born=date(2018, 7, 7))
    start = db.students.find_one({"_id": number})["version"]
    accepted = 0
    for round_no in range(3):
        results = at_once(
            settings, api.base_url,
            lambda c, i: c(update, {"input": {"number": number, "className": f"二({round_no * WRITERS + i + 10})班"}}, as_="weiwu.registrar"),
        )
        won = [r for r in results if r["updateDossier"]["__typename"] == "UpdateDossierSuccess"]
        assert len(won) >= 1
        assert all(r["updateDossier"]["code"] == "CONFLICT" for r in results if r not in won)
        accepted += len(won)
    live = db.students.find_one({"_id": number})
    assert live["version"] == start + accepted
    history = gql("query($n: String!) { studentHistory(number: $n) { action changes } }", {"n": number}, as_="weiwu.registrar")
    updates = [h for h in history["studentHistory"] if h["action"] == "UPDATED"]
    assert len(updates) == accepted
    # the history is one unbroken chain: each change starts from the previous one's result
    chain = [h["changes"]["class_name"] for h in updates]
    assert all(a["new"] == b["old"] for a, b in zip(chain, chain[1:]))
    assert chain[-1]["new"] == live["class_name"]
