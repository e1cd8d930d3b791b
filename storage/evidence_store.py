"""The S3 evidence archive (MinIO in production, SeaweedFS locally). The `minio` SDK is
blocking, so every call runs in a worker thread, off the event loop."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import urllib3

from minio import Minio
from minio.error import S3Error
from minio.retention import Retention


class BucketNotLocked(RuntimeError):
    """The evidence bucket exists without object lock: retention could not be enforced."""


def make_client(endpoint: str, access_key: str, secret_key: str, *, secure: bool, region: str) -> Minio:
    # Bounded connect time and few retries: a store that is down is reported quickly
    # (readiness, uploads) instead of holding a worker thread for minutes.
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=3, read=120),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
        maxsize=16,
    )
    return Minio(
        endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region, http_client=http
    )


def ensure_locked_bucket(client: Minio, bucket: str) -> bool:
    """Create the evidence bucket with object lock (and so versioning) when missing.
    Returns True when it was created. Used by serve and the compose init, not the API."""
    if client.bucket_exists(bucket):
        return False
    client.make_bucket(bucket, object_lock=True)
    return True


def check_locked_bucket(client: Minio, bucket: str) -> None:
    """The API refuses to start unless the evidence bucket has object lock (R-E3)."""
    if not client.bucket_exists(bucket):
        raise BucketNotLocked(f"evidence bucket {bucket!r} does not exist; run the init step first")
    try:
        client.get_object_lock_config(bucket)
    except S3Error as e:
        if e.code == "ObjectLockConfigurationNotFoundError":
            raise BucketNotLocked(f"evidence bucket {bucket!r} has no object lock configuration") from e
        raise


class EvidenceStore:
    def __init__(
        self, client: Minio, bucket: str, signer: Minio | None = None, link_lifetime: timedelta = timedelta(minutes=5)
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.signer = signer or client  # a client for the public endpoint signs browser links
        self.link_lifetime = link_lifetime

    async def ping(self) -> None:
        exists = await asyncio.to_thread(self.client.bucket_exists, self.bucket)
        if not exists:
            raise BucketNotLocked(f"evidence bucket {self.bucket!r} is missing")


@dataclass(frozen=True)
class StoredObject:
    key: str
    version_id: str


@dataclass(frozen=True)
class ObjectVersion:
    """One version of an object as the store lists it."""

    key: str
    version_id: str
    size: int


class EvidenceArchive(EvidenceStore):
    """Writes evidence under object lock, reads it back for fixity, signs download links.
    Every call is blocking SDK work run in a worker thread."""

    async def put_locked(
        self, key: str, path: Path, size: int, content_type: str, mode: str, until: datetime
    ) -> StoredObject:
        def put() -> StoredObject:
            with open(path, "rb") as f:
                result = self.client.put_object(
                    self.bucket,
                    key,
                    f,
                    size,
                    content_type=content_type,
                    retention=Retention(mode, until),
                    part_size=16 * 1024 * 1024,
                )
            return StoredObject(key, result.version_id or "")

        return await asyncio.to_thread(put)

    async def set_legal_hold(self, key: str, version_id: str, hold: bool) -> None:
        def call() -> None:
            if hold:
                self.client.enable_object_legal_hold(self.bucket, key, version_id=version_id)
            else:
                self.client.disable_object_legal_hold(self.bucket, key, version_id=version_id)

        await asyncio.to_thread(call)

    async def extend_retention(self, key: str, version_id: str, mode: str, until: datetime) -> None:
        await asyncio.to_thread(
            self.client.set_object_retention, self.bucket, key, Retention(mode, until), version_id=version_id
        )

    async def versions_of(self, key: str) -> list[str]:
        """Every version id stored under exactly this key, newest first (no delete markers)."""

        def list_versions() -> list[str]:
            found = self.client.list_objects(self.bucket, prefix=key, include_version=True)
            return [o.version_id for o in found if o.object_name == key and not o.is_delete_marker and o.version_id]

        return await asyncio.to_thread(list_versions)

    async def object_versions(self, prefix: str, after_key: str | None, limit: int) -> list[ObjectVersion]:
        """Every stored version (no delete markers) of the keys under `prefix` after
        `after_key`, in key order: whole keys only, at least `limit` versions unless the
        listing ends (then fewer), so that the last key is a place to resume from."""

        def list_page() -> list[ObjectVersion]:
            out: list[ObjectVersion] = []
            found = self.client.list_objects(
                self.bucket, prefix=prefix, recursive=True, include_version=True, start_after=after_key
            )
            for o in found:
                if o.object_name is None or o.is_delete_marker or not o.version_id:
                    continue
                if len(out) >= limit and o.object_name != out[-1].key:
                    break
                out.append(ObjectVersion(o.object_name, o.version_id, o.size or 0))
            return out

        return await asyncio.to_thread(list_page)

    async def read_prefix(self, prefix: str) -> list[bytes]:
        """The current bodies of every object under a prefix (small records, e.g. signed
        audit checkpoints), in key order."""

        def read_all() -> list[bytes]:
            out = []
            for found in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
                if found.object_name is None:
                    continue
                response = self.client.get_object(self.bucket, found.object_name)
                try:
                    out.append(response.read())
                finally:
                    response.close()
                    response.release_conn()
            return out

        return await asyncio.to_thread(read_all)

    async def sha256(self, key: str, version_id: str) -> tuple[str, int] | None:
        """Re-read an object and hash it; None when the object (version) is missing."""

        def read() -> tuple[str, int] | None:
            try:
                response = self.client.get_object(self.bucket, key, version_id=version_id)
            except S3Error as e:
                if e.code in ("NoSuchKey", "NoSuchVersion", "NoSuchObject"):
                    return None
                raise
            try:
                h = hashlib.sha256()
                size = 0
                for chunk in response.stream(1 << 20):
                    h.update(chunk)
                    size += len(chunk)
                return h.hexdigest(), size
            finally:
                response.close()
                response.release_conn()

        return await asyncio.to_thread(read)

    def presigned_download(self, key: str, version_id: str, filename: str, content_type: str) -> tuple[str, datetime]:
        """A GET link valid for `link_lifetime`. Signing is local computation (no request).
        The response's Content-Type is signed into the link from our metadata: the store's
        own can change under us (setting a legal hold or a retention date rewrites it to
        application/octet-stream on some stores)."""
        expires = self.link_lifetime
        disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
        url: str = self.signer.presigned_get_object(
            self.bucket,
            key,
            expires=expires,
            version_id=version_id,
            response_headers={"response-content-disposition": disposition, "response-content-type": content_type},
        )
        return url, datetime.now(UTC) + expires
