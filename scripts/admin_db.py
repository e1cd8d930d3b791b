"""The database the administration commands write to directly: the configured one
(MONGODB_URI, MONGODB_DATABASE), or the one a running `scripts/serve` started under
DATA_DIR. Their changes are stamped `system:admin-cli` (with a request id of their own) in
the transition log and audited like a mutation, with the operating-system user who ran
them."""

from __future__ import annotations

import getpass
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from api.settings import Settings
from domain.ports import AuditEvent, Stamp
from storage.audit import AuditRepository
from storage.embedded import running_endpoints
from storage.indexes import ensure_indexes
from storage.mongo import Collections, connect
from storage.placement import SchoolPlacement

ACTOR = "system:admin-cli"


def database_settings(settings: Settings) -> Settings:
    """Settings naming a database: the configured one, or the running `serve`'s."""
    if settings.mongodb_uri is not None:
        return settings
    found = running_endpoints(settings.data_dir)
    if found is None:
        raise SystemExit(f"no MONGODB_URI and no running ./scripts/serve under {settings.data_dir}; start it or set MONGODB_URI")
    return settings.replace(mongodb_uri=found.mongodb_uri)


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Collections]:
    assert settings.mongodb_uri is not None
    client = connect(
        settings.mongodb_uri,
        serverSelectionTimeoutMS=settings.mongodb_timeout_ms,
        connectTimeoutMS=settings.mongodb_timeout_ms,
    )
    try:
        collections = Collections.of(client[settings.mongodb_database])
        await ensure_indexes(collections)  # a fresh deployment may not have served yet
        yield collections
    finally:
        await client.close()


def command_stamp() -> Stamp:
    return Stamp(ACTOR, request_id=f"cli-{secrets.token_hex(6)}")


async def audit(
    collections: Collections,
    stamp: Stamp,
    action: str,
    target: tuple[str, str],
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
) -> None:
    """The command's audit event, as `schema.errors.audited` writes a mutation's."""
    await AuditRepository(collections, SchoolPlacement(collections)).append(
        AuditEvent(
            actor=stamp.actor,
            role="SYSTEM",
            action=action,
            target_type=target[0],
            target_id=target[1],
            outcome=outcome,
            request_id=stamp.request_id,
            user_agent="scripts/admin",
            details={"osUser": getpass.getuser(), **(details or {})},
        )
    )
