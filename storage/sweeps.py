"""Archive sweeps run by `scripts/evidence` (and on a schedule): each walks the stored
documents in id order, keeps a checkpoint, and can be stopped and resumed at any point.

- fixity: re-read every stored object, recompute SHA-256, report mismatches and missing
  objects (R-E2, Art. 19: the archive answers for its integrity for decades);
- retention: push the permanent class's lock forward before it runs low (Art. 19);
- reconcile: finish or forget uploads whose metadata stayed PENDING after a failure, bring
  every document's scope up to its dossier, and count the objects no metadata names
  (`storage/orphans.py`), recording the run for the archivists' `archiveStatus`.

Each fixity check also records, per stored object, when it was last checked and with
what result (`fixity_checks`, keyed by object), so a document shows its own status."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from minio.error import S3Error
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from domain.evidence import (
    CLASSES,
    Document,
    DocumentState,
    FixityResult,
    FixityRun,
    ObjectCheck,
    ObjectPart,
    ReconcileRun,
    STUCK_AFTER,
    StoredFile,
    needs_extension,
)
from storage.documents import DocumentRepository
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, Doc
from storage.orphans import find_orphans
from storage.placement import SchoolPlacement
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


def check_id(document_id: str, version: int, part: ObjectPart) -> str:
    """The key of one stored object's last check."""
    return f"{document_id}:{version}:{part.value}"


def _check_from_doc(d: Doc) -> ObjectCheck:
    return ObjectCheck(
        document_id=d["document_id"],
        version=d["version"],
        part=ObjectPart(d["part"]),
        run_id=d["run_id"],
        checked_at=d["checked_at"],
        result=FixityResult(d["result"]),
    )


def _reconcile_from_doc(d: Doc) -> ReconcileRun:
    return ReconcileRun(
        id=d["_id"],
        started_at=d["started_at"],
        finished_at=d.get("finished_at"),
        completed=d.get("completed", 0),
        forgotten=d.get("forgotten", 0),
        objects_checked=d.get("objects_checked", 0),
        orphans=d.get("orphans", 0),
        orphans_by_scope={o["token"]: o["count"] for o in d.get("orphans_by_scope", [])},
    )


class FixityRunRepository:
    def __init__(self, collections: Collections) -> None:
        self._c = collections.fixity_runs
        self._checks = collections.fixity_checks
        self._reconcile_runs = collections.reconcile_runs

    async def recent(self, limit: int) -> list[FixityRun]:
        docs = await self._c.find({}).sort("started_at", -1).limit(limit).to_list()
        return [_run_from_doc(d) for d in docs]

    async def checks(self, document: Document) -> list[ObjectCheck]:
        """The last check of each stored object of the document, by `_id` (none yet: absent)."""
        ids = [
            check_id(document.id, v.version, part)
            for v in document.versions
            if v.state is DocumentState.STORED
            for part, _ in v.objects()
        ]
        found = await asyncio.gather(*(self._checks.find_one({"_id": i}) for i in ids))
        return [_check_from_doc(d) for d in found if d is not None]

    async def last_reconcile(self) -> ReconcileRun | None:
        doc = await self._reconcile_runs.find_one({"finished": True}, sort=[("started_at", -1)])
        return _reconcile_from_doc(doc) if doc else None


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
                for part, stored in version.objects():
                    await _check(collections, archive, run, document.id, version.version, part, stored)
            run.last_id = document.id
        await runs.update_one({"_id": run.id}, {"$set": _run_doc(run)})  # the checkpoint
        progress(f"checked {run.checked} files; {len(run.mismatches)} mismatches, {len(run.missing)} missing")
    run.finished_at = datetime.now(UTC)
    await runs.update_one({"_id": run.id}, {"$set": _run_doc(run)})
    return run


async def _check(
    collections: Collections, archive: EvidenceArchive, run: FixityRun, document_id: str, version: int, part: ObjectPart,
    stored: StoredFile,
) -> None:
    found = await archive.sha256(stored.key, stored.version_id)
    run.checked += 1
    where = {"documentId": document_id, "version": version, "part": part.value, "key": stored.key, "versionId": stored.version_id}
    result = FixityResult.OK
    if found is None:
        run.missing.append(where)
        result = FixityResult.MISSING
    elif found != (stored.sha256, stored.size):
        run.mismatches.append({**where, "expected": stored.sha256, "found": found[0], "size": found[1]})
        result = FixityResult.MISMATCH
    check = {
        "_id": check_id(document_id, version, part), "document_id": document_id, "version": version, "part": part.value,
        "run_id": run.id, "checked_at": datetime.now(UTC), "result": result.value,
    }
    await _replace_by_id(collections.fixity_checks, check)


async def _replace_by_id(collection: AsyncCollection[Doc], doc: Doc) -> None:
    """Keep `doc` as the one document with its `_id` (the last write wins: a check's result
    replaces the one before). Two first writes at once both insert; one of them then
    replaces what the other inserted."""
    try:
        await collection.replace_one({"_id": doc["_id"]}, doc, upsert=True)
    except DuplicateKeyError:
        await collection.replace_one({"_id": doc["_id"]}, doc)


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
    collections: Collections, archive: EvidenceArchive, *, older_than: timedelta = STUCK_AFTER, progress: Progress = lambda _: None
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


async def reconcile(
    collections: Collections, archive: EvidenceArchive, *, older_than: timedelta = STUCK_AFTER,
    progress: Progress = lambda _: None,
) -> ReconcileRun:
    """One reconcile run, recorded: PENDING uploads finished or forgotten, documents'
    scopes brought up to their dossiers, and the objects without metadata counted per
    scope token (what `archiveStatus` reads). A run that stops is left unfinished; the next
    one starts afresh."""
    runs = collections.reconcile_runs
    run_id = uuid.uuid4().hex
    started = datetime.now(UTC)
    await runs.insert_one({"_id": run_id, "started_at": started, "finished": False})
    completed, forgotten = await reconcile_pending(collections, archive, older_than=older_than, progress=progress)
    documents = DocumentRepository(collections, TransitionLog(collections))
    rescoped, last = 0, None
    while True:
        last, changed = await documents.follow_dossiers(last, BATCH, STAMP)
        rescoped += changed
        if last is None:
            break
    progress(f"rescoped {rescoped} documents to their dossiers")
    found = await find_orphans(collections, archive, SchoolPlacement(collections), run_id, progress=progress)
    by_scope = [{"token": token, "count": count} for token, count in sorted(found.by_scope.items())]
    finished: Doc = {
        "finished": True, "finished_at": datetime.now(UTC), "completed": completed, "forgotten": forgotten,
        "rescoped": rescoped, "objects_checked": found.checked, "orphans": found.orphans, "orphans_by_scope": by_scope,
    }
    await runs.update_one({"_id": run_id}, {"$set": finished})
    doc = await runs.find_one({"_id": run_id})
    assert doc is not None
    return _reconcile_from_doc(doc)
