"""Idempotent preparation of a deployment: the object-locked evidence bucket, indexes and
(for development and demos) the demo data. Run by `scripts/serve`, the compose init and
the tests; running it again changes nothing.

`minio` is a client with the admin S3 identity: creating a bucket with object lock is
bucket administration, which the API's identity may not do."""

from __future__ import annotations

import asyncio

from minio import Minio

from storage.evidence_store import ensure_locked_bucket
from storage.indexes import ensure_indexes
from storage.mongo import Collections, connect
from storage.seed import load_demo_data
from storage.sections import seed_initial_schemas


async def prepare(mongodb_uri: str, database: str, minio: Minio, bucket: str, *, demo: bool) -> None:
    await asyncio.to_thread(ensure_locked_bucket, minio, bucket)
    client = connect(mongodb_uri)
    try:
        collections = Collections.of(client[database])
        await ensure_indexes(collections)
        await seed_initial_schemas(collections)
        if demo:
            await load_demo_data(collections)
    finally:
        await client.close()
