"""`python -m scripts.init_cmd`: prepare a deployment once (compose's one-shot init): the
object-locked evidence bucket, the indexes and, with SEED_DEMO=1, the demo data.

The bucket is created with the admin S3 identity (S3_ADMIN_ACCESS_KEY / S3_ADMIN_SECRET_KEY)
when one is configured: the API's own identity may not create or configure buckets."""

from __future__ import annotations

import asyncio
import os

from minio import Minio

from api.app import s3_client
from api.settings import Settings
from storage.evidence_store import make_client
from storage.setup import prepare


def s3_admin_client(settings: Settings) -> Minio:
    """The store as the admin identity, or as the API's identity when no admin is
    configured (then the bucket must already exist)."""
    if settings.s3_admin_access_key is None or settings.s3_endpoint is None:
        return s3_client(settings)
    return make_client(
        settings.s3_endpoint,
        settings.s3_admin_access_key,
        settings.s3_admin_secret_key.get_secret_value() if settings.s3_admin_secret_key else "",
        secure=settings.s3_secure,
        region=settings.s3_region,
    )


async def prepare_deployment(settings: Settings, *, demo: bool) -> None:
    if settings.mongodb_uri is None:
        raise SystemExit("MONGODB_URI is not set")
    await prepare(
        settings.mongodb_uri, settings.mongodb_database, s3_admin_client(settings), settings.s3_evidence_bucket, demo=demo
    )


def main() -> None:
    settings = Settings()
    asyncio.run(prepare_deployment(settings, demo=os.environ.get("SEED_DEMO") == "1"))
    print(f"prepared database {settings.mongodb_database!r} and bucket {settings.s3_evidence_bucket!r}")


if __name__ == "__main__":
    main()
