"""Evidence documents as the frontend sees them; bytes only through short audited links."""

from __future__ import annotations

from datetime import datetime

import strawberry
from graphql import GraphQLError

from domain import evidence as e
from domain.error_codes import declared
from domain.errors import DomainError
from domain.text import TEXT_CODES
from schema.context import Info
from schema.documents import usecases
from schema.errors import ErrorCode

EvidenceKindType = strawberry.enum(e.EvidenceKind, name="EvidenceKind", description="Kinds of scanned evidence.")


# What POST /uploads (api/uploads.py) answers: no valid token (before anything runs), NUL in
# the query, the upload's authorisation, the size, the checks of the file, and the store.
UPLOAD_CODES = declared(
    "UNAUTHENTICATED",
    *TEXT_CODES,
    *usecases.AUTHORISE_UPLOAD_CODES,
    "TOO_LARGE",
    "EMPTY_FILE",
    *e.SCAN_CODES,
    *usecases.STORE_CODES,
)


@strawberry.enum(description="Stable codes of POST /uploads errors (`{\"error\": {\"code\", \"field\", \"message\"}}`).")
class UploadErrorCode(ErrorCode, codes=UPLOAD_CODES):
    ...


@strawberry.type(description="One stored file: its SHA-256 is what the fixity audit re-checks.")
class StoredFile:
    sha256: str
    size: int
    content_type: str


@strawberry.type(description="A version of a document; corrections add versions, never overwrite.")
class DocumentVersion:
    version: int
    original: StoredFile = strawberry.field(description="The bytes exactly as uploaded.")
    rendition: StoredFile | None = strawberry.field(
        description="Images: orientation applied, EXIF/GPS and other metadata removed. Downloaded by default."
    )
    pages: int
    filename: str | None
    uploaded_by: str
    uploaded_at: datetime
    lock_until: datetime = strawberry.field(description="Retention: not deletable by anyone before this.")

    @classmethod
    def of(cls, v: e.DocumentVersion) -> DocumentVersion:
        def f(x: e.StoredFile) -> StoredFile:
            return StoredFile(sha256=x.sha256, size=x.size, content_type=x.content_type)

        return cls(
            version=v.version,
            original=f(v.original),
            rendition=f(v.rendition) if v.rendition else None,
            pages=v.pages,
            filename=v.filename,
            uploaded_by=v.uploaded_by,
            uploaded_at=v.uploaded_at,
            lock_until=v.lock_until,
        )


@strawberry.type(description="A short-lived link to download a file (Content-Disposition: attachment).")
class DownloadLink:
    url: str
    expires_at: datetime
    filename: str
    sha256: str


@strawberry.type(description="A scanned document of a student's dossier (Art. 6 (2), 9).")
class Document:
    document: strawberry.Private[e.Document]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.document.id)

    @strawberry.field
    def kind(self) -> EvidenceKindType:  # type: ignore[valid-type]
        return self.document.kind

    @strawberry.field
    def student_number(self) -> str:
        return self.document.number

    @strawberry.field(description="PERMANENT (COMPLIANCE lock, extended by the retention job) or WORKING (GOVERNANCE).")
    def retention_class(self) -> str:
        return self.document.retention_class

    @strawberry.field
    def legal_hold(self) -> bool:
        return self.document.legal_hold

    @strawberry.field(description="The paper file this scan mirrors (Art. 9).")
    def paper_location(self) -> str | None:
        return self.document.paper_location

    @strawberry.field
    def business_kind(self) -> str | None:
        return self.document.business_kind

    @strawberry.field
    def business_id(self) -> str | None:
        return self.document.business_id

    @strawberry.field
    def current(self) -> DocumentVersion | None:
        current = self.document.current
        return DocumentVersion.of(current) if current else None

    @strawberry.field(description="Every stored version, oldest first.")
    def versions(self) -> list[DocumentVersion]:
        return [DocumentVersion.of(v) for v in self.document.versions if v.state is e.DocumentState.STORED]

    @strawberry.field(
        description="A presigned link valid for minutes (the current version unless `version` is given). "
        "`original: true` gives the untouched upload and is for archivists. Each link issued is audited."
    )
    async def download_url(self, info: Info, version: int | None = None, original: bool = False) -> DownloadLink:
        try:
            link = await usecases.download_link(info.context, self.document, version, original)
        except DomainError as e:
            code = "FORBIDDEN" if e.code == "PERMISSION_DENIED" else "BAD_USER_INPUT"
            raise GraphQLError(e.message, extensions={"code": code, "field": e.field, "reason": e.code}) from e
        return DownloadLink(url=link.url, expires_at=link.expires_at, filename=link.filename, sha256=link.sha256)
