"""Archive sweeps run by `scripts/evidence` (and on a schedule): each walks the stored
documents in id order, keeps a checkpoint, and can be stopped and resumed at any point.

- fixity: re-read every stored object, recompute SHA-256, report mismatches and missing
  objects (R-E2, Art. 19: the archive answers for its integrity for decades);
- retention: push the permanent class's lock forward before it runs low (Art. 19);
- reconcile: finish or forget uploads whose metadata stayed PENDING after a failure."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from minio.error import S3Error

from domain.evidence import CLASSES, DocumentState, FixityRun, StoredFile, needs_extension
from storage.documents import DocumentRepository
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections
from storage.transitions import TransitionLog
from domain.ports import Stamp

Progress = Callable[[str], None]
BATCH = 100
STAMP = Stamp.system("evidence")


def _run_doc(run: FixityRun) -> dict[str, Any]:
    return {
        "started_at": run.started_at,
        "checked": run.checked,
        "mismatches": run.mismatches,
        "missing": run.missing,
        "last_id": run.last_id,
        "finished_at": run.finished_at,
    }


def _run_from_doc(d: dict[str, Any]) -> FixityRun:
    return FixityRun(
        id=d["_id"],
        started_at=d["started_at"],
        checked=d.get("checked", 0),
        mismatches=list(d.get("mismatches", [])),
        missing=list(d.get("missing", [])),
        last_id=d.get("last_id"),
        finished_at=d.get("finished_at"),
    )


class FixityRunRepository:
    def __init__(self, collections: Collections) -> None:
        self._c = collections.fixity_runs

    async def recent(self, limit: int) -> list[FixityRun]:
        docs = await self._c.find({}).sort("started_at", -1).limit(limit).to_list()
        return [_run_from_doc(d) for d in docs]


async def fixity(
    collections: Collections, archive: EvidenceArchive, *, resume: bool = True, progress: Progress = lambda _: None
) -> FixityRun:
    """Check every stored file. With `resume`, an unfinished run continues from its checkpoint."""
    runs = collections.fixity_runs
    unfinished = await runs.find_one({"finished_at": None}, sort=[("started_at", -1)]) if resume else None
    run = _run_from_doc(unfinished) if unfinished else FixityRun(uuid.uuid4().hex, datetime.now(UTC))
    if unfinished is None:
        await runs.insert_one({"_id": run.id, **_run_doc(run)})
    else:
        progress(f"resuming run {run.id} after {run.last_id} ({run.checked} files checked)")
    documents = DocumentRepository(collections, TransitionLog(collections))
    while True:
        batch = await documents.after(run.last_id, BATCH)
        if not batch:
            break
        for document in batch:
            for version in document.versions:
                if version.state is not DocumentState.STORED:
                    continue
                for part, stored in (("original", version.original), ("rendition", version.rendition)):
                    if stored is not None:
                        await _check(archive, run, document.id, version.version, part, stored)
            run.last_id = document.id
        await runs.update_one({"_id": run.id}, {"$set": _run_doc(run)})  # the checkpoint
        progress(f"checked {run.checked} files; {len(run.mismatches)} mismatches, {len(run.missing)} missing")
    run.finished_at = datetime.now(UTC)
    await runs.update_one({"_id": run.id}, {"$set": _run_doc(run)})
    return run


async def _check(archive: EvidenceArchive, run: FixityRun, document_id: str, version: int, part: str, stored: StoredFile) -> None:
    found = await archive.sha256(stored.key, stored.version_id)
    run.checked += 1
    where = {"documentId": document_id, "version": version, "part": part, "key": stored.key, "versionId": stored.version_id}
    if found is None:
        run.missing.append(where)
    elif found != (stored.sha256, stored.size):
        run.mismatches.append({**where, "expected": stored.sha256, "found": found[0], "size": found[1]})


async def extend_retention(
    collections: Collections, archive: EvidenceArchive, *, now: datetime | None = None, progress: Progress = lambda _: None
) -> int:
    """Extend every permanent lock that runs low. Idempotent: a second run extends nothing."""
    now = now or datetime.now(UTC)
    documents = DocumentRepository(collections, TransitionLog(collections))
    extended = 0
    last: str | None = None
    while batch := await documents.after(last, BATCH):
        for document in batch:
            retention = CLASSES[document.retention_class]
            for version in document.versions:
                if version.state is not DocumentState.STORED:
                    continue
                until = needs_extension(retention, version.lock_until, now)
                if until is None:
                    continue
                for stored in (version.original, version.rendition):
                    if stored is not None:
                        await archive.extend_retention(stored.key, stored.version_id, retention.mode.value, until)
                await documents.set_lock_until(document.id, version.version, until, STAMP)
                extended += 1
            last = document.id
        progress(f"extended {extended} versions so far")
    return extended


async def reconcile_pending(
    collections: Collections, archive: EvidenceArchive, *, older_than: timedelta = timedelta(minutes=15), progress: Progress = lambda _: None
) -> tuple[int, int]:
    """PENDING versions older than `older_than`: if the bytes reached the store (found by
    key and SHA-256 among the object's versions), mark them STORED; otherwise forget them.
    Returns (completed, forgotten)."""
    documents = DocumentRepository(collections, TransitionLog(collections))
    completed = forgotten = 0
    for document in await documents.with_pending(datetime.now(UTC) - older_than):
        for version in document.versions:
            if version.state is not DocumentState.PENDING:
                continue
            original = await _find(archive, version.original)
            rendition = await _find(archive, version.rendition) if version.rendition else None
            if original is not None and (version.rendition is None or rendition is not None):
                await documents.mark_stored(document.id, version.version, original, rendition, STAMP)
                completed += 1
            else:
                await documents.drop_pending(document.id, version.version, STAMP)
                forgotten += 1
    progress(f"reconciled: {completed} completed, {forgotten} forgotten")
    return completed, forgotten


async def _find(archive: EvidenceArchive, expected: StoredFile | None) -> StoredFile | None:
    if expected is None:
        return None
    try:
        versions = await archive.versions_of(expected.key)
    except S3Error:
        return None
    for version_id in versions:
        found = await archive.sha256(expected.key, version_id)
        if found == (expected.sha256, expected.size):
            return StoredFile(expected.key, version_id, expected.sha256, expected.size, expected.content_type)
    return None
