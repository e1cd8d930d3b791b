"""The audit trail as hash chains (Art. 20, 24; R-A6): what makes an edit, a deletion or a
reordering of any stored event detectable, even by someone with full database access.

- Events are appended to one of `SHARDS` chains per day (`"2026-11-28/3"`), so concurrent
  writers rarely meet. Each event has the next sequence number of its chain (claimed by a
  unique index: of two writers, one gets it) and the hash of the event before it.
- An event's hash is SHA-256 over the canonical JSON of its fields (`HASHED_FIELDS`), in
  the form they have once stored (milliseconds, UTC), so anyone can recompute it from an
  export.
- Checkpoints are chain heads (chain, seq, hash) signed with Ed25519 and archived under
  retention in the object store: truncating or rewriting a chain behind a checkpoint is
  detectable with nothing but the exported events, the checkpoints and the public key.

Pure: no I/O. `verify` is what `./scripts/audit verify` runs."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SHARDS = 8
HASHED_FIELDS = (
    "actor", "role", "action", "target_type", "target_id", "outcome", "request_id", "ip", "user_agent",
    "school_code", "details", "at", "chain", "seq", "prev_hash",
)


def chain_of(at: datetime, shard: int) -> str:
    return f"{at.date().isoformat()}/{shard % SHARDS}"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def event_hash(event: dict[str, Any]) -> str:
    """SHA-256 of an event as stored (its `HASHED_FIELDS`)."""
    body = {k: event.get(k) for k in HASHED_FIELDS}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """A signed chain head."""

    chain: str
    seq: int
    hash: str
    signed_at: str
    signature: str  # base64 Ed25519 over `payload()`

    def payload(self) -> bytes:
        return json.dumps(
            {"chain": self.chain, "seq": self.seq, "hash": self.hash, "signed_at": self.signed_at},
            sort_keys=True, separators=(",", ":"),
        ).encode()

    def as_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "seq": self.seq, "hash": self.hash, "signed_at": self.signed_at, "signature": self.signature}

    @classmethod
    def of(cls, d: dict[str, Any]) -> Checkpoint:
        return cls(str(d["chain"]), int(d["seq"]), str(d["hash"]), str(d["signed_at"]), str(d["signature"]))


def sign_head(key: Ed25519PrivateKey, chain: str, seq: int, head_hash: str, signed_at: datetime) -> Checkpoint:
    unsigned = Checkpoint(chain, seq, head_hash, signed_at.isoformat(), "")
    signature = base64.b64encode(key.sign(unsigned.payload())).decode()
    return Checkpoint(chain, seq, head_hash, unsigned.signed_at, signature)


@dataclass(frozen=True)
class Break:
    """The first broken link found: where, and what is wrong there."""

    chain: str
    seq: int
    reason: str
    event_id: str | None = None

    def __str__(self) -> str:
        where = f"chain {self.chain} seq {self.seq}" + (f" (event {self.event_id})" if self.event_id else "")
        return f"{where}: {self.reason}"


def verify(events: Iterable[dict[str, Any]], checkpoints: Iterable[Checkpoint], public_key: Ed25519PublicKey) -> list[Break]:
    """Every broken link, first per chain (in chain order): an event whose content no
    longer matches its hash (edited), a missing sequence number (deleted), a link to a
    hash that is not its predecessor's (reordered, or forged), two events with one number
    (forked), a checkpoint with a bad signature or one the events do not reach or match."""
    by_chain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        by_chain[str(e["chain"])].append(e)
    breaks: list[Break] = []
    heads: dict[str, dict[int, str]] = {}
    for chain in sorted(by_chain):
        found = sorted(by_chain[chain], key=lambda e: int(e["seq"]))
        hashes: dict[int, str] = {}
        previous: str | None = None
        for expected_seq, e in enumerate(found, start=1):
            seq, event_id = int(e["seq"]), str(e.get("_id") or e.get("id") or "") or None
            if seq != expected_seq:
                reason = "two events claim this number (fork)" if seq < expected_seq else f"events {expected_seq}..{seq - 1} are missing (deleted)"
                breaks.append(Break(chain, min(seq, expected_seq), reason, event_id))
                break
            if event_hash(e) != e.get("hash"):
                breaks.append(Break(chain, seq, "its content does not match its hash (edited)", event_id))
                break
            if e.get("prev_hash") != previous:
                breaks.append(Break(chain, seq, "it does not link to the event before it (reordered or forged)", event_id))
                break
            previous = str(e["hash"])
            hashes[seq] = previous
        heads[chain] = hashes
    for cp in sorted(checkpoints, key=lambda c: (c.chain, c.seq)):
        try:
            public_key.verify(base64.b64decode(cp.signature), cp.payload())
        except (InvalidSignature, ValueError):
            breaks.append(Break(cp.chain, cp.seq, "checkpoint signature is not valid"))
            continue
        recorded = heads.get(cp.chain, {}).get(cp.seq)
        if recorded is None and not any(b.chain == cp.chain for b in breaks):
            breaks.append(Break(cp.chain, cp.seq, "a signed checkpoint names an event that is not there (truncated)"))
        elif recorded is not None and recorded != cp.hash:
            breaks.append(Break(cp.chain, cp.seq, "the event differs from the signed checkpoint (rewritten)"))
    return breaks
