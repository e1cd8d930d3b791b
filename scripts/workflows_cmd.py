"""`scripts/workflows daily`: escalate overdue steps to the level above (Art. 11(3)) and
remind schools of suspensions that ran out (Art. 13(3)). Idempotent: running it twice
changes nothing more. `--every SECONDS` keeps it running (the compose scheduler)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime

from api.app import stores_of, s3_client
from api.settings import Settings
from schema.cases.usecases import escalate_overdue, remind_suspensions_ended
from storage.embedded import running_endpoints
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect


async def daily(settings: Settings) -> tuple[int, int]:
    assert settings.mongodb_uri is not None
    client = connect(settings.mongodb_uri)
    try:
        stores = stores_of(Collections.of(client[settings.mongodb_database]), EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket))
        now = datetime.now(UTC)
        return await escalate_overdue(stores, now), await remind_suspensions_ended(stores, now.date())
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/workflows", description=__doc__)
    parser.add_argument("command", choices=["daily"])
    parser.add_argument("--every", type=int, default=0, help="repeat every N seconds")
    args = parser.parse_args(argv)
    settings = Settings()
    if settings.uses_embedded_services:
        found = running_endpoints(settings.data_dir)
        if found is None:
            raise SystemExit(f"no running ./scripts/serve under {settings.data_dir}; start it or set MONGODB_URI / S3_*")
        settings = settings.replace(**{k.lower(): v for k, v in found.as_env().items()})
    while True:
        escalated, reminded = asyncio.run(daily(settings))
        print(f"{datetime.now(UTC).isoformat()} escalated {escalated} steps, {reminded} new reminders", flush=True)
        if not args.every:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main())
