"""The S3 evidence archive (MinIO in production, SeaweedFS locally). The `minio` SDK is
blocking, so every call runs in a worker thread, off the event loop."""

from __future__ import annotations

import asyncio

import urllib3

from minio import Minio
from minio.error import S3Error


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
    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    async def ping(self) -> None:
        exists = await asyncio.to_thread(self.client.bucket_exists, self.bucket)
        if not exists:
            raise BucketNotLocked(f"evidence bucket {self.bucket!r} is missing")
