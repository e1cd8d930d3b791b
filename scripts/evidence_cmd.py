"""`scripts/evidence`: archive sweeps, resumable and safe to run on a schedule.

    scripts/evidence fixity [--restart]   re-hash every stored file, report mismatches and missing ones
    scripts/evidence retention            extend permanent locks that run low
    scripts/evidence reconcile            finish or forget uploads left PENDING by a failure, bring
                                          documents' scopes up to their dossiers, and count the
                                          objects no metadata names (exit 1 when there are any)
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from api.app import s3_client
from api.settings import Settings
from storage.embedded import running_endpoints
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect
from storage.sweeps import extend_retention, fixity, reconcile


def _say(line: str) -> None:
    print(line, flush=True)


async def run(command: str, restart: bool, settings: Settings) -> int:
    if settings.mongodb_uri is None:
        raise SystemExit("MONGODB_URI is not set (start ./scripts/serve, or point at a deployment)")
    client = connect(settings.mongodb_uri)
    try:
        collections = Collections.of(client[settings.mongodb_database])
        archive = EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket)
        if command == "fixity":
            result = await fixity(collections, archive, resume=not restart, progress=_say)
            _say(f"run {result.id}: {result.checked} files, {len(result.mismatches)} mismatches, {len(result.missing)} missing")
            return 1 if result.mismatches or result.missing else 0
        if command == "retention":
            _say(f"extended {await extend_retention(collections, archive, progress=_say)} versions")
            return 0
        run = await reconcile(collections, archive, progress=_say)
        _say(
            f"run {run.id}: {run.completed} uploads completed, {run.forgotten} forgotten; "
            f"{run.objects_checked} object versions, {run.orphans} without metadata"
        )
        return 1 if run.orphans else 0
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/evidence", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fixity", "retention", "reconcile"])
    parser.add_argument("--restart", action="store_true", help="fixity: start a new run instead of resuming")
    args = parser.parse_args(argv)
    settings = Settings()
    if settings.uses_embedded_services:  # the servers of a running ./scripts/serve
        found = running_endpoints(settings.data_dir)
        if found is None:
            raise SystemExit(f"no running ./scripts/serve under {settings.data_dir}; start it or set MONGODB_URI / S3_*")
        settings = settings.replace(**{k.lower(): v for k, v in found.as_env().items()})
    return asyncio.run(run(args.command, args.restart, settings))


if __name__ == "__main__":
    sys.exit(main())
