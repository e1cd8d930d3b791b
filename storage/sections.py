"""Versioned section schemas (stored as JSON text: a schema may hold arrays inside arrays,
which not every MongoDB-protocol server stores) and the section entries they validated."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError

from domain.ports import Page, SectionEntry, SectionSchema
from domain.sections import INITIAL_SCHEMAS, Section
from storage.bulk import insert_unordered
from storage.mongo import Collections, Doc


def _schema_from_doc(d: Doc) -> SectionSchema:
    return SectionSchema(
        Section(d["section"]), d["version"], json.loads(d["schema_json"]), d["published_by"], d["published_at"]
    )


def _entry_to_doc(entry: SectionEntry) -> Doc:
    return {
        "_id": entry.id,
        "dossier_id": entry.dossier_id,
        "section": entry.section.value,
        "schema_version": entry.schema_version,
        "data_json": json.dumps(entry.data, ensure_ascii=False, sort_keys=True),
        "recorded_by": entry.recorded_by,
        "recorded_at": entry.recorded_at,
    }


class SectionRepository:
    def __init__(self, collections: Collections) -> None:
        self._schemas = collections.section_schemas
        self._entries = collections.section_entries

    async def latest(self, section: Section) -> SectionSchema | None:
        doc = await self._schemas.find_one({"section": section.value}, sort=[("version", -1)])
        return _schema_from_doc(doc) if doc else None

    async def publish(self, schema: SectionSchema) -> bool:
        """Store a version; False if that version number was taken meanwhile."""
        try:
            await self._schemas.insert_one(
                {
                    "_id": f"{schema.section.value}:{schema.version}",
                    "section": schema.section.value,
                    "version": schema.version,
                    "schema_json": json.dumps(schema.schema, ensure_ascii=False, sort_keys=True),
                    "published_by": schema.published_by,
                    "published_at": schema.published_at,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def add_entry(self, entry: SectionEntry) -> None:
        await self._entries.insert_one(_entry_to_doc(entry))

    async def import_entries(self, entries: Sequence[SectionEntry]) -> int:
        """Many entries at once, as `add_entry` writes them; those already stored (same id)
        are left as they are. Returns the number inserted."""
        return len(entries) - len(await insert_unordered(self._entries, [_entry_to_doc(e) for e in entries]))

    async def entries(self, dossier_id: str, section: Section | None, *, after: str | None, first: int) -> Page[SectionEntry]:
        """A page of a dossier's entries in id order (ids sort by time of recording)."""
        query: Doc = {"dossier_id": dossier_id}
        if section is not None:
            query["section"] = section.value
        total = await self._entries.count_documents(query)
        page_query = query if after is None else {**query, "_id": {"$gt": after}}
        docs = await self._entries.find(page_query).sort("_id", 1).limit(first + 1).to_list()
        entries = [
            SectionEntry(
                d["_id"], d["dossier_id"], Section(d["section"]), d["schema_version"], json.loads(d["data_json"]),
                d["recorded_by"], d["recorded_at"],
            )
            for d in docs[:first]
        ]
        return Page(entries, [e.id for e in entries], len(docs) > first, total)


async def seed_initial_schemas(collections: Collections) -> None:
    """Version 1 of every section, when none is stored yet (idempotent)."""
    repo = SectionRepository(collections)
    for section, schema in INITIAL_SCHEMAS.items():
        if await repo.latest(section) is None:
            await repo.publish(SectionSchema(section, 1, schema, "system", datetime.now(UTC)))
