"""The chain verifier on events made here: every kind of tampering is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.audit_chain import Checkpoint, event_hash, sign_head, verify

KEY = Ed25519PrivateKey.generate()
START = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def chain(n: int, name: str = "2026-11-28/0") -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    previous = None
    for seq in range(1, n + 1):
        e: dict[str, Any] = {
            "_id": f"e{seq}", "actor": "a", "role": "SCHOOL_REGISTRAR", "action": "mutation:x", "target_type": "student",
            "target_id": f"G{seq}", "outcome": "ok", "request_id": None, "ip": None, "user_agent": None,
            "school_code": "1", "details": {"n": seq}, "at": START + timedelta(seconds=seq), "chain": name, "seq": seq,
            "prev_hash": previous,
        }
        e["hash"] = event_hash(e)
        previous = e["hash"]
        events.append(e)
    return events


def head(events: list[dict[str, Any]]) -> Checkpoint:
    return sign_head(KEY, events[-1]["chain"], events[-1]["seq"], events[-1]["hash"], START)


def test_an_untouched_chain_verifies() -> None:
    events = chain(5)
    assert verify(events, [head(events)], KEY.public_key()) == []


def test_each_kind_of_tampering_is_named() -> None:
    events = chain(5)
    checkpoint = head(events)
    edited = [dict(e) for e in events]
    edited[2]["outcome"] = "PERMISSION_DENIED"
    (found,) = verify(edited, [checkpoint], KEY.public_key())
    assert (found.seq, found.event_id) == (3, "e3") and "edited" in found.reason
    deleted = events[:2] + events[3:]
    assert "deleted" in verify(deleted, [checkpoint], KEY.public_key())[0].reason
    forked = events + [dict(events[4], _id="e5b")]
    assert "fork" in verify(forked, [], KEY.public_key())[0].reason
    resealed = [dict(e) for e in events]  # an edit with its own hash recomputed
    resealed[1]["outcome"] = "ok-forged"
    resealed[1]["hash"] = event_hash(resealed[1])
    assert "reordered or forged" in verify(resealed, [], KEY.public_key())[0].reason
    truncated = events[:3]
    assert "truncated" in verify(truncated, [checkpoint], KEY.public_key())[0].reason


def test_a_forged_checkpoint_or_a_rewritten_chain_behind_one_is_found() -> None:
    events = chain(4)
    checkpoint = head(events)
    other = Ed25519PrivateKey.generate()
    forged = sign_head(other, checkpoint.chain, checkpoint.seq, checkpoint.hash, START)
    assert "signature" in verify(events, [forged], KEY.public_key())[0].reason
    rewritten = chain(4)  # a whole new chain, self-consistent, with other content
    rewritten[0]["details"] = {"n": 99}
    previous = None
    for e in rewritten:
        e["prev_hash"] = previous
        e["hash"] = event_hash(e)
        previous = e["hash"]
    assert "rewritten" in verify(rewritten, [checkpoint], KEY.public_key())[0].reason
