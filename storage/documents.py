"""Evidence metadata: the `documents` collection (never inside the dossier).

Every change to a document (a new version, its object stored, a legal hold, a longer
lock, its paper location, its withdrawal) claims the document's next version in the
transition log, so two uploads of a new version at once get one version number each, or
one of them a conflict before anything reaches the object store. The log is also the
document's history: changes of record carry their old and new values and the reason.

A document carries the scope tokens of its dossier (`scope_keys`: every school the
dossier is seen through), so that an archivist's lists are one equality on one array
element, as the dossiers' are. A new document takes them from its dossier and later
versions keep them; `follow_dossier` brings them up to date when the dossier moves to
another school (a `RESCOPED` version), and `follow_dossiers` (the reconcile sweep) does so
for every document whose scope lags. A change that races a rescope is claimed against the
version it read, so it either follows the rescope or makes it read again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.evidence import (
    ArchiveList,
    Document,
    DocumentChange,
    DocumentState,
    DocumentVersion,
    EvidenceKind,
    StoredFile,
    Withdrawal,
)
from domain.ports import ConcurrentWrite, Page, Stamp
from storage.mongo import Collections, Doc
from storage.transitions import TransitionLog

AGGREGATE = "document"


def _file_to_doc(f: StoredFile | None) -> Doc | None:
    return None if f is None else dict(f.__dict__)


def _file_from_doc(d: Doc | None) -> StoredFile | None:
    return None if d is None else StoredFile(**d)


def _version_to_doc(v: DocumentVersion) -> Doc:
    return {
        "version": v.version,
        "original": _file_to_doc(v.original),
        "rendition": _file_to_doc(v.rendition),
        "pages": v.pages,
        "filename": v.filename,
        "uploaded_by": v.uploaded_by,
        "uploaded_at": v.uploaded_at,
        "lock_until": v.lock_until,
        "state": v.state.value,
        "trailing_bytes": v.trailing_bytes,
    }


def _version_from_doc(d: Doc) -> DocumentVersion:
    original = _file_from_doc(d["original"])
    assert original is not None
    return DocumentVersion(
        version=d["version"],
        original=original,
        rendition=_file_from_doc(d.get("rendition")),
        pages=d["pages"],
        filename=d.get("filename"),
        uploaded_by=d["uploaded_by"],
        uploaded_at=d["uploaded_at"],
        lock_until=d["lock_until"],
        state=DocumentState(d["state"]),
        trailing_bytes=d.get("trailing_bytes", 0),
    )


def document_from_doc(d: Doc) -> Document:
    return Document(
        id=d["_id"],
        dossier_id=d["dossier_id"],
        number=d["number"],
        school_code=d["school_code"],
        kind=EvidenceKind(d["kind"]),
        retention_class=d["retention_class"],
        business_kind=d.get("business_kind"),
        business_id=d.get("business_id"),
        paper_location=d.get("paper_location"),
        legal_hold=bool(d.get("legal_hold")),
        versions=tuple(_version_from_doc(v) for v in d.get("versions", [])),
        created_at=d["created_at"],
        revision=d.get("version", 1),
        withdrawal=Withdrawal(**d["withdrawal"]) if d.get("withdrawal") else None,
    )


def document_to_doc(document: Document) -> Doc:
    return {
        "_id": document.id,
        "dossier_id": document.dossier_id,
        "number": document.number,
        "school_code": document.school_code,
        "kind": document.kind.value,
        "retention_class": document.retention_class,
        "business_kind": document.business_kind,
        "business_id": document.business_id,
        "paper_location": document.paper_location,
        "legal_hold": document.legal_hold,
        "versions": [_version_to_doc(v) for v in document.versions],
        # Shown once a version is stored; a document whose only upload failed stays hidden.
        "stored": any(v.state is DocumentState.STORED for v in document.versions),
        "pending": any(v.state is DocumentState.PENDING for v in document.versions),
        "pending_since": document.pending_since,
        "withdrawal": None if document.withdrawal is None else dict(document.withdrawal.__dict__),
        "withdrawn": document.withdrawal is not None,
        "created_at": document.created_at,
    }


# What an archivist's list filters on, by list.
_LIST_FIELDS = {ArchiveList.LEGAL_HOLD: "legal_hold", ArchiveList.WITHDRAWN: "withdrawn"}
# Fields of the live document that are not the document's state.
_NOT_STATE = ("version", "log_hash")


def _record(changes: dict[str, tuple[Any, Any]], reason: str | None) -> Doc:
    """A change of record as the log keeps it: each field's old and new value, and why."""
    return {"changes": {k: {"old": old, "new": new} for k, (old, new) in changes.items()}, "reason": reason}


def _change_from_entry(entry: Doc) -> DocumentChange:
    record = entry.get("change") or {}
    return DocumentChange(
        version=entry["version"],
        at=entry["at"],
        actor=entry["actor"],
        action=entry["action"],
        changes={k: (v.get("old"), v.get("new")) for k, v in (record.get("changes") or {}).items()},
        reason=record.get("reason"),
    )


class DocumentRepository:
    def __init__(self, collections: Collections, log: TransitionLog) -> None:
        self._c = collections.documents
        self._students = collections.students
        self._log = log

    async def _load(self, document_id: str) -> tuple[Document | None, str | None]:
        doc = await self._log.current(AGGREGATE, self._c, await self._c.find_one({"_id": document_id}), document_id)
        return (document_from_doc(doc), doc.get("log_hash")) if doc else (None, None)

    async def _scope_keys(self, dossier_id: str) -> list[str]:
        """The scope tokens of the dossier as it stands (one `_id` read)."""
        dossier = await self._students.find_one({"_id": dossier_id}, {"scope_keys": 1})
        return list(dossier.get("scope_keys", [])) if dossier else []

    async def _commit(
        self, before: Document | None, after: Document, stamp: Stamp, action: str, change: Doc | None = None
    ) -> None:
        """Claim the version after `before` (the first, without one). A new document takes
        its dossier's scope; a changed one keeps the scope of the version it follows."""
        prev_hash, keys = None, None
        if before is not None:
            stored = await self._c.find_one({"_id": before.id}, {"log_hash": 1, "version": 1, "scope_keys": 1})
            if stored and stored.get("version") == before.revision:
                prev_hash, keys = stored.get("log_hash"), stored.get("scope_keys")
        if keys is None:
            keys = await self._scope_keys(after.dossier_id)
        await self._log.commit(
            AGGREGATE, self._c, {**document_to_doc(after), "scope_keys": keys}, expected=before.revision if before else 0,
            prev_hash=prev_hash, stamp=stamp, action=action, change=change,
        )

    async def insert_pending(self, document: Document, stamp: Stamp) -> bool:
        """A new document whose first version is PENDING (invisible) until its object is
        stored. False when the id is taken."""
        try:
            await self._commit(None, document, stamp, "VERSION_PENDING")
        except ConcurrentWrite:
            return False
        return True

    async def add_pending_version(self, document: Document, version: DocumentVersion, stamp: Stamp) -> bool:
        """Claim the next version of a document read at `document.revision`; False when
        the document changed since (another version was added first)."""
        after = replace(document, versions=(*document.versions, version))
        try:
            await self._commit(document, after, stamp, "VERSION_PENDING")
        except ConcurrentWrite:
            return False
        return True

    async def _change(
        self,
        document_id: str,
        stamp: Stamp,
        action: str,
        change: Callable[[Document], Document | None],
        record: Callable[[Doc, Doc], Doc | None] | None = None,
        keys: list[str] | None = None,
    ) -> Doc | None:
        """Read, change and claim the next version, again while other changes win first;
        nothing is claimed when the state would stay as it is. The scope stays that of the
        version read, unless `keys` gives the dossier's (`follow_dossier`)."""

        def changed(doc: Doc) -> Doc | None:
            after = change(document_from_doc(doc))
            if after is None:
                return None
            state = {**document_to_doc(after), "scope_keys": doc.get("scope_keys", []) if keys is None else keys}
            return None if state == {k: v for k, v in doc.items() if k not in _NOT_STATE} else state

        return await self._log.update(AGGREGATE, self._c, document_id, changed, stamp=stamp, action=action, record=record)

    async def mark_stored(
        self, document_id: str, version: int, original: StoredFile, rendition: StoredFile | None, stamp: Stamp
    ) -> None:
        def stored(d: Document) -> Document:
            versions = tuple(
                replace(v, original=original, rendition=rendition, state=DocumentState.STORED) if v.version == version else v
                for v in d.versions
            )
            return replace(d, versions=versions)

        await self._change(document_id, stamp, "VERSION_STORED", stored)

    async def drop_pending(self, document_id: str, version: int, stamp: Stamp) -> None:
        """Forget a version whose object never reached the store (the document stays
        hidden when it was its first; its log keeps the attempt)."""

        def dropped(d: Document) -> Document | None:
            kept = tuple(v for v in d.versions if not (v.version == version and v.state is DocumentState.PENDING))
            return None if kept == d.versions else replace(d, versions=kept)

        await self._change(document_id, stamp, "VERSION_DROPPED", dropped)

    async def get(self, document_id: str) -> Document | None:
        document, _ = await self._load(document_id)
        return document if document is not None and document.current is not None else None

    async def for_dossier(self, dossier_id: str) -> list[Document]:
        docs = await self._c.find({"dossier_id": dossier_id, "stored": True}).sort("created_at", 1).to_list()
        return [document for document in map(document_from_doc, docs) if document.withdrawal is None]

    async def set_legal_hold(self, document_id: str, hold: bool, stamp: Stamp) -> None:
        await self._change(
            document_id, stamp, "LEGAL_HOLD_SET" if hold else "LEGAL_HOLD_RELEASED",
            lambda d: None if d.legal_hold == hold else replace(d, legal_hold=hold),
        )

    async def withdraw(self, before: Document, after: Document, stamp: Stamp) -> bool:
        assert after.withdrawal is not None
        change = _record({"withdrawn": (False, True)}, after.withdrawal.reason)
        try:
            await self._commit(before, after, stamp, "WITHDRAWN", change)
        except ConcurrentWrite:
            return False
        return True

    async def set_paper_location(
        self, document_id: str, location: str, reason: str | None, stamp: Stamp
    ) -> tuple[str | None, Document] | None:
        replaced: list[str | None] = [None]

        def moved(d: Document) -> Document | None:
            if d.withdrawal is not None or d.paper_location == location:
                return None  # withdrawn meanwhile, or moved there meanwhile: nothing to claim
            replaced[0] = d.paper_location
            return replace(d, paper_location=location)

        def record(before: Doc, after: Doc) -> Doc:
            return _record({"paper_location": (before.get("paper_location"), after["paper_location"])}, reason)

        doc = await self._change(document_id, stamp, "PAPER_LOCATION_CHANGED", moved, record)
        return None if doc is None else (replaced[0], document_from_doc(doc))

    async def history(self, document: Document) -> list[DocumentChange]:
        """Every version of the document's record, oldest first (`_id` reads of its log)."""
        return [_change_from_entry(e) for e in await self._log.entries(AGGREGATE, document.id, document.revision)]

    async def follow_dossier(self, dossier_id: str, stamp: Stamp) -> int:
        keys = await self._scope_keys(dossier_id)
        docs = await self._c.find({"dossier_id": dossier_id}, {"scope_keys": 1}).to_list()
        lagging = [d["_id"] for d in docs if d.get("scope_keys") != keys]
        for document_id in lagging:
            await self._change(document_id, stamp, "RESCOPED", lambda d: d, keys=keys)
        return len(lagging)

    async def follow_dossiers(self, after: str | None, limit: int, stamp: Stamp) -> tuple[str | None, int]:
        """`follow_dossier` for the next `limit` documents (any state) in id order: the last
        id seen (None at the end) and how many documents changed. For the reconcile sweep."""
        query: Doc = {} if after is None else {"_id": {"$gt": after}}
        docs = await self._c.find(query, {"dossier_id": 1, "scope_keys": 1}).sort("_id", 1).limit(limit).to_list()
        changed = 0
        for d in docs:
            keys = await self._scope_keys(d["dossier_id"])
            if d.get("scope_keys") != keys:
                await self._change(d["_id"], stamp, "RESCOPED", lambda x: x, keys=keys)
                changed += 1
        return (docs[-1]["_id"] if docs else None), changed

    async def page(self, scope_key: str, which: ArchiveList, *, after: str | None, first: int) -> Page[Document]:
        """Documents of a list seen through one scope token, in id order (keyset)."""
        query: Doc = {"scope_keys": scope_key, _LIST_FIELDS[which]: True}
        total = await self._c.count_documents(query)
        page_query = {**query, "_id": {"$gt": after}} if after is not None else query
        docs = await self._c.find(page_query).sort("_id", 1).limit(first + 1).to_list()
        documents = [document_from_doc(d) for d in docs[:first]]
        return Page(documents, [d.id for d in documents], len(docs) > first, total)

    async def count_stuck(self, scope_key: str, pending_before: datetime) -> int:
        return await self._c.count_documents({"scope_keys": scope_key, "pending": True, "pending_since": {"$lt": pending_before}})

    async def with_pending(self, older_than: datetime) -> list[Document]:
        docs = await self._c.find({"pending": True}).to_list()
        return [document_from_doc(d) for d in docs if _pending_since(d) < older_than]

    async def after(self, last_id: str | None, limit: int) -> list[Document]:
        """Stored documents in id order, for resumable sweeps (fixity, retention)."""
        query: Doc = {"stored": True} if last_id is None else {"stored": True, "_id": {"$gt": last_id}}
        docs = await self._c.find(query).sort("_id", 1).limit(limit).to_list()
        return [document_from_doc(d) for d in docs]

    async def set_lock_until(self, document_id: str, version: int, until: datetime, stamp: Stamp) -> None:
        await self._change(
            document_id, stamp, "LOCK_EXTENDED",
            lambda d: replace(d, versions=tuple(replace(v, lock_until=until) if v.version == version else v for v in d.versions)),
        )


def _pending_since(d: Doc) -> datetime:
    pending: list[datetime] = [v["uploaded_at"] for v in d.get("versions", []) if v.get("state") == DocumentState.PENDING.value]
    created: datetime = d["created_at"]
    return min(pending) if pending else created
