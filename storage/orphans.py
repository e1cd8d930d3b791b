"""Objects without metadata (orphans): versions in the evidence store that no document
names. They come from an upload whose object reached the store although its metadata was
then dropped (the store answered too late), or from metadata changed by hand. The object
stays under its lock (nothing is deleted, R-E3); the reconcile sweep finds and counts it so
that an archivist sees it (`archiveStatus`), and records each one, by run, in
`evidence_orphans`.

The walk lists the store's versions under `evidence/` in key order and reads each
document's metadata once (`_id`), so it costs one listing of the store and one read per
document; it runs in the reconcile sweep, never per request."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.evidence import EVIDENCE_PREFIX, DocumentState, place_of
from storage.evidence_store import EvidenceArchive, ObjectVersion
from storage.mongo import Collections, Doc
from storage.placement import SchoolPlacement

PAGE = 1000


@dataclass
class Orphans:
    checked: int = 0
    orphans: int = 0
    by_scope: Counter[str] = field(default_factory=Counter)


def names(metadata: Doc | None, found: ObjectVersion) -> bool:
    """The document's metadata names this object version: a version's original or
    rendition under its key, with its version id, or still PENDING (its id not known yet)."""
    for version in (metadata or {}).get("versions", []):
        for part in ("original", "rendition"):
            stored = version.get(part)
            if stored is None or stored.get("key") != found.key:
                continue
            if version.get("state") == DocumentState.PENDING.value or stored.get("version_id") == found.version_id:
                return True
    return False


async def find_orphans(
    collections: Collections, archive: EvidenceArchive, placement: SchoolPlacement, run_id: str,
    *, progress: Callable[[str], None] = lambda _: None,
) -> Orphans:
    """Walk the store's evidence and record every version no metadata names, counted under
    the scope tokens of the school whose archive path holds it."""
    result = Orphans()
    metadata: dict[str, Doc | None] = {}  # the current key's document only
    after: str | None = None
    while page := await archive.object_versions(EVIDENCE_PREFIX, after, PAGE):
        for found in page:
            result.checked += 1
            place = place_of(found.key)
            if place is not None and place.document_id not in metadata:
                metadata = {place.document_id: await collections.documents.find_one({"_id": place.document_id})}
            if place is not None and names(metadata[place.document_id], found):
                continue
            result.orphans += 1
            school_code = place.school_code if place is not None else None
            tokens = await placement.tokens([school_code])
            result.by_scope.update(tokens)
            await collections.evidence_orphans.insert_one(
                {
                    "_id": f"{run_id}:{found.key}:{found.version_id}",
                    "run_id": run_id,
                    "key": found.key,
                    "version_id": found.version_id,
                    "size": found.size,
                    "school_code": school_code,
                    "found_at": datetime.now(UTC),
                }
            )
            progress(f"orphan: {found.key} version {found.version_id} ({found.size} bytes)")
        after = page[-1].key
    progress(f"checked {result.checked} object versions; {result.orphans} without metadata")
    return result
