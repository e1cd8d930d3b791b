"""Least privilege in the object store (R-E3): the API's S3 identity puts, reads, lists,
extends retention and sets legal holds, and nothing else. It cannot delete any version
(with or without the governance-bypass header), shorten a GOVERNANCE retention, or
administer buckets; only the admin identity of the init step creates buckets."""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.retention import Retention
from minio.versioningconfig import SUSPENDED, VersioningConfig

from api.app import s3_client
from api.settings import Settings

BYPASS = {"x-amz-bypass-governance-retention": "true"}


def _refused(call: Callable[[], Any]) -> None:
    with pytest.raises(S3Error) as refused:
        call()
    assert refused.value.code in ("AccessDenied", "ObjectLocked", "InvalidRequest"), refused.value.code


def _retention_xml(mode: str, until: datetime) -> bytes:
    stamp = until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return (
        '<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Mode>{mode}</Mode><RetainUntilDate>{stamp}</RetainUntilDate></Retention>"
    ).encode()


def _put(s3: Minio, bucket: str, key: str, data: bytes, retention: Retention, **options: Any) -> str:
    written = s3.put_object(bucket, key, io.BytesIO(data), len(data), retention=retention, **options)
    assert written.version_id
    version: str = written.version_id
    return version


def _until(s3: Minio, bucket: str, key: str, version_id: str) -> datetime:
    retention = s3.get_object_retention(bucket, key, version_id=version_id)
    assert retention is not None and retention.retain_until_date is not None
    until: datetime = retention.retain_until_date
    return until


def test_the_api_identity_cannot_delete_bypass_governance_or_administer_buckets(settings: Settings) -> None:
    s3 = s3_client(settings)  # the identity the API runs with
    bucket = settings.s3_evidence_bucket
    until = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    key = f"privileges/{secrets.token_hex(4)}"
    big = secrets.token_bytes(6 * 1024 * 1024)  # a multipart upload under lock, like a large scan
    versions = [
        _put(s3, bucket, key, b"governance", Retention(GOVERNANCE, until)),
        _put(s3, bucket, key, b"compliance", Retention(COMPLIANCE, until)),
        _put(s3, bucket, key, big, Retention(GOVERNANCE, until), part_size=5 * 1024 * 1024),
    ]
    governance = versions[0]

    for version in versions:
        _refused(lambda: s3.remove_object(bucket, key, version_id=version))
        signed = s3.get_presigned_url("DELETE", bucket, key, extra_query_params={"versionId": version})
        assert httpx.delete(signed, headers=BYPASS).status_code == 403
    refused = list(s3.remove_objects(bucket, [DeleteObject(key, v) for v in versions], bypass_governance_mode=True))
    assert sorted(e.version_id or "" for e in refused) == sorted(versions)
    _refused(lambda: s3.remove_object(bucket, key))  # not even a delete marker

    # GOVERNANCE retention cannot be shortened, with or without the bypass header ...
    _refused(lambda: s3.set_object_retention(bucket, key, Retention(GOVERNANCE, until - timedelta(days=1)), version_id=governance))
    body = _retention_xml(GOVERNANCE, until - timedelta(days=1))
    signed = s3.get_presigned_url("PUT", bucket, key, extra_query_params={"retention": "", "versionId": governance})
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324 - required by S3
    assert httpx.put(signed, content=body, headers={**BYPASS, "Content-MD5": md5}).status_code == 403
    assert _until(s3, bucket, key, governance) == until
    # ... but extended, and legal holds set and released
    s3.set_object_retention(bucket, key, Retention(GOVERNANCE, until + timedelta(days=1)), version_id=governance)
    assert _until(s3, bucket, key, governance) == until + timedelta(days=1)
    s3.enable_object_legal_hold(bucket, key, version_id=governance)
    assert s3.is_object_legal_hold_enabled(bucket, key, version_id=governance)
    s3.disable_object_legal_hold(bucket, key, version_id=governance)

    # every version is still there and readable, and nothing else was added
    listed = [(o.version_id, o.is_delete_marker) for o in s3.list_objects(bucket, prefix=key, include_version=True)]
    assert sorted(listed) == sorted((v, False) for v in versions)
    response = s3.get_object(bucket, key, version_id=versions[2])
    try:
        assert response.read() == big
    finally:
        response.close()
        response.release_conn()

    # no bucket administration
    _refused(lambda: s3.make_bucket(f"{bucket}-new", object_lock=True))
    _refused(lambda: s3.set_bucket_versioning(bucket, VersioningConfig(SUSPENDED)))
    _refused(lambda: s3.delete_object_lock_config(bucket))
    _refused(lambda: s3.remove_bucket(bucket))
    assert s3.get_object_lock_config(bucket) is not None
