"""Areas and schools."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from domain.access import SchoolScope, area_field
from domain.jurisdiction import Area, Ownership, School, SchoolKind
from storage.mongo import Collections, Doc
from domain.ports import Page
from storage.pages import keyset


def scope_filter(scope: SchoolScope) -> Doc:
    """The MongoDB filter for a `SchoolScope` (the one translation of the access rules)."""
    if scope.everything:
        return {}
    if not scope.any_of:
        return {"_id": {"$in": []}}
    ors: list[Doc] = [{("_id" if f == "code" else f): {"$in": sorted(v)}} for f, v in scope.any_of]
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

    async def upsert(self, area: Area) -> None:
        doc = {"name": area.name, "level": area.level.value, "parent_code": area.parent_code}
        await self._c.update_one({"_id": area.code}, {"$set": doc}, upsert=True)

    async def get_many(self, codes: Sequence[str]) -> list[Area | None]:
        found = {d["_id"]: Area(d["_id"], d["name"]) async for d in self._c.find({"_id": {"$in": list(codes)}})}
        return [found.get(code) for code in codes]

    async def list(self, *, parent_code: str | None = None) -> list[Area]:
        query: Doc = {} if parent_code is None else {"parent_code": parent_code}
        return [Area(d["_id"], d["name"]) async for d in self._c.find(query).sort("_id", 1)]


class SchoolRepository:
    def __init__(self, collections: Collections) -> None:
        self._c = collections.schools

    async def insert_if_missing(self, school: School) -> bool:
        """Seed a school without overwriting details maintained since."""
        doc = school_to_doc(school)
        code = doc.pop("_id")
        result = await self._c.update_one(
            {"_id": code},
            {"$setOnInsert": {**doc, "version": 1, "created_at": datetime.now(UTC)}},
            upsert=True,
        )
        return result.upserted_id is not None

    async def get(self, code: str, scope: SchoolScope) -> School | None:
        doc = await self._c.find_one({"$and": [{"_id": code}, scope_filter(scope)]})
        return school_from_doc(doc) if doc else None

    async def get_many(self, codes: Sequence[str]) -> list[School | None]:
        found = {d["_id"]: school_from_doc(d) async for d in self._c.find({"_id": {"$in": list(codes)}})}
        return [found.get(code) for code in codes]

    async def codes(self, scope: SchoolScope) -> list[str]:
        return [d["_id"] async for d in self._c.find(scope_filter(scope), {"_id": 1})]

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
        conditions: list[Doc] = [scope_filter(scope)]
        if area_code is not None:
            conditions.append({area_field(area_code): area_code})
        if kind is not None:
            conditions.append({"kind": kind.value})
        if supervisor_code is not None:
            conditions.append({"supervisor_code": supervisor_code})
        query: Doc = {"$and": [c for c in conditions if c]} if any(conditions) else {}
        total = await self._c.count_documents(query)
        docs = await self._c.find(keyset(query, after)).sort("_id", 1).limit(first + 1).to_list()
        schools = [school_from_doc(d) for d in docs[:first]]
        return Page(schools, [s.code for s in schools], len(docs) > first, total)

    async def update_contact(
        self, code: str, *, address: str | None, phone: str | None, paper_archive_location: str | None
    ) -> School | None:
        changes: Doc = {}
        if address is not None:
            changes["address"] = address
        if phone is not None:
            changes["phone"] = phone
        if paper_archive_location is not None:
            changes["paper_archive_location"] = paper_archive_location
        update: Doc = {"$inc": {"version": 1}, "$set": {**changes, "updated_at": datetime.now(UTC)}}
        await self._c.update_one({"_id": code}, update)
        doc = await self._c.find_one({"_id": code})
        return school_from_doc(doc) if doc else None
