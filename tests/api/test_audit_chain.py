"""The audit trail is tamper-evident (R-A6): an outside auditor with the export, the signed
checkpoints and the public key finds any edited, deleted or reordered event, and the
chains stay linear under concurrent writers."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pydantic import SecretStr
from pymongo import MongoClient

from api.settings import Settings
from scripts.audit_cmd import run_checkpoint, run_export, run_verify
from storage.embedded import Endpoints
from tests.support import ApiServer, GraphQLClient, settings_for

CONTACT = """mutation($input: UpdateSchoolContactInput!) { updateSchoolContact(input: $input) { __typename } }"""


@pytest.fixture
def own_api(endpoints: Endpoints) -> Iterator[ApiServer]:
    """A deployment of its own: these tests tamper with its audit trail."""
    pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    server = ApiServer(settings_for(endpoints, audit_signing_key=SecretStr(pem))).start()
    yield server
    server.stop()


def _activity(server: ApiServer, writers: int = 8, rounds: int = 3) -> None:
    """Mutations and refusals from eight clients at once: each is an audit event."""
    barrier = threading.Barrier(writers)

    def work(i: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=60) as http:
            gql = GraphQLClient(http, server.settings)
            barrier.wait()
            for r in range(rounds):
                gql(CONTACT, {"input": {"code": "2141010501", "phone": f"0371-6{i}{r}00000"}}, as_="weiwu.registrar")
                gql(CONTACT, {"input": {"code": "2141010501", "phone": "1"}}, as_="henan.auditor")  # refused, audited

    threads = [threading.Thread(target=work, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)


def _verify(folder: Path) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = run_verify(folder)
    return code, out.getvalue()


def test_concurrent_events_form_linear_chains_that_an_outside_auditor_verifies(own_api: ApiServer, tmp_path: Path) -> None:
    settings: Settings = own_api.settings
    _activity(own_api)
    asyncio.run(run_checkpoint(settings, days=1))
    asyncio.run(run_export(settings, tmp_path))
    code, output = _verify(tmp_path)
    assert code == 0, output
    assert "OK:" in output
    client: MongoClient[dict[str, Any]] = MongoClient(settings.mongodb_uri, tz_aware=True)
    try:
        events = list(client[settings.mongodb_database].audit_events.find({}, {"chain": 1, "seq": 1}))
    finally:
        client.close()
    assert len(events) >= 48
    by_chain: dict[str, list[int]] = {}
    for e in events:
        by_chain.setdefault(e["chain"], []).append(e["seq"])
    for chain, seqs in by_chain.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), chain  # no fork, no gap
    # a second checkpoint run signs nothing new
    out = io.StringIO()
    with redirect_stdout(out):
        asyncio.run(run_checkpoint(settings, days=1))
    assert "0 checkpoints" in out.getvalue()


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder", "truncate"])
def test_tampering_with_the_stored_trail_is_found_and_named(own_api: ApiServer, tmp_path: Path, tamper: str) -> None:
    settings: Settings = own_api.settings
    _activity(own_api, writers=2, rounds=3)
    asyncio.run(run_checkpoint(settings, days=1))
    client: MongoClient[dict[str, Any]] = MongoClient(settings.mongodb_uri, tz_aware=True)
    try:
        audit = client[settings.mongodb_database].audit_events
        head = max(audit.find({}), key=lambda e: (e["seq"], e["chain"]))
        chain = head["chain"]
        victim = audit.find_one({"chain": chain, "seq": 2})
        assert victim is not None
        if tamper == "edit":  # someone with database access rewrites what happened
            audit.update_one({"_id": victim["_id"]}, {"$set": {"outcome": "ok", "actor": "someone.else"}})
        elif tamper == "delete":
            audit.delete_one({"_id": victim["_id"]})
        elif tamper == "reorder":
            first = audit.find_one({"chain": chain, "seq": 1})
            assert first is not None
            # (chain, seq) is unique even to an attacker's updates: swap through a free number
            audit.update_one({"_id": first["_id"]}, {"$set": {"seq": 10**9}})
            audit.update_one({"_id": victim["_id"]}, {"$set": {"seq": 1, "at": first["at"]}})
            audit.update_one({"_id": first["_id"]}, {"$set": {"seq": 2, "at": victim["at"]}})
        else:  # drop the tail behind the signed checkpoint
            audit.delete_many({"chain": chain, "seq": {"$gte": head["seq"] if head["seq"] > 2 else 2}})
    finally:
        client.close()
    asyncio.run(run_export(settings, tmp_path))
    code, output = _verify(tmp_path)
    assert code == 1, output
    assert f"BROKEN chain {chain} seq" in output, output
    if tamper == "edit":
        assert f"seq 2 (event {victim['_id']}): its content does not match its hash" in output
