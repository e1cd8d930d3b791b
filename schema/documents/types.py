"""Evidence documents as the frontend sees them; bytes only through short audited links."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from domain import evidence as e
from domain.error_codes import declared
from domain.errors import DomainError
from domain.text import TEXT_CODES
from schema.context import Info
from schema.docs import describe_values
from application.exports import AUTHORISE_EXPORT_UPLOAD_CODES
from application import documents as usecases
from schema.errors import ErrorCode

EvidenceKindType = describe_values(
    strawberry.enum(
        e.EvidenceKind,
        name="EvidenceKind",
        description="Kinds of scanned evidence (Art. 6 (2), 9). Each kind decides how long the scan is kept: "
        "WORKING_COPY 3 years, every other kind permanently (Art. 19).",
    ),
    {
        "HOUSEHOLD_REGISTER": "居民户口簿: the household register pages, e.g. for an Art. 10 correction.",
        "MEDICAL_CERTIFICATE": "县级以上医院诊断证明: a county-level-or-higher hospital's diagnosis, for a suspension for "
        "illness (Art. 13).",
        "RECOVERY_CERTIFICATE": "治愈 / 可正常学习证明: proof of recovery, for a resumption after illness (Art. 13).",
        "SKIP_GRADE_FORM": "跳级申请: the skip-grade form signed and sealed by the school, as an image (Art. 15).",
        "TRANSFER_CERTIFICATE": "学籍证明 / 转学证明: the status certificate of the original school, for a transfer "
        "across provinces (Art. 11).",
        "STATUS_APPLICATION": "The guardian's written application for a status change (transfer, suspension, "
        "resumption, going abroad, skipping a grade).",
        "DEATH_CERTIFICATE": "死亡证明: the death certificate (Art. 16).",
        "APPROVAL_LETTER": "批准文件: an approval letter, e.g. for a grade-1 age exception (Art. 4).",
        "SANCTION_DECISION": "处分决定 / 解除处分决定: the school's decision to give or lift a sanction (Art. 11(4)).",
        "WORKING_COPY": "A scan kept while a case is worked on, not dossier evidence; kept 3 years.",
    },
)


# What POST /uploads (api/uploads.py) answers: no valid token (before anything runs), NUL in
# the query, the upload's authorisation, the size, the checks of the file, and the store.
UPLOAD_CODES = declared(
    "UNAUTHENTICATED",
    "DATABASE_UNAVAILABLE",
    "INTERNAL_SERVER_ERROR",
    *TEXT_CODES,
    *usecases.AUTHORISE_UPLOAD_CODES,
    "TOO_LARGE",
    "EMPTY_FILE",
    *e.SCAN_CODES,
    *usecases.STORE_CODES,
    *AUTHORISE_EXPORT_UPLOAD_CODES,  # the written approval of an export request (Art. 24)
)


@strawberry.enum(description="Stable codes of POST /uploads errors (`{\"error\": {\"code\", \"field\", \"message\"}}`).")
class UploadErrorCode(ErrorCode, codes=UPLOAD_CODES):
    ...


@strawberry.type(description="One stored file: its SHA-256 is what the fixity audit re-checks.")
class StoredFile:
    sha256: str = strawberry.field(description="SHA-256 of the file's bytes, 64 lower-case hex digits.")
    size: int = strawberry.field(description="Size of the file in bytes.")
    content_type: str = strawberry.field(
        description="The type found in the bytes: image/jpeg, image/png, image/tiff or application/pdf."
    )


@strawberry.type(description="A version of a document; corrections add versions, never overwrite.")
class DocumentVersion:
    version: int = strawberry.field(description="The version number: 1 for the first upload, then 2, 3, …")
    original: StoredFile = strawberry.field(description="The bytes exactly as uploaded.")
    rendition: StoredFile | None = strawberry.field(
        description="Images: orientation applied, EXIF/GPS and other metadata removed. Downloaded by default."
    )
    pages: int = strawberry.field(description="Number of pages (1 for a single image; a PDF's or TIFF's page count).")
    filename: str | None = strawberry.field(description="The file name given at upload (`filename`), if any.")
    uploaded_by: str = strawberry.field(description="Login of the registrar who uploaded it.")
    uploaded_at: datetime = strawberry.field(description="When it was uploaded (ISO 8601 date and time, UTC).")
    lock_until: datetime = strawberry.field(
        description="Retention (S3 object lock): not deletable by anyone before this (ISO 8601); a PERMANENT lock is "
        "pushed forward by the retention job."
    )
    trailing_bytes: int = strawberry.field(
        description="Bytes that followed the end of the image in the uploaded file (another file appended, "
        "vendor data): kept in the original, never in the rendition."
    )

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
            trailing_bytes=v.trailing_bytes,
        )


@strawberry.type(
    description="Why a document is out of its dossier: who withdrew it, when and why (a scan filed under the wrong "
    "student). The scan and its metadata stay under retention; nothing is deleted (R-E3)."
)
class DocumentWithdrawal:
    by: str = strawberry.field(description="Login of the registrar who withdrew it.")
    at: datetime = strawberry.field(description="When it was withdrawn (ISO 8601 date and time, UTC).")
    reason: str = strawberry.field(description="Why, as the registrar wrote it (e.g. whose scan it really is).")


@strawberry.type(
    description="One version of a document's record (its transition log), oldest first: who changed what, when "
    "and why (Art. 20: every change recorded)."
)
class DocumentChange:
    version: int = strawberry.field(description="The record's version this change made: 1, 2, 3, …")
    at: datetime = strawberry.field(description="When (ISO 8601 date and time, UTC).")
    actor: str = strawberry.field(description="Login of the account that made it; `system:…` for a sweep.")
    action: str = strawberry.field(
        description="VERSION_PENDING and VERSION_STORED (an upload), VERSION_DROPPED (an upload that failed), "
        "LEGAL_HOLD_SET, LEGAL_HOLD_RELEASED, LOCK_EXTENDED (retention), PAPER_LOCATION_CHANGED (Art. 9), WITHDRAWN, "
        "or RESCOPED (the dossier moved to another school and the document follows it)."
    )
    changes: JSON = strawberry.field(
        description="A JSON object: changed field → `{\"old\": …, \"new\": …}` for changes of record "
        "(`paper_location`, `withdrawn`); empty for the others."
    )
    reason: str | None = strawberry.field(description="Why, when the change was given a reason.")

    @classmethod
    def of(cls, c: e.DocumentChange) -> DocumentChange:
        changes = {k: {"old": old, "new": new} for k, (old, new) in c.changes.items()}
        return cls(version=c.version, at=c.at, actor=c.actor, action=c.action, changes=cast(JSON, changes), reason=c.reason)


ObjectPartType = describe_values(
    strawberry.enum(e.ObjectPart, name="ObjectPart", description="Which file of a document version a stored object is."),
    {
        "ORIGINAL": "The bytes exactly as uploaded.",
        "RENDITION": "The normalised image derived from an uploaded image (orientation applied, metadata removed).",
    },
)
FixityResultType = describe_values(
    strawberry.enum(e.FixityResult, name="FixityResult", description="What a fixity check found for one stored object."),
    {
        "OK": "The object's SHA-256 and size are the recorded ones.",
        "MISMATCH": "The bytes differ from the recorded SHA-256 or size: the object is damaged or was replaced.",
        "MISSING": "The store no longer has this object version.",
    },
)


@strawberry.type(description="The last fixity check of one stored object of a document (`scripts/evidence fixity`).")
class ObjectFixity:
    version: int = strawberry.field(description="The document version the object belongs to.")
    part: ObjectPartType = strawberry.field(description="The original or the rendition.")  # type: ignore[valid-type]
    checked_at: datetime | None = strawberry.field(
        description="When it was last re-read and hashed (ISO 8601, UTC); null when no fixity run has reached it yet."
    )
    result: FixityResultType | None = strawberry.field(  # type: ignore[valid-type]
        description="What that check found; null when it was never checked."
    )
    run_id: strawberry.ID | None = strawberry.field(description="The fixity run (`FixityRun.id`) that checked it last.")


@strawberry.type(description="A short-lived link to download a file (Content-Disposition: attachment).")
class DownloadLink:
    url: str = strawberry.field(description="A presigned GET URL of the evidence store; open it in the browser as it is.")
    expires_at: datetime = strawberry.field(
        description="When the link stops working (ISO 8601; 300 seconds after issue by default)."
    )
    filename: str = strawberry.field(
        description="The name the browser saves it under: number-kind-vN[-original] and the type's extension."
    )
    sha256: str = strawberry.field(description="SHA-256 of the file the link returns, to check the download against.")


@strawberry.type(
    description="A scanned document of a student's dossier (Art. 6 (2), 9), with all its versions. Seen by whoever "
    "sees the student; uploaded by the registrar of the student's school (POST /uploads). A withdrawn document "
    "(`withdrawal` set) is out of the dossier and seen only by archivists and auditors."
)
class Document:
    document: strawberry.Private[e.Document]

    @strawberry.field(description="The document's id: give it as evidence of cases and corrections, or as `replaces`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.document.id)

    @strawberry.field(description="What the scan is; it decides the retention class.")
    def kind(self) -> EvidenceKindType:  # type: ignore[valid-type]
        return self.document.kind

    @strawberry.field(description="The student number (学籍号) of the dossier it belongs to, as at upload.")
    def student_number(self) -> str:
        return self.document.number

    @strawberry.field(description="PERMANENT (COMPLIANCE lock, extended by the retention job) or WORKING (GOVERNANCE).")
    def retention_class(self) -> str:
        return self.document.retention_class

    @strawberry.field(description="True while an archivist's legal hold keeps every version from deletion (R-E3).")
    def legal_hold(self) -> bool:
        return self.document.legal_hold

    @strawberry.field(
        description="Where the paper file this scan mirrors is kept (Art. 9); the school's registrar records a move "
        "with `updatePaperLocation`, and `history` keeps every earlier location."
    )
    def paper_location(self) -> str | None:
        return self.document.paper_location

    @strawberry.field(
        description="Set when the document was withdrawn from its dossier (`withdrawDocument`): who, when, why. A "
        "withdrawn document is not in `Student.documents` and cannot be evidence."
    )
    def withdrawal(self) -> DocumentWithdrawal | None:
        w = self.document.withdrawal
        return None if w is None else DocumentWithdrawal(by=w.by, at=w.at, reason=w.reason)

    @strawberry.field(description="Every change to the document's record, oldest first, with old and new values.")
    async def history(self, info: Info) -> list[DocumentChange]:
        return [DocumentChange.of(c) for c in await info.context.stores.documents.history(self.document)]

    @strawberry.field(
        description="The last fixity check of each stored object (every version's original and rendition), for "
        "archivists and auditors; null for everyone else."
    )
    async def fixity(self, info: Info) -> list[ObjectFixity] | None:
        if not e.may_read_fixity(info.context.account):
            return None
        checks = {(c.version, c.part): c for c in await info.context.stores.fixity.checks(self.document)}
        out = []
        for v in self.document.versions:
            if v.state is not e.DocumentState.STORED:
                continue
            for part, _ in v.objects():
                check = checks.get((v.version, part))
                out.append(
                    ObjectFixity(
                        version=v.version,
                        part=part,
                        checked_at=check.checked_at if check else None,
                        result=check.result if check else None,
                        run_id=strawberry.ID(check.run_id) if check else None,
                    )
                )
        return out

    @strawberry.field(description="The kind of business it was uploaded for (e.g. `case`, `correction`), if given.")
    def business_kind(self) -> str | None:
        return self.document.business_kind

    @strawberry.field(description="The id of that case or correction, if given.")
    def business_id(self) -> str | None:
        return self.document.business_id

    @strawberry.field(description="The latest stored version; null only while the first one is being stored.")
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
    async def download_url(
        self,
        info: Info,
        version: Annotated[
            int | None, strawberry.argument(description="The version to download; null for the current one.")
        ] = None,
        original: Annotated[
            bool,
            strawberry.argument(
                description="True: the untouched upload with its metadata, for archivists only (others get FORBIDDEN); "
                "false: the rendition."
            ),
        ] = False,
    ) -> DownloadLink:
        try:
            link = await usecases.download_link(info.context, self.document, version, original)
        except DomainError as e:
            code = "FORBIDDEN" if e.code == "PERMISSION_DENIED" else "BAD_USER_INPUT"
            raise GraphQLError(e.message, extensions={"code": code, "field": e.field, "reason": e.code}) from e
        return DownloadLink(url=link.url, expires_at=link.expires_at, filename=link.filename, sha256=link.sha256)
