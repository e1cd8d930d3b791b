"""Evidence metadata: the `documents` collection (never inside the dossier)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.evidence import Document, DocumentState, DocumentVersion, EvidenceKind, StoredFile
from storage.mongo import Collections, Doc


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
        revision=d.get("revision", 1),
    )


class DocumentRepository:
    def __init__(self, collections: Collections) -> None:
        self._c = collections.documents

    async def insert_pending(self, document: Document) -> None:
        """A new document whose first version is PENDING (invisible) until its object is stored."""
        await self._c.insert_one(
            {
                "_id": document.id,
                "dossier_id": document.dossier_id,
                "number": document.number,
                "school_code": document.school_code,
                "kind": document.kind.value,
                "retention_class": document.retention_class,
                "business_kind": document.business_kind,
                "business_id": document.business_id,
                "paper_location": document.paper_location,
                "legal_hold": False,
                "versions": [_version_to_doc(v) for v in document.versions],
                "stored": False,
                "created_at": document.created_at,
                "revision": 1,
            }
        )

    async def add_pending_version(self, document: Document, version: DocumentVersion) -> bool:
        result = await self._c.update_one(
            {"_id": document.id, "revision": document.revision},
            {"$push": {"versions": _version_to_doc(version)}, "$inc": {"revision": 1}},
        )
        return result.modified_count == 1

    async def _update_version(self, document_id: str, version: int, changes: Doc, extra: Doc | None = None) -> None:
        """Change one version's fields: read, modify, write guarded by `revision` (retried)."""
        for _ in range(10):
            doc = await self._c.find_one({"_id": document_id})
            assert doc is not None
            versions: list[dict[str, Any]] = doc["versions"]
            for v in versions:
                if v["version"] == version:
                    v.update(changes)
            result = await self._c.update_one(
                {"_id": document_id, "revision": doc.get("revision", 1)},
                {"$set": {"versions": versions, **(extra or {})}, "$inc": {"revision": 1}},
            )
            if result.modified_count == 1:
                return
        raise RuntimeError(f"document {document_id} kept changing; version {version} not updated")

    async def mark_stored(self, document_id: str, version: int, original: StoredFile, rendition: StoredFile | None) -> None:
        changes = {"state": DocumentState.STORED.value, "original": _file_to_doc(original), "rendition": _file_to_doc(rendition)}
        if version == 1:
            # A new document's only version: one guarded write, no read (the common case).
            result = await self._c.update_one(
                {"_id": document_id, "revision": 1, "versions.version": 1},
                {"$set": {"versions.0.state": changes["state"], "versions.0.original": changes["original"],
                          "versions.0.rendition": changes["rendition"], "stored": True}, "$inc": {"revision": 1}},
            )
            if result.modified_count == 1:
                return
        await self._update_version(document_id, version, changes, {"stored": True})

    async def drop_pending(self, document_id: str, version: int) -> None:
        """Forget a version whose object never reached the store (and the document, if it
        was its first). Read-modify-write guarded by `revision`: `$pull` with a condition
        on sub-document fields is not the same on every MongoDB-protocol server."""
        for _ in range(10):
            doc = await self._c.find_one({"_id": document_id})
            if doc is None:
                return
            kept = [v for v in doc["versions"] if not (v["version"] == version and v["state"] == "PENDING")]
            guard = {"_id": document_id, "revision": doc.get("revision", 1)}
            if not kept:
                if (await self._c.delete_one(guard)).deleted_count == 1:
                    return
            elif (await self._c.update_one(guard, {"$set": {"versions": kept}, "$inc": {"revision": 1}})).modified_count == 1:
                return
        raise RuntimeError(f"document {document_id} kept changing; version {version} not dropped")

    async def get(self, document_id: str) -> Document | None:
        doc = await self._c.find_one({"_id": document_id, "stored": True})
        return document_from_doc(doc) if doc else None

    async def for_dossier(self, dossier_id: str) -> list[Document]:
        docs = await self._c.find({"dossier_id": dossier_id, "stored": True}).sort("created_at", 1).to_list()
        return [document_from_doc(d) for d in docs]

    async def set_legal_hold(self, document_id: str, hold: bool) -> None:
        await self._c.update_one({"_id": document_id}, {"$set": {"legal_hold": hold}, "$inc": {"revision": 1}})

    async def with_pending(self, older_than: datetime) -> list[Document]:
        docs = await self._c.find({"versions.state": "PENDING", "created_at": {"$lt": older_than}}).to_list()
        return [document_from_doc(d) for d in docs]

    async def after(self, last_id: str | None, limit: int) -> list[Document]:
        """Stored documents in id order, for resumable sweeps (fixity, retention)."""
        query: Doc = {"stored": True} if last_id is None else {"stored": True, "_id": {"$gt": last_id}}
        docs = await self._c.find(query).sort("_id", 1).limit(limit).to_list()
        return [document_from_doc(d) for d in docs]

    async def set_lock_until(self, document_id: str, version: int, until: datetime) -> None:
        await self._update_version(document_id, version, {"lock_until": until})
