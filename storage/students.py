"""Dossiers and everything that must stay unique about them, without transactions.

- `identities` has one document per normalised identity (`_id` = the identity key): the
  unique index that makes a second dossier for the same person impossible (Art. 8).
- `student_numbers` maps every number a dossier ever had (current and aliases) to it, by
  `_id`: a number is never given twice, and a read by number is two `_id` lookups at most.
- `students` is the live dossier, the projection of its transition log (`transitions`,
  aggregate "student"), which is also its history of record (Art. 6 (1), Art. 20).
  `_id` is the first student number it got. `scope_keys` holds the scope tokens of every
  school it is seen through (holding, attending, keeping a copy), so every scoped list is
  equality on one array element.
- temporary L numbers are claimed from a sequence in the log (`TransitionLog.claim_next`).

Enrolment is claim identity → claim number → claim version 1, each keyed so that a retry
after a crash resumes instead of duplicating."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncio

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
from domain.promotion import awaits_placement, placement_due
from domain.identity import IdDocKind, IdDocument, Sex, parse_id_document
from domain.ports import AsOfRow, Change, ConcurrentWrite, EnrolledElsewhere, HistoryEntry, Page, Stamp, StudentFilter, StudentRow
from storage.mongo import Collections, Doc
from storage.placement import SchoolPlacement
from storage.bulk import insert_unordered
from storage.dossier_changes import history_entry
from storage.transitions import TransitionLog, new_entry, projection_of

AGGREGATE = "student"
STALE_CLAIM = timedelta(minutes=10)  # an identity claim with no dossier after this was abandoned
LIST_FIELDS = ("school_code", "grade", "class_name", "entry_year", "state")


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
        "open_business_since": d.open_business_since,
        "created_at": d.created_at,
        "version": d.version,
        "former_school_codes": list(d.former_school_codes),
        "attending_school_code": d.attending_school_code,
        "suspension_until": _dt(d.suspension_until),
        "suspension_grounds": d.suspension_grounds,
        "sanction_until": _dt(d.sanction_until),
        "reported_missing": d.missing,
        "skipped_grades": list(d.skipped_grades),
        "graduated_on": _dt(d.graduated_on),
        "year_end_plan": d.year_end_plan,
        # a primary graduate not placed by then is reported (`unplacedGraduates`, Art. 17)
        "placement_due": _dt(placement_due(d.graduated_on)) if awaits_placement(d) and d.graduated_on else None,
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
        open_business_since=doc.get("open_business_since"),
        created_at=doc.get("created_at"),
        version=doc.get("version", 1),
        former_school_codes=tuple(doc.get("former_school_codes", [])),
        attending_school_code=doc.get("attending_school_code"),
        suspension_until=_d(doc.get("suspension_until")),
        suspension_grounds=doc.get("suspension_grounds"),
        sanction_until=_d(doc.get("sanction_until")),
        missing=bool(doc.get("reported_missing")),
        skipped_grades=tuple(doc.get("skipped_grades", [])),
        graduated_on=_d(doc.get("graduated_on")),
        year_end_plan=doc.get("year_end_plan"),
    )


def _row(doc: Doc) -> StudentRow:
    return StudentRow(dossier_from_doc(doc), tuple(doc.get("missing", [])))


row_of = _row  # for the other repositories that list dossiers


def change_to_doc(change: Change | None) -> Doc | None:
    if change is None:
        return None
    return {
        "action": change.action,
        "changes": {k: {"old": _plain(o), "new": _plain(n)} for k, (o, n) in change.changes.items()},
        "reason": change.reason,
        "evidence": list(change.evidence),
        "business_id": change.business_id,
    }


class StudentRepository:
    def __init__(self, collections: Collections, log: TransitionLog, placement: SchoolPlacement) -> None:
        self._students = collections.students
        self._identities = collections.identities
        self._numbers = collections.student_numbers
        self._log = log
        self._log_entries = collections.transitions
        self._placement = placement

    async def stored_form(self, d: Dossier) -> Doc:
        """The stored form of a dossier, as every write stores it (for bulk writers)."""
        return await self._doc(d)

    async def _doc(self, d: Dossier) -> Doc:
        """The stored form of a dossier, with what scope and lists filter on."""
        doc = dossier_to_doc(d)
        schools = [d.status.school_code, d.attending_school_code, *d.former_school_codes]
        doc["scope_keys"] = await self._placement.tokens(schools)
        holding = await self._placement.tokens([d.status.school_code])
        for token in holding:  # the holding school's place, for area filters
            field_name, _, value = token.partition(":")
            if field_name != "code":
                doc[field_name] = value
        return doc

    # -- numbers ----------------------------------------------------------------------
    async def next_sequence(self, prefix: str, stamp: Stamp) -> int:
        return await self._log.claim_next(f"L:{prefix}", stamp)

    async def _claim_number(self, number: str, dossier_id: str) -> None:
        try:
            await self._numbers.insert_one({"_id": number, "dossier_id": dossier_id})
        except DuplicateKeyError:
            held = await self._numbers.find_one({"_id": number})
            if held is not None and held["dossier_id"] != dossier_id:
                raise ConcurrentWrite("student_number", number, 1) from None

    # -- enrolment --------------------------------------------------------------------
    async def insert_new(self, dossier: Dossier, stamp: Stamp, change: Change) -> Dossier:
        """Insert a new dossier, claiming its identity first. Raises EnrolledElsewhere when
        the identity already has a dossier. Returns the dossier as stored (its id may be
        that of an interrupted earlier attempt, which this one completes)."""
        key = dossier.id_document.key
        if key is not None:
            try:
                await self._identities.insert_one({"_id": key, "dossier_id": dossier.id, "at": stamp.at})
            except DuplicateKeyError:
                claim = await self._identities.find_one({"_id": key})
                assert claim is not None
                existing = await self.by_id(claim["dossier_id"])
                if existing is not None:
                    raise EnrolledElsewhere(existing) from None
                # An earlier attempt claimed the identity and stopped: finish it under its id.
                if dossier.number == dossier.id:
                    dossier = _with_id(dossier, claim["dossier_id"])
        # The first number is the dossier's `_id`: unique by the identity claim (G) or the
        # sequence claim (L); later numbers go to `student_numbers`.
        try:
            await self._log.commit(
                AGGREGATE, self._students, await self._doc(dossier), expected=0, prev_hash=None,
                stamp=stamp, action=change.action, change=change_to_doc(change),
            )
        except ConcurrentWrite:
            existing = await self.by_id(dossier.id)
            assert existing is not None
            raise EnrolledElsewhere(existing) from None
        return replace(dossier, version=1)

    async def claim_identity(self, key: str, dossier_id: str) -> Dossier | None:
        """Claim an identity for an existing dossier (a corrected or newly recorded ID).
        Returns the other dossier that holds it, if any."""
        now = datetime.now(UTC)
        try:
            await self._identities.insert_one({"_id": key, "dossier_id": dossier_id, "at": now})
            return None
        except DuplicateKeyError:
            claim = await self._identities.find_one({"_id": key})
            assert claim is not None
            if claim["dossier_id"] == dossier_id:
                return None
            other = await self.by_id(claim["dossier_id"])
            if other is not None:
                return other
            if claim.get("at") is not None and now - claim["at"] < STALE_CLAIM:
                raise ConcurrentWrite("identity", key, 1) from None  # an enrolment under way
            # A claim abandoned by an enrolment that never completed: taken over once, by
            # whoever inserts the takeover key first.
            try:
                await self._identities.insert_one({"_id": f"{key}#takeover:{claim['dossier_id']}", "by": dossier_id, "at": now})
            except DuplicateKeyError:
                raise ConcurrentWrite("identity", key, 2) from None
            await self._identities.replace_one({"_id": key}, {"dossier_id": dossier_id, "at": now})
            return None

    async def identity_holder(self, key: str) -> Dossier | None:
        claim = await self._identities.find_one({"_id": key})
        if claim is None:
            return None
        return await self.by_id(claim["dossier_id"])

    async def release_identity(self, key: str, dossier_id: str) -> None:
        await self._identities.delete_one({"_id": key, "dossier_id": dossier_id})

    # -- bulk import ------------------------------------------------------------------
    async def import_new(self, items: Sequence[tuple[Dossier, Change]], stamp: Stamp, *, batch: int = 1000) -> int:
        """Enrol many new dossiers (a migration, a benchmark population), writing for each
        exactly what `insert_new` writes: the identity claim, version 1 in the log (the entry
        `commit` builds, from `new_entry`) and its projection, as unordered bulk inserts of
        `batch` documents. The unique `_id`s refuse whatever exists already, so importing
        the same batch again inserts nothing twice; a dossier whose identity is held by
        another dossier is left out. Returns the number of dossiers imported."""
        imported = 0
        for start in range(0, len(items), batch):
            imported += await self._import_batch(items[start : start + batch], stamp)
        return imported

    async def _import_batch(self, items: Sequence[tuple[Dossier, Change]], stamp: Stamp) -> int:
        claims: list[Doc] = [
            {"_id": d.id_document.key, "dossier_id": d.id, "at": stamp.at} for d, _ in items if d.id_document.key is not None
        ]
        refused = [claims[i] for i in await insert_unordered(self._identities, claims)]
        held_elsewhere: set[str] = set()
        if refused:
            holders = {c["_id"]: c["dossier_id"] async for c in self._identities.find({"_id": {"$in": [c["_id"] for c in refused]}})}
            held_elsewhere = {c["dossier_id"] for c in refused if holders.get(c["_id"]) != c["dossier_id"]}
        entries = [
            new_entry(
                AGGREGATE, await self._doc(replace(d, version=1)), version=1, prev_hash=None, stamp=stamp,
                action=change.action, change=change_to_doc(change),
            )
            for d, change in items
            if d.id not in held_elsewhere
        ]
        logged = await insert_unordered(self._log_entries, entries)
        claimed = [e for i, e in enumerate(entries) if i not in logged]
        await self._log.feed.append_many(claimed)  # before the projections, as in `commit`
        # A projection that exists already (a repair got there first) is refused, as in `commit`.
        await insert_unordered(self._students, [projection_of(e) for e in claimed])
        return len(claimed)

    # -- reads ------------------------------------------------------------------------
    async def _current(self, doc: Doc | None, dossier_id: str) -> Doc | None:
        return await self._log.current(AGGREGATE, self._students, doc, dossier_id)

    async def by_number(self, number: str, scope_key: str | None) -> StudentRow | None:
        """The dossier a number (current or alias) belongs to, if seen through the scope
        token (None: every dossier). `_id` lookups only: constant cost at any size."""
        doc = await self._students.find_one({"_id": number})
        dossier_id = number
        if doc is None:
            ref = await self._numbers.find_one({"_id": number})
            if ref is None:
                return None
            dossier_id = ref["dossier_id"]
            doc = await self._students.find_one({"_id": dossier_id})
        doc = await self._current(doc, dossier_id)
        if doc is None or (scope_key is not None and scope_key not in doc.get("scope_keys", ())):
            return None
        return _row(doc)

    async def by_id(self, dossier_id: str) -> Dossier | None:
        doc = await self._current(await self._students.find_one({"_id": dossier_id}), dossier_id)
        return dossier_from_doc(doc) if doc else None

    def _filter(self, scope_key: str | None, f: StudentFilter) -> Doc:
        """Equality on scalar fields (and one array element) only, at the top level, so
        that FerretDB evaluates it in SQL; what it cannot push down comes last."""
        query: Doc = {}
        if scope_key is not None:
            query["scope_keys"] = scope_key
        values = {
            "school_code": f.school_code,
            "grade": f.grade,
            "class_name": f.class_name,
            "entry_year": f.entry_year,
            "state": f.state.value if f.state else None,
        }
        query.update({k: v for k, v in values.items() if v is not None})
        if f.area_field is not None and f.area_code is not None:
            query[f.area_field] = f.area_code
        if f.verified is not None:
            verified = Verification.VERIFIED.value
            query["verification"] = verified if f.verified else {"$ne": verified}
        if f.incomplete is not None:
            query["complete"] = not f.incomplete
        if f.completeness_overdue_on is not None:
            query["complete"] = False
            query["complete_by"] = {"$lt": _dt(f.completeness_overdue_on)}
        if f.name_prefix:
            query["name"] = {"$gte": f.name_prefix, "$lt": f.name_prefix + "\uffff"}
        return query

    async def page(
        self, scope_key: str | None, f: StudentFilter, *, after: str | None, first: int, count: bool = True
    ) -> Page[StudentRow]:
        query = self._filter(scope_key, f)
        total = await self._students.count_documents(query) if count else -1
        page_query = {**query, "_id": {"$gt": after}} if after is not None else query
        docs = await self._students.find(page_query).sort("_id", 1).limit(first + 1).to_list()
        rows = [_row(d) for d in docs[:first]]
        return Page(rows, [r.dossier.id for r in rows], len(docs) > first, total)

    async def with_keys(self, keys: Sequence[str], limit: int = 50) -> list[tuple[Dossier, list[str]]]:
        """Dossiers sharing any duplicate key: one equality lookup on `dup_keys` per key."""
        found = await asyncio.gather(*(self._students.find({"dup_keys": k}).limit(limit).to_list() for k in keys))
        seen: dict[str, Doc] = {}
        for docs in found:
            for d in docs:
                seen.setdefault(d["_id"], d)
        return [(dossier_from_doc(d), list(d.get("dup_keys", []))) for d in list(seen.values())[:limit]]

    async def suspensions_ended(self, today: date) -> list[Dossier]:
        """Suspended students whose suspension ran out before today (Art. 13: remind the school)."""
        docs = await self._students.find({"state": "SUSPENDED", "suspension_until": {"$lt": _dt(today)}}).to_list()
        return [dossier_from_doc(d) for d in docs]

    # -- writes -----------------------------------------------------------------------
    async def replace(self, before: Dossier, after: Dossier, stamp: Stamp, change: Change | None = None) -> bool:
        """Write `after` as the version following `before`, claimed in the log. False when
        another writer claimed that version first (nothing is changed then)."""
        stored = await self._students.find_one({"_id": before.id}, {"log_hash": 1, "version": 1})
        prev_hash = stored.get("log_hash") if stored and stored.get("version") == before.version else None
        if after.number != before.number:
            await self._claim_number(after.number, before.id)
        try:
            await self._log.commit(
                AGGREGATE, self._students, await self._doc(replace(after, id=before.id)),
                expected=before.version, prev_hash=prev_hash, stamp=stamp,
                action=change.action if change else "UPDATED", change=change_to_doc(change), previous=dossier_to_doc(before),
            )
        except ConcurrentWrite:
            await self.by_id(before.id)  # project what the winner claimed, if it stopped
            return False
        return True

    async def lock_business(self, dossier_id: str, business_id: str, stamp: Stamp) -> bool:
        """Open a business on the dossier; False when another one is open."""
        for _ in range(5):
            current = await self.by_id(dossier_id)
            if current is None or current.open_business is not None:
                return current is not None and current.open_business == business_id
            if await self.replace(current, replace(current, open_business=business_id, open_business_since=stamp.at), stamp, None):
                return True
        return False

    async def release_business(self, dossier_id: str, business_id: str, stamp: Stamp) -> None:
        for _ in range(5):
            current = await self.by_id(dossier_id)
            if current is None or current.open_business != business_id:
                return
            if await self.replace(current, replace(current, open_business=None, open_business_since=None), stamp, None):
                return

    async def created_under(self, request_id: str, actor: str) -> Dossier | None:
        """The dossier whose first version `actor` claimed under this request id, brought up
        to its log (a writer stopped after its claim leaves the projection behind)."""
        entry = await self._log_entries.find_one({"request_id": request_id, "aggregate": AGGREGATE, "version": 1, "actor": actor})
        return await self.by_id(entry["aggregate_id"]) if entry else None

    # -- as of a day (Art. 20: what the status was, from the log) ---------------------
    async def as_of(self, dossier_id: str, before: datetime) -> Dossier | None:
        """The dossier's last version recorded before `before` (its log entries by `_id`);
        None when it did not exist yet."""
        then = [version for version, at in await self.versions(dossier_id) if at < before]
        return then[-1] if then else None

    async def page_as_of(
        self, school_code: str, f: StudentFilter, before: datetime, *, after: str | None, first: int
    ) -> Page[AsOfRow]:
        """The dossiers the school held just before `before`, each as its version then, that
        match `f` then (the filter document of `page`, evaluated on those versions). Every
        dossier a school ever held keeps the school's tokens in `scope_keys` (holding, or a
        former school's copy, Art. 19), so the candidates are one equality; their versions
        come from the log in one query. The whole school is read for every page (and the
        count): on FerretDB that query's `$in` is filtered in Go, over every dossier version."""
        held = {d["_id"]: d for d in await self._students.find({"scope_keys": f"code:{school_code}"}).to_list()}
        then: dict[str, Doc] = {}
        for e in await self._log.entries_of(AGGREGATE, list(held)):
            if e["at"] < before and e["version"] > then.get(e["aggregate_id"], {}).get("version", 0):
                then[e["aggregate_id"]] = e
        query = self._filter(None, replace(f, school_code=school_code))
        matching = sorted((d for d in map(projection_of, then.values()) if matches(d, query)), key=lambda d: str(d["_id"]))
        following = [d for d in matching if after is None or d["_id"] > after][: first + 1]
        rows = [AsOfRow(_row(d), dossier_from_doc(held[d["_id"]])) for d in following[:first]]
        return Page(rows, [r.now.id for r in rows], len(following) > first, len(matching))

    # -- history ----------------------------------------------------------------------
    async def versions(self, dossier_id: str) -> list[tuple[Dossier, datetime]]:
        """Every logged version of the dossier, oldest first, with when it was recorded
        (its log entries by `_id`)."""
        current = await self._current(await self._students.find_one({"_id": dossier_id}), dossier_id)
        if current is None:
            return []
        entries = await self._log.entries(AGGREGATE, dossier_id, int(current.get("version", 0)))
        return [(dossier_from_doc(projection_of(e)), e["at"]) for e in entries]

    async def history(self, dossier_id: str) -> list[HistoryEntry]:
        """The changes of record, oldest first: the log entries that carry one."""
        out = []
        current = await self._current(await self._students.find_one({"_id": dossier_id}), dossier_id)
        for e in await self._log.entries(AGGREGATE, dossier_id, int(current.get("version", 0)) if current else 0):
            if e.get("change"):
                out.append(history_entry(dossier_id, e["at"], e["actor"], e["change"]))
        return out


def matches(doc: Doc, query: Doc) -> bool:
    """Whether a stored dossier matches a filter document of `StudentRepository._filter`
    (equality, an array holding the value, `$ne` and ranges), evaluated here for versions
    that are not stored as documents of their own."""
    for field_name, wanted in query.items():
        value = doc.get(field_name)
        if isinstance(wanted, dict):
            if not all(_compare(value, op, operand) for op, operand in wanted.items()):
                return False
        elif not (value == wanted or (isinstance(value, list) and wanted in value)):
            return False
    return True


def _compare(value: Any, op: str, operand: Any) -> bool:
    if op == "$ne":
        return bool(value != operand)
    if value is None:
        return False
    if op == "$lt":
        return bool(value < operand)
    if op == "$lte":
        return bool(value <= operand)
    if op == "$gt":
        return bool(value > operand)
    if op == "$gte":
        return bool(value >= operand)
    raise ValueError(f"operator {op} is not evaluated here")


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

