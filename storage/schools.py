"""Areas and schools."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from domain.access import SchoolScope, area_field
from domain.jurisdiction import Area, Ownership, School, SchoolKind
from pymongo.errors import DuplicateKeyError

from storage.mongo import Collections, Doc
from domain.ports import Page, Stamp
from storage.pages import keyset

if TYPE_CHECKING:  # storage.transitions needs this module (through storage.placement)
    from storage.transitions import TransitionLog


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
    )


class AreaRepository:
    def __init__(self, collections: Collections) -> None:
        self._c = collections.areas

    async def insert_if_missing(self, area: Area) -> bool:
        try:
            await self._c.insert_one({"_id": area.code, "name": area.name, "level": area.level.value, "parent_code": area.parent_code})
        except DuplicateKeyError:
            return False
        return True

    async def get_many(self, codes: Sequence[str]) -> list[Area | None]:
        docs = await asyncio.gather(*(self._c.find_one({"_id": code}) for code in codes))  # `_id` lookups: see SchoolRepository
        return [Area(d["_id"], d["name"]) if d else None for d in docs]

    async def list(self, *, parent_code: str | None = None) -> list[Area]:
        query: Doc = {} if parent_code is None else {"parent_code": parent_code}
        return [Area(d["_id"], d["name"]) async for d in self._c.find(query).sort("_id", 1)]


class SchoolRepository:
    def __init__(self, collections: Collections, log: TransitionLog) -> None:
        self._c = collections.schools
        self._log = log

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
