"""Areas and schools."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from domain.access import SchoolScope, area_field
from domain.jurisdiction import Area, Ownership, School, SchoolKind
from domain.reference_lists import ListedVersion
from pymongo.errors import DuplicateKeyError

from storage.mongo import Collections, Doc
from domain.ports import Page, Stamp
from storage.pages import keyset

if TYPE_CHECKING:  # storage.transitions needs this module (through storage.placement)
    from storage.transitions import TransitionLog

BATCH = 1000  # new records per round trip in a list import
# The fields an official list maintains; contact details and the paper archive are the school's own.
LIST_FIELDS = ("name", "kind", "ownership", "area_code", "city_code", "province_code", "supervisor_code")


def scope_filter(scope: SchoolScope) -> Doc:
    """The MongoDB filter for a `SchoolScope` (the one translation of the access rules)."""
    if scope.everything:
        return {}
    if not scope.any_of:
        return {"_id": {"$in": []}}
    ors: list[Doc] = [
        {("_id" if f == "code" else f): (next(iter(v)) if len(v) == 1 else {"$in": sorted(v)})} for f, v in scope.any_of
    ]
    return ors[0] if len(ors) == 1 else {"$or": ors}


def school_to_doc(school: School) -> Doc:
    return {
        "_id": school.code,
        "name": school.name,
        "kind": school.kind.value,
        "ownership": school.ownership.value,
        "area_code": school.area_code,
        "city_code": school.city_code,
        "province_code": school.province_code,
        "supervisor_code": school.supervisor_code,
        "address": school.address,
        "phone": school.phone,
        "paper_archive_location": school.paper_archive_location,
        "closed": school.closed,
    }


def school_from_doc(doc: Doc) -> School:
    return School(
        code=doc["_id"],
        name=doc["name"],
        kind=SchoolKind(doc["kind"]),
        ownership=Ownership(doc["ownership"]),
        area_code=doc["area_code"],
        supervisor_code=doc["supervisor_code"],
        address=doc.get("address"),
        phone=doc.get("phone"),
        paper_archive_location=doc.get("paper_archive_location"),
        closed=doc.get("closed"),
    )


def listing_record(action: str, changes: dict[str, tuple[Any, Any]], effective_on: date, source: str | None) -> Doc:
    """The change of record a list import logs with a version: what changed (old → new),
    from when (the list's effective date) and from which list."""
    return {
        "action": action,
        "changes": {k: {"old": old, "new": new} for k, (old, new) in changes.items()},
        "effective_on": effective_on.isoformat(),
        "source": source,
    }


async def listed_versions(log: TransitionLog, aggregate: str, doc: Doc | None, key: str) -> list[ListedVersion]:
    """The logged versions of an area or school, oldest first (those loaded before the log
    have none until their first change)."""
    out = []
    for e in await log.entries(aggregate, key, int(doc.get("version", 0)) if doc else 0):
        c = e.get("change") or {}
        effective = c.get("effective_on")
        out.append(
            ListedVersion(
                version=e["version"],
                at=e["at"],
                actor=e["actor"],
                action=e["action"],
                effective_on=date.fromisoformat(effective) if effective else None,
                changes={k: (v["old"], v["new"]) for k, v in (c.get("changes") or {}).items()},
            )
        )
    return out


def _area_doc(area: Area) -> Doc:
    return {"_id": area.code, "name": area.name, "level": area.level.value, "parent_code": area.parent_code}


class AreaRepository:
    """Areas: loaded from GB/T 2260 lists, every version claimed in the transition log
    (aggregate "area"). Never deleted."""

    def __init__(self, collections: Collections, log: TransitionLog | None = None) -> None:
        self._c = collections.areas
        if log is None:
            from storage.transitions import TransitionLog as Log  # imported here: storage.transitions needs this module

            log = Log(collections)
        self._log = log

    async def insert_if_missing(self, area: Area) -> bool:
        try:
            await self._c.insert_one(_area_doc(area))
        except DuplicateKeyError:
            return False
        return True

    async def get_many(self, codes: Sequence[str]) -> list[Area | None]:
        docs = await asyncio.gather(*(self._c.find_one({"_id": code}) for code in codes))  # `_id` lookups: see SchoolRepository
        return [Area(d["_id"], d["name"]) if d else None for d in docs]

    async def list(self, *, parent_code: str | None = None) -> list[Area]:
        query: Doc = {} if parent_code is None else {"parent_code": parent_code}
        return [Area(d["_id"], d["name"]) async for d in self._c.find(query).sort("_id", 1)]

    async def create_many(self, areas: Sequence[Area], stamp: Stamp, *, effective_on: date, source: str | None) -> None:
        """Version 1 of new areas, from a list (ConcurrentWrite when another import claimed one)."""
        for start in range(0, len(areas), BATCH):
            batch = areas[start : start + BATCH]
            await self._log.create_many(
                "area", self._c, [_area_doc(a) for a in batch], stamp=stamp, action="AREA_CREATED",
                changes=[listing_record("AREA_CREATED", {"name": (None, a.name)}, effective_on, source) for a in batch],
            )

    async def rename(self, area: Area, stamp: Stamp, *, effective_on: date, source: str | None) -> Area | None:
        """A new version with the list's name; None when the area is unknown."""
        doc = await self._log.update(
            "area", self._c, area.code, lambda d: None if d["name"] == area.name else {**d, "name": area.name},
            stamp=stamp, action="AREA_RENAMED",
            record=lambda before, after: listing_record(
                "AREA_RENAMED", {"name": (before["name"], after["name"])}, effective_on, source
            ),
        )
        return Area(doc["_id"], doc["name"]) if doc else None


class SchoolRepository:
    def __init__(self, collections: Collections, log: TransitionLog) -> None:
        self._c = collections.schools
        self._log = log
        self._students, self._cases = collections.students, collections.cases
        self._reminders, self._audit = collections.reminders, collections.audit

    async def insert_if_missing(self, school: School) -> bool:
        """Seed a school without overwriting details maintained since."""
        try:
            await self._c.insert_one({**school_to_doc(school), "created_at": datetime.now(UTC)})
        except DuplicateKeyError:
            return False
        return True

    async def get(self, code: str, scope: SchoolScope) -> School | None:
        doc = await self._c.find_one({"_id": code})
        if doc is None:
            return None
        school = school_from_doc(doc)
        return school if scope.contains(school) else None

    async def get_many(self, codes: Sequence[str]) -> list[School | None]:
        # One `_id` lookup per code, all at once: FerretDB evaluates `_id` equality in SQL but
        # `$in` by reading the whole collection (a province has tens of thousands of schools).
        docs = await asyncio.gather(*(self._c.find_one({"_id": code}) for code in codes))
        return [school_from_doc(d) if d else None for d in docs]

    async def page(
        self,
        scope: SchoolScope,
        *,
        area_code: str | None,
        kind: SchoolKind | None,
        supervisor_code: str | None,
        after: str | None,
        first: int,
    ) -> Page[School]:
        query: Doc = {}
        conditions: list[Doc] = [scope_filter(scope)]
        if area_code is not None:
            conditions.append({area_field(area_code): area_code})
        if kind is not None:
            conditions.append({"kind": kind.value})
        if supervisor_code is not None:
            conditions.append({"supervisor_code": supervisor_code})
        for condition in conditions:  # flat where fields differ, so the server filters in SQL
            for field_name, value in condition.items():
                if field_name in query:
                    query.setdefault("$and", []).append({field_name: value})
                else:
                    query[field_name] = value
        total = await self._c.count_documents(query) if query else await self._c.estimated_document_count()
        docs = await self._c.find(keyset(query, after)).sort("_id", 1).limit(first + 1).to_list()
        schools = [school_from_doc(d) for d in docs[:first]]
        return Page(schools, [s.code for s in schools], len(docs) > first, total)

    async def in_area(self, area_code: str) -> list[School]:
        """Every school located in an area of any level: one equality on an indexed field."""
        return [school_from_doc(d) async for d in self._c.find({area_field(area_code): area_code})]

    async def create_many(self, schools: Sequence[School], stamp: Stamp, *, effective_on: date, source: str | None) -> None:
        """Version 1 of new schools, from a list (ConcurrentWrite when another import claimed one)."""
        for start in range(0, len(schools), BATCH):
            batch = schools[start : start + BATCH]
            states = [{**school_to_doc(s), "created_at": stamp.at} for s in batch]
            changes = [
                listing_record("SCHOOL_CREATED", {k: (None, d[k]) for k in LIST_FIELDS}, effective_on, source) for d in states
            ]
            await self._log.create_many("school", self._c, states, stamp=stamp, action="SCHOOL_CREATED", changes=changes)

    async def relist(
        self, school: School, stamp: Stamp, *, action: str, effective_on: date, source: str | None
    ) -> School | None:
        """A new version with the list's name, kind, ownership, county and supervisor (the
        contact details stay as they are); None when the school is unknown."""
        listed = {k: v for k, v in school_to_doc(school).items() if k in LIST_FIELDS}

        def change(d: Doc) -> Doc | None:
            if all(d.get(k) == v for k, v in listed.items()):
                return None
            return {**d, **listed, "updated_at": stamp.at}

        def record(before: Doc, after: Doc) -> Doc:
            changed = {k: (before.get(k), after[k]) for k in LIST_FIELDS if before.get(k) != after[k]}
            return listing_record(action, changed, effective_on, source)

        doc = await self._log.update("school", self._c, school.code, change, stamp=stamp, action=action, record=record)
        return school_from_doc(doc) if doc else None

    async def has_records(self, code: str) -> bool:
        """Anything filed under the school with its scope tokens: a dossier, case, reminder
        or audit event (each one equality on an indexed `scope_keys`)."""
        token = f"code:{code}"
        for collection in (self._students, self._cases, self._reminders, self._audit):
            if await collection.find_one({"scope_keys": token}, {"_id": 1}) is not None:
                return True
        return False

    async def history(self, code: str) -> list[ListedVersion]:
        doc = await self._c.find_one({"_id": code})
        return await listed_versions(self._log, "school", await self._log.current("school", self._c, doc, code), code)

    async def update_contact(
        self, code: str, stamp: Stamp, *, address: str | None, phone: str | None, paper_archive_location: str | None
    ) -> School | None:
        """A new version of the school's contact details, claimed in the log."""
        changes: Doc = {}
        if address is not None:
            changes["address"] = address
        if phone is not None:
            changes["phone"] = phone
        if paper_archive_location is not None:
            changes["paper_archive_location"] = paper_archive_location
        doc = await self._log.update(
            "school", self._c, code, lambda d: {**d, **changes, "updated_at": stamp.at}, stamp=stamp, action="CONTACT_UPDATED"
        )
        return school_from_doc(doc) if doc else None

    async def mark_closed(self, code: str, closed: str, record: Doc, stamp: Stamp) -> School | None:
        """A new version of the school, MERGED or CLOSED (Art. 19), with the decision as its
        change of record; the school as it stands (unchanged when it was closed already)."""
        doc = await self._log.update(
            "school", self._c, code, lambda d: None if d.get("closed") else {**d, "closed": closed, "updated_at": stamp.at},
            stamp=stamp, action=f"SCHOOL_{closed}", record=lambda before, after: record,
        )
        return school_from_doc(doc) if doc else None
