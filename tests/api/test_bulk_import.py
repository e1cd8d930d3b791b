"""Bulk import (`StudentRepository.import_new`) writes what enrolment writes: a dossier
imported in bulk reads back through GraphQL exactly like one enrolled through
`enrollStudent`, and importing the same batch again inserts nothing twice."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from domain.dossier import Dossier
from domain.identity import IdDocKind, parse_id_document
from domain.ports import Change, Stamp
from domain.student_number import permanent_number, temporary_number, temporary_prefix
from storage.mongo import Collections, connect
from storage.placement import SchoolPlacement
from storage.students import StudentRepository
from storage.transitions import TransitionLog, entry_hash
from tests.factories import ENROL, FATHER, basic_of, enrolment, resident_id
from tests.support import ApiServer, GraphQLClient

FULL = """query($n: String!) { student(number: $n) {
  number aliases name formerName namePinyin sex birthDate birthPlace nativePlace ethnicity nationality overseasStatus
  idDocumentKind idNumber idNumberFull
  personal { idNumberFull address residenceAddress phone health householdPlace householdKind guardians { name idNumberFull phone } }
  guardians { name relation isGuardian idDocumentKind idNumber phone employer }
  flags { onlyChild preschool leftBehind migrantChild orphan martyrChild inclusiveEducation disability homeTeaching }
  school { code name supervisorCode } grade className entryDate entryWay studyMode state verification verificationNote
  ageException ageApprovalReference completeness { complete missing deadline overdue } openBusiness
  formerSchoolCodes attendingSchoolCode suspensionUntil reportedMissing skippedGrades sanction { until }
  cases { id } documents { id } sectionEntries { totalCount edges { node { section data } } }
  history { actor action changes reason evidence businessId }
} }"""

IDENTIFYING = ("number", "idNumber", "idNumberFull")


def _without_identifiers(student: dict[str, Any]) -> dict[str, Any]:
    personal = {k: v for k, v in student["personal"].items() if k != "idNumberFull"}
    return {**{k: v for k, v in student.items() if k not in IDENTIFYING}, "personal": personal}


def _as_new(template: Dossier, id_number: str) -> Dossier:
    id_document = parse_id_document(IdDocKind.RESIDENT_ID, id_number, None)
    number = permanent_number(id_document)
    assert number is not None
    return replace(template, id=number, number=number, id_document=id_document, created_at=datetime.now(UTC), version=1)


def _enrolled(template: Dossier) -> Change:
    return Change("ENROLLED", {"school": (None, template.status.school_code)})


def test_a_bulk_imported_dossier_reads_back_like_an_enrolled_one_and_imports_once(
    api: ApiServer, gql: GraphQLClient, db: Any
) -> None:
    value = enrolment(guardians=[FATHER])
    value["basic"] = basic_of(value)
    enrolled = gql(ENROL, {"input": value}, as_="weiwu.registrar")["enrollStudent"]["student"]["number"]
    assert api.settings.mongodb_uri is not None

    async def scenario() -> tuple[list[str], int, int, str]:
        client = connect(api.settings.mongodb_uri or "")
        try:
            collections = Collections.of(client[api.settings.mongodb_database])
            repo = StudentRepository(collections, TransitionLog(collections), SchoolPlacement(collections))
            template = await repo.by_id(enrolled)
            assert template is not None
            born = template.basic.birth_date
            batch = [_as_new(template, resident_id(born)) for _ in range(3)]
            items = [(d, _enrolled(d)) for d in batch]
            stamp = Stamp("weiwu.registrar", "bulk-test")
            first = await repo.import_new(items, stamp, batch=2)
            again = await repo.import_new(items, stamp, batch=2)
            # the same identity under another number: refused, as enrolment refuses it
            other = temporary_number(temporary_prefix("410105", born), 9999)
            taken = replace(batch[0], id=other, number=other)
            assert await repo.import_new([(taken, _enrolled(taken))], stamp) == 0
            return [d.id for d in batch], first, again, other
        finally:
            await client.close()

    imported, first, again, refused = asyncio.run(scenario())
    assert (first, again) == (3, 0)
    for collection, key in (("identities", "dossier_id"), ("transitions", "aggregate_id"), ("students", "_id"), ("changes", "dossier_id")):
        assert db[collection].count_documents({key: {"$in": imported}}) == 3, collection
        assert db[collection].count_documents({key: refused}) == 0, collection

    expected = gql(FULL, {"n": enrolled}, as_="weiwu.registrar")["student"]
    for number in imported:
        got = gql(FULL, {"n": number}, as_="weiwu.registrar")["student"]
        assert got["number"] == number and got["idNumberFull"] == number[1:]
        assert _without_identifiers(got) == _without_identifiers(expected)
        assert gql(FULL, {"n": number}, as_="jinshui.dept")["student"]["name"] == expected["name"]  # scope tokens
        assert gql(FULL, {"n": number}, as_="zhongyuan.dept")["student"] is None

    # stored as enrolment stores it: the same fields, version 1 of the log with a valid hash
    reference, copy = db.students.find_one({"_id": enrolled}), db.students.find_one({"_id": imported[0]})
    assert sorted(copy) == sorted(reference) and copy["scope_keys"] == reference["scope_keys"]
    entry = db.transitions.find_one({"aggregate_id": imported[0]})
    assert (entry["version"], entry["prev_hash"], entry["action"]) == (1, None, "ENROLLED")
    assert entry["hash"] == entry_hash(entry) == copy["log_hash"]
    assert sorted(entry) == sorted(db.transitions.find_one({"aggregate_id": enrolled}))
    assert db.identities.find_one({"dossier_id": imported[0]})["_id"] == copy["identity_key"]
    # and in the change feed as enrolment puts it there (its transition id, the same fields)
    fed, enrolled_fed = db.changes.find_one({"dossier_id": imported[0]}), db.changes.find_one({"dossier_id": enrolled})
    assert fed["_id"] == entry["_id"] and sorted(fed) == sorted(enrolled_fed) and fed["scope_keys"] == enrolled_fed["scope_keys"]
