"""`python -m scripts.init_cmd`: prepare a deployment once (compose's one-shot init): the
object-locked evidence bucket, the indexes and, with SEED_DEMO=1, the demo data."""

from __future__ import annotations

import asyncio
import os

from api.app import s3_client
from api.settings import Settings
from storage.setup import prepare


async def prepare_deployment(settings: Settings, *, demo: bool) -> None:
    if settings.mongodb_uri is None:
        raise SystemExit("MONGODB_URI is not set")
    await prepare(settings.mongodb_uri, settings.mongodb_database, s3_client(settings), settings.s3_evidence_bucket, demo=demo)


def main() -> None:
    settings = Settings()
    asyncio.run(prepare_deployment(settings, demo=os.environ.get("SEED_DEMO") == "1"))
    print(f"prepared database {settings.mongodb_database!r} and bucket {settings.s3_evidence_bucket!r}")


if __name__ == "__main__":
    main()
