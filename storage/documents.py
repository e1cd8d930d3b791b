"""Evidence metadata: the `documents` collection (never inside the dossier).

Every change to a document (a new version, its object stored, a legal hold, a longer
lock) claims the document's next version in the transition log, so two uploads of a new
version at once get one version number each, or one of them a conflict before anything
reaches the object store."""

from __future__ import annotations

from datetime import datetime
from collections.abc import Callable

from dataclasses import replace

from domain.evidence import Document, DocumentState, DocumentVersion, EvidenceKind, StoredFile
from domain.ports import ConcurrentWrite, Stamp
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
        "created_at": document.created_at,
    }


class DocumentRepository:
    def __init__(self, collections: Collections, log: TransitionLog) -> None:
        self._c = collections.documents
        self._log = log

    async def _load(self, document_id: str) -> tuple[Document | None, str | None]:
        doc = await self._log.current(AGGREGATE, self._c, await self._c.find_one({"_id": document_id}), document_id)
        return (document_from_doc(doc), doc.get("log_hash")) if doc else (None, None)

    async def _commit(self, before: Document | None, after: Document, prev_hash: str | None, stamp: Stamp, action: str) -> None:
        await self._log.commit(
            AGGREGATE, self._c, document_to_doc(after), expected=before.revision if before else 0,
            prev_hash=prev_hash, stamp=stamp, action=action,
        )

    async def insert_pending(self, document: Document, stamp: Stamp) -> bool:
        """A new document whose first version is PENDING (invisible) until its object is
        stored. False when the id is taken."""
        try:
            await self._commit(None, document, None, stamp, "VERSION_PENDING")
        except ConcurrentWrite:
            return False
        return True

    async def add_pending_version(self, document: Document, version: DocumentVersion, stamp: Stamp) -> bool:
        """Claim the next version of a document read at `document.revision`; False when
        the document changed since (another version was added first)."""
        stored = await self._c.find_one({"_id": document.id}, {"log_hash": 1, "version": 1})
        prev_hash = stored.get("log_hash") if stored and stored.get("version") == document.revision else None
        after = replace(document, versions=(*document.versions, version))
        try:
            await self._commit(document, after, prev_hash, stamp, "VERSION_PENDING")
        except ConcurrentWrite:
            return False
        return True

    async def _change(self, document_id: str, stamp: Stamp, action: str, change: Callable[[Document], Document | None]) -> None:
        """Read, change and claim the next version, again while other changes win first."""

        def changed(doc: Doc) -> Doc | None:
            after = change(document_from_doc(doc))
            return None if after is None else document_to_doc(after)

        await self._log.update(AGGREGATE, self._c, document_id, changed, stamp=stamp, action=action)

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
        return [document_from_doc(d) for d in docs]

    async def set_legal_hold(self, document_id: str, hold: bool, stamp: Stamp) -> None:
        await self._change(
            document_id, stamp, "LEGAL_HOLD_SET" if hold else "LEGAL_HOLD_RELEASED",
            lambda d: None if d.legal_hold == hold else replace(d, legal_hold=hold),
        )

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
