"""`scripts/workflows daily`: escalate overdue steps to the level above (Art. 11(3)), and
overdue re-verification confirmations likewise (Art. 23, 25, 26), remind schools of
suspensions that ran out (Art. 13(3)), and bring up to date any live document whose last
claimed version was never projected (a writer stopped in between) and the change feed,
which gets every dossier change it lacks (Art. 20); archive handovers not sent within
their month go to the sending school's department (Art. 18). School handovers whose job
stopped are run again to the end (Art. 19).
Idempotent: running it twice changes nothing more. `--every SECONDS` keeps it running
(the compose scheduler)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta

from api.app import stores_of, s3_client
from api.settings import Settings
from application.cases import escalate_overdue, remind_suspensions_ended
from application.reverification import escalate_overdue_reverifications
from application.archive_handovers import escalate_overdue_handovers
from application.school_handover import resume_unfinished as resume_unfinished_handovers
from storage.embedded import running_endpoints
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect
from storage.audit_checkpoints import checkpoint
from storage.transitions import repair_projections


async def daily(settings: Settings, now: datetime | None = None) -> tuple[int, int, int, int, int]:
    """Steps escalated, reminders created, projections repaired, re-verification steps
    escalated, archive handovers escalated. `now` is the time the job judges by (the clock
    by default)."""
    assert settings.mongodb_uri is not None
    client = connect(settings.mongodb_uri)
    try:
        collections = Collections.of(client[settings.mongodb_database])
        stores = stores_of(collections, EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket))
        now = now or datetime.now(UTC)
        days = (now.date() - timedelta(days=1), now.date())
        repaired = await repair_projections(collections, days)
        try:
            key = settings.audit_key()
        except ValueError as e:
            print(f"audit checkpoints not signed: {e}", file=sys.stderr, flush=True)
        else:
            await checkpoint(collections, EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket), key, days)
        escalated = await escalate_overdue(stores, now)
        reminded = await remind_suspensions_ended(stores, now.date())
        reverifications = await escalate_overdue_reverifications(stores, now)
        # School handovers whose job stopped (Art. 19): run again to the end, exactly once per dossier.
        if handovers := await resume_unfinished_handovers(stores):
            print(f"{handovers} school handovers resumed", flush=True)
        return escalated, reminded, repaired, reverifications, await escalate_overdue_handovers(stores, now)
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
        escalated, reminded, repaired, reverifications, handovers = asyncio.run(daily(settings))
        print(
            f"{datetime.now(UTC).isoformat()} escalated {escalated} steps, {reminded} new reminders, "
            f"{repaired} projections and change-feed entries repaired, {reverifications} re-verification steps escalated, "
            f"{handovers} archive handovers escalated",
            flush=True,
        )
        if not args.every:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main())
