"""Dossiers and everything that must stay unique about them, without transactions.

- `identities` has one document per normalised identity (`_id` = the identity key): the
  unique index that makes a second dossier for the same person impossible (Art. 8).
- `students` has the dossier; `_id` is the first student number it got, `numbers` every
  number it ever had (current and aliases), multikey-indexed.
- `counters` allocates the sequences of temporary L numbers atomically.
- `dossier_history` is the append-only record of every change (Art. 6 (1)).

Enrolment is claim → insert, both keyed so that a retry after a crash resumes instead of
duplicating: a claim whose dossier was never written is taken over by the next attempt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from domain.dossier import (
    BasicData,
    Dossier,
    Flags,
    Guardian,
    SchoolStatus,
    StudentState,
    Verification,
    missing_fields,
)
from domain.duplicates import Probe, match_keys
from domain.identity import IdDocKind, IdDocument, Sex, parse_id_document
from domain.ports import EnrolledElsewhere, HistoryEntry, Page, StudentFilter, StudentRow
from storage.mongo import Collections, Doc
from storage.pages import keyset


def _dt(d: date | None) -> datetime | None:
    return datetime.combine(d, time(), UTC) if d is not None else None


def _d(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def id_doc_to_doc(doc: IdDocument | None) -> Doc | None:
    if doc is None:
        return None
    return {"kind": doc.kind.value, "number": doc.number, "country": doc.country}


def id_doc_from_doc(doc: Doc | None) -> IdDocument | None:
    if doc is None:
        return None
    return parse_id_document(IdDocKind(doc["kind"]), doc.get("number"), doc.get("country"))


def basic_to_doc(b: BasicData) -> Doc:
    out: Doc = {k: v for k, v in b.__dict__.items()}
    out["sex"] = b.sex.value
    out["birth_date"] = _dt(b.birth_date)
    return out


def basic_from_doc(doc: Doc) -> BasicData:
    values = dict(doc)
    values["sex"] = Sex(doc["sex"])
    values["birth_date"] = doc["birth_date"].date()
    return BasicData(**values)


def guardian_to_doc(g: Guardian) -> Doc:
    return {**g.__dict__, "id_document": id_doc_to_doc(g.id_document)}


def guardian_from_doc(doc: Doc) -> Guardian:
    return Guardian(**{**doc, "id_document": id_doc_from_doc(doc.get("id_document"))})


def dossier_to_doc(d: Dossier) -> Doc:
    probe = Probe(d.basic.name, d.basic.birth_date, d.basic.sex, tuple(g.id_document for g in d.guardians if g.id_document))
    missing = missing_fields(d)
    s = d.status
    return {
        "_id": d.id,
        "number": d.number,
        "numbers": [d.number, *d.aliases],
        "aliases": list(d.aliases),
        "identity_key": d.id_document.key,
        "id_document": id_doc_to_doc(d.id_document),
        "basic": basic_to_doc(d.basic),
        "name": d.basic.name,  # top level for the name-prefix index
        "guardians": [guardian_to_doc(g) for g in d.guardians],
        "flags": dict(d.flags.__dict__),
        "school_code": s.school_code,
        "grade": s.grade,
        "class_name": s.class_name,
        "entry_date": _dt(s.entry_date),
        "entry_year": s.entry_date.year,
        "entry_way": s.entry_way,
        "study_mode": s.study_mode,
        "state": s.state.value,
        "verification": d.verification.value,
        "verification_note": d.verification_note,
        "age_exception": d.age_exception,
        "age_approval_reference": d.age_approval_reference,
        "complete": not missing,
        "missing": missing,
        "complete_by": _dt(d.complete_by),
        "dup_keys": match_keys(probe),
        "open_business": d.open_business,
        "created_at": d.created_at,
        "version": d.version,
        "former_school_codes": list(d.former_school_codes),
        "attending_school_code": d.attending_school_code,
        "suspension_until": _dt(d.suspension_until),
        "suspension_grounds": d.suspension_grounds,
        "sanction_until": _dt(d.sanction_until),
        "reported_missing": d.missing,
        "skipped_grades": list(d.skipped_grades),
    }


def dossier_from_doc(doc: Doc) -> Dossier:
    id_document = id_doc_from_doc(doc["id_document"])
    assert id_document is not None
    return Dossier(
        id=doc["_id"],
        number=doc["number"],
        aliases=tuple(doc.get("aliases", [])),
        id_document=id_document,
        basic=basic_from_doc(doc["basic"]),
        guardians=tuple(guardian_from_doc(g) for g in doc.get("guardians", [])),
        flags=Flags(**doc.get("flags", {})),
        status=SchoolStatus(
            school_code=doc["school_code"],
            grade=doc["grade"],
            class_name=doc["class_name"],
            entry_date=doc["entry_date"].date(),
            entry_way=doc["entry_way"],
            study_mode=doc["study_mode"],
            state=StudentState(doc["state"]),
        ),
        verification=Verification(doc["verification"]),
        verification_note=doc.get("verification_note"),
        age_exception=doc.get("age_exception", "NONE"),
        age_approval_reference=doc.get("age_approval_reference"),
        complete_by=_d(doc.get("complete_by")),
        open_business=doc.get("open_business"),
        created_at=doc.get("created_at"),
        version=doc.get("version", 1),
        former_school_codes=tuple(doc.get("former_school_codes", [])),
        attending_school_code=doc.get("attending_school_code"),
        suspension_until=_d(doc.get("suspension_until")),
        suspension_grounds=doc.get("suspension_grounds"),
        sanction_until=_d(doc.get("sanction_until")),
        missing=bool(doc.get("reported_missing")),
        skipped_grades=tuple(doc.get("skipped_grades", [])),
    )


def _row(doc: Doc) -> StudentRow:
    return StudentRow(dossier_from_doc(doc), tuple(doc.get("missing", [])))


class StudentRepository:
    def __init__(self, collections: Collections) -> None:
        self._students = collections.students
        self._identities = collections.identities
        self._counters = collections.counters
        self._history = collections.dossier_history

    # -- numbers ----------------------------------------------------------------------
    async def next_sequence(self, prefix: str) -> int:
        doc = await self._counters.find_one_and_update(
            {"_id": prefix}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        assert doc is not None
        seq: int = doc["seq"]
        return seq

    # -- enrolment --------------------------------------------------------------------
    async def insert_new(self, dossier: Dossier) -> Dossier:
        """Insert a new dossier, claiming its identity first. Raises EnrolledElsewhere when
        the identity already has a dossier. Returns the dossier as stored (its id may be
        that of an interrupted earlier attempt, which this one completes)."""
        key = dossier.id_document.key
        if key is not None:
            try:
                await self._identities.insert_one({"_id": key, "dossier_id": dossier.id, "at": datetime.now(UTC)})
            except DuplicateKeyError:
                claim = await self._identities.find_one({"_id": key})
                assert claim is not None
                existing = await self._students.find_one({"_id": claim["dossier_id"]})
                if existing is not None:
                    raise EnrolledElsewhere(dossier_from_doc(existing)) from None
                # An earlier attempt claimed the identity and stopped: finish it under its id.
                if dossier.number == dossier.id:
                    dossier = _with_id(dossier, claim["dossier_id"])
        try:
            await self._students.insert_one(dossier_to_doc(dossier))
        except DuplicateKeyError:
            existing = await self._students.find_one({"_id": dossier.id})
            assert existing is not None
            raise EnrolledElsewhere(dossier_from_doc(existing)) from None
        return dossier

    async def claim_identity(self, key: str, dossier_id: str) -> Dossier | None:
        """Claim an identity for an existing dossier (a corrected or newly recorded ID).
        Returns the other dossier that holds it, if any."""
        try:
            await self._identities.insert_one({"_id": key, "dossier_id": dossier_id, "at": datetime.now(UTC)})
            return None
        except DuplicateKeyError:
            claim = await self._identities.find_one({"_id": key})
            assert claim is not None
            if claim["dossier_id"] == dossier_id:
                return None
            other = await self._students.find_one({"_id": claim["dossier_id"]})
            if other is None:  # a stale claim of an attempt that never completed
                await self._identities.update_one({"_id": key}, {"$set": {"dossier_id": dossier_id}})
                return None
            return dossier_from_doc(other)

    async def identity_holder(self, key: str) -> Dossier | None:
        claim = await self._identities.find_one({"_id": key})
        if claim is None:
            return None
        doc = await self._students.find_one({"_id": claim["dossier_id"]})
        return dossier_from_doc(doc) if doc else None

    async def release_identity(self, key: str, dossier_id: str) -> None:
        await self._identities.delete_one({"_id": key, "dossier_id": dossier_id})

    # -- reads ------------------------------------------------------------------------
    async def by_number(self, number: str, school_codes: Sequence[str] | None) -> StudentRow | None:
        query: Doc = {"numbers": number}
        if school_codes is not None:
            query.update(_held_or_copied(school_codes))
        doc = await self._students.find_one(query)
        return _row(doc) if doc else None

    async def by_id(self, dossier_id: str) -> Dossier | None:
        doc = await self._students.find_one({"_id": dossier_id})
        return dossier_from_doc(doc) if doc else None

    async def page(
        self, school_codes: Sequence[str] | None, f: StudentFilter, *, after: str | None, first: int
    ) -> Page[StudentRow]:
        conditions: list[Doc] = []
        if school_codes is not None:
            conditions.append(_held_or_copied(school_codes))
        if f.school_code is not None:
            conditions.append({"school_code": f.school_code})
        for field_name, value in (
            ("grade", f.grade),
            ("class_name", f.class_name),
            ("entry_year", f.entry_year),
            ("state", f.state.value if f.state else None),
        ):
            if value is not None:
                conditions.append({field_name: value})
        if f.verified is not None:
            conditions.append({"verification": Verification.VERIFIED.value} if f.verified else {"verification": {"$ne": Verification.VERIFIED.value}})
        if f.incomplete is not None:
            conditions.append({"complete": not f.incomplete})
        if f.completeness_overdue_on is not None:
            conditions += [{"complete": False}, {"complete_by": {"$lt": _dt(f.completeness_overdue_on)}}]
        if f.name_prefix:
            conditions.append({"name": {"$gte": f.name_prefix, "$lt": f.name_prefix + "\uffff"}})
        query: Doc = {"$and": conditions} if conditions else {}
        total = await self._students.count_documents(query)
        page_query = keyset(query, after)
        docs = await self._students.find(page_query).sort("_id", 1).limit(first + 1).to_list()
        rows = [_row(d) for d in docs[:first]]
        return Page(rows, [r.dossier.id for r in rows], len(docs) > first, total)

    async def with_keys(self, keys: Sequence[str], limit: int = 50) -> list[tuple[Dossier, list[str]]]:
        """Dossiers sharing any duplicate key (an index lookup on `dup_keys`)."""
        docs = await self._students.find({"dup_keys": {"$in": list(keys)}}).limit(limit).to_list()
        return [(dossier_from_doc(d), list(d.get("dup_keys", []))) for d in docs]

    async def suspensions_ended(self, today: date) -> list[Dossier]:
        """Suspended students whose suspension ran out before today (Art. 13: remind the school)."""
        docs = await self._students.find({"state": "SUSPENDED", "suspension_until": {"$lt": _dt(today)}}).to_list()
        return [dossier_from_doc(d) for d in docs]

    # -- writes -----------------------------------------------------------------------
    async def replace(self, before: Dossier, after: Dossier) -> bool:
        """Write `after` if the stored dossier is still at `before.version` (optimistic
        concurrency on one document). False when someone else changed it first."""
        doc = dossier_to_doc(after)
        doc["version"] = before.version + 1
        doc.pop("_id")
        result = await self._students.update_one({"_id": before.id, "version": before.version}, {"$set": doc})
        return result.modified_count == 1

    async def lock_business(self, dossier_id: str, business_id: str) -> bool:
        """Open a business on the dossier; False when another one is open."""
        result = await self._students.update_one(
            {"_id": dossier_id, "open_business": None},
            {"$set": {"open_business": business_id}, "$inc": {"version": 1}},
        )
        return result.modified_count == 1

    async def release_business(self, dossier_id: str, business_id: str) -> None:
        await self._students.update_one(
            {"_id": dossier_id, "open_business": business_id},
            {"$set": {"open_business": None}, "$inc": {"version": 1}},
        )

    # -- history ----------------------------------------------------------------------
    async def append_history(self, entry: HistoryEntry) -> None:
        await self._history.insert_one(
            {
                "dossier_id": entry.dossier_id,
                "at": entry.at,
                "actor": entry.actor,
                "action": entry.action,
                "changes": {k: {"old": _plain(o), "new": _plain(n)} for k, (o, n) in entry.changes.items()},
                "reason": entry.reason,
                "evidence": list(entry.evidence),
                "business_id": entry.business_id,
            }
        )

    async def history(self, dossier_id: str) -> list[HistoryEntry]:
        docs = await self._history.find({"dossier_id": dossier_id}).sort([("at", 1), ("_id", 1)]).to_list()
        return [
            HistoryEntry(
                dossier_id=d["dossier_id"],
                at=d["at"],
                actor=d["actor"],
                action=d["action"],
                changes={k: (v["old"], v["new"]) for k, v in d.get("changes", {}).items()},
                reason=d.get("reason"),
                evidence=tuple(d.get("evidence", [])),
                business_id=d.get("business_id"),
            )
            for d in docs
        ]


def _held_or_copied(school_codes: Sequence[str]) -> Doc:
    """Dossiers these schools hold, those they keep a read-only copy of (Art. 19), and those
    of students attending them while the status stays elsewhere (Art. 12); read-only for
    the last two, since every write checks the school holding the status."""
    codes = list(school_codes)
    return {
        "$or": [
            {"school_code": {"$in": codes}},
            {"former_school_codes": {"$in": codes}},
            {"attending_school_code": {"$in": codes}},
        ]
    }


def _with_id(d: Dossier, dossier_id: str) -> Dossier:
    return replace(d, id=dossier_id, number=dossier_id)


def _plain(value: Any) -> Any:
    """History values as plain data: dates as ISO strings, documents as dicts."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, IdDocument):
        return id_doc_to_doc(value)
    if isinstance(value, Sex):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Guardian):
        return guardian_to_doc(value)
    if hasattr(value, "__dict__"):
        return {k: _plain(v) for k, v in value.__dict__.items()}
    return value

