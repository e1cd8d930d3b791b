"""The API refuses to start against an evidence bucket without object lock (R-E3)."""

from __future__ import annotations

import asyncio

import pytest

from api.app import create_app
from api.settings import Settings
from scripts.init_cmd import s3_admin_client
from storage.evidence_store import BucketNotLocked


def test_refuses_a_bucket_without_object_lock(settings: Settings) -> None:
    plain = settings.replace(s3_evidence_bucket=settings.s3_evidence_bucket + "-plain")
    s3_admin_client(plain).make_bucket(plain.s3_evidence_bucket)  # no object lock
    app = create_app(plain)

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    with pytest.raises(BucketNotLocked, match="no object lock"):
        asyncio.run(start())


def test_refuses_a_missing_bucket(settings: Settings) -> None:
    app = create_app(settings.replace(s3_evidence_bucket=settings.s3_evidence_bucket + "-missing"))

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    with pytest.raises(BucketNotLocked, match="does not exist"):
        asyncio.run(start())
