"""`scripts/audit`: the tamper-evident audit trail (Art. 20, 24; R-A6).

    scripts/audit checkpoint [--days N]   sign the head of every chain of the last N days (default 2)
                                          and archive it under COMPLIANCE retention
    scripts/audit export DIR              write DIR/events.jsonl, DIR/checkpoints/*.json and
                                          DIR/public-key.pem: everything an outside auditor needs
    scripts/audit verify DIR              check an export offline (no database, no store): every
                                          event's hash, every link, every checkpoint signature;
                                          prints the first broken link of each chain, exit 1
    scripts/audit public-key              print the checkpoint verification key (PEM)

checkpoint and export use the running ./scripts/serve, or the servers in MONGODB_URI / S3_*;
outside development the signing key comes from AUDIT_SIGNING_KEY."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from api.app import s3_client
from api.settings import Settings
from domain.audit_chain import Checkpoint, verify
from storage.audit_checkpoints import checkpoint, export_events, load_events, stored_checkpoints
from storage.embedded import running_endpoints
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect


def public_pem(settings: Settings) -> bytes:
    return settings.audit_key().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


async def run_checkpoint(settings: Settings, days: int) -> int:
    assert settings.mongodb_uri is not None
    client = connect(settings.mongodb_uri)
    try:
        collections = Collections.of(client[settings.mongodb_database])
        archive = EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket)
        today = datetime.now(UTC).date()
        made = await checkpoint(collections, archive, settings.audit_key(), [today - timedelta(days=d) for d in range(days)])
        for cp in made:
            print(f"signed {cp.chain} at seq {cp.seq}", flush=True)
        print(f"{len(made)} checkpoints", flush=True)
        return 0
    finally:
        await client.close()


async def run_export(settings: Settings, out: Path) -> int:
    assert settings.mongodb_uri is not None
    client = connect(settings.mongodb_uri)
    try:
        collections = Collections.of(client[settings.mongodb_database])
        archive = EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket)
        (out / "checkpoints").mkdir(parents=True, exist_ok=True)
        count = 0
        with open(out / "events.jsonl", "w", encoding="utf-8") as f:
            async for line in export_events(collections):
                f.write(line + "\n")
                count += 1
        checkpoints = await stored_checkpoints(archive)
        for cp in checkpoints:
            name = f"{cp.chain.replace('/', '_')}_{cp.seq:010d}.json"
            (out / "checkpoints" / name).write_text(json.dumps(cp.as_dict(), sort_keys=True))
        (out / "public-key.pem").write_bytes(public_pem(settings))
        print(f"exported {count} events and {len(checkpoints)} checkpoints to {out}", flush=True)
        return 0
    finally:
        await client.close()


def run_verify(folder: Path, public_key_path: Path | None = None) -> int:
    key = load_pem_public_key((public_key_path or folder / "public-key.pem").read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        print("the public key is not an Ed25519 key", file=sys.stderr)
        return 2
    with open(folder / "events.jsonl", encoding="utf-8") as f:
        events = load_events(f)
    checkpoints = [Checkpoint.of(json.loads(p.read_text())) for p in sorted((folder / "checkpoints").glob("*.json"))]
    breaks = verify(events, checkpoints, key)
    for found in breaks:
        print(f"BROKEN {found}", flush=True)
    chains = len({e["chain"] for e in events})
    if breaks:
        return 1
    print(f"OK: {len(events)} events in {chains} chains, {len(checkpoints)} checkpoints verified", flush=True)
    return 0


def _settings() -> Settings:
    settings = Settings()
    if settings.uses_embedded_services:
        found = running_endpoints(settings.data_dir)
        if found is None:
            raise SystemExit(f"no running ./scripts/serve under {settings.data_dir}; start it or set MONGODB_URI / S3_*")
        settings = settings.replace(**{k.lower(): v for k, v in found.as_env().items()})
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/audit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    cp = commands.add_parser("checkpoint")
    cp.add_argument("--days", type=int, default=2)
    export = commands.add_parser("export")
    export.add_argument("folder", type=Path)
    check = commands.add_parser("verify")
    check.add_argument("folder", type=Path)
    check.add_argument("--public-key", type=Path, default=None)
    commands.add_parser("public-key")
    args = parser.parse_args(argv)
    if args.command == "verify":
        return run_verify(args.folder, args.public_key)
    if args.command == "public-key":
        sys.stdout.write(public_pem(Settings()).decode())
        return 0
    if args.command == "checkpoint":
        return asyncio.run(run_checkpoint(_settings(), args.days))
    return asyncio.run(run_export(_settings(), args.folder))


if __name__ == "__main__":
    sys.exit(main())
