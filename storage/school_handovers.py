"""School mergers and closures (Art. 19, R-D4): the handover record, its per-dossier
claims, the move of each dossier and its evidence, and the BagIt manifest.

- `school_handovers` is the projection of the handover's transition log (aggregate
  "school_handover", `_id` = the sender's code: a school is handed over once).
- `school_handover_items` has one document per dossier the job took on (`_id` =
  "{handover}:{dossier}", inserted before the dossier moves), so a job stopped anywhere
  finds what it started and finishes it. A dossier moves by claiming its next version in
  its own log (`StudentRepository.replace`), so two runs never move one twice.
- Documents keep their objects, keys and locks: a handover changes who answers for them
  (a `HANDED_OVER` version with the receiver's code and the dossier's scope), never the
  locked bytes.
- The bag (`storage/handover_bag.py`) is archived as a tar under COMPLIANCE retention at
  `school-handovers/{id}/bag.tar`."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bson import json_util
from pymongo.errors import DuplicateKeyError

from domain.evidence import PERMANENT
from domain.ports import ConcurrentWrite, Stamp, StudentRow
from domain.school_handover import (
    Acknowledgement,
    Bag,
    SchoolHandover,
    SchoolHandoverKind,
    STUDYING,
    SchoolHandoverState,
    Verification,
)
from storage.evidence_store import EvidenceArchive
from storage.handover_bag import BagContents, EvidenceFile, build_bag, check_bag
from storage.mongo import Collections, Doc
from storage.students import dossier_from_doc
from storage.transitions import TransitionLog

AGGREGATE = "school_handover"
PREFIX = "school-handovers"
HELD_PAGE = 200
INDEX_FIELDS = ("_id", "kind", "sender_code", "receiver_code", "archive_unit_name", "legal_basis", "effective_on", "recorded_by", "recorded_at")  # dossiers read at a time from the sender


def _to_doc(h: SchoolHandover) -> Doc:
    return {
        "_id": h.id,
        "kind": h.kind.value,
        "sender_code": h.sender_code,
        "receiver_code": h.receiver_code,
        "legal_basis": h.legal_basis,
        "effective_on": h.effective_on.isoformat(),
        "state": h.state.value,
        "recorded_by": h.recorded_by,
        "recorded_at": h.recorded_at,
        "dossiers": h.dossiers,
        "documents": h.documents,
        "evidence_objects": h.evidence_objects,
        "bag": None if h.bag is None else dict(h.bag.__dict__),
        "verification": None if h.verification is None else {**h.verification.__dict__, "problems": list(h.verification.problems)},
        "acknowledgement": None if h.acknowledgement is None else dict(h.acknowledgement.__dict__),
        "archive_unit_name": h.archive_unit_name,
    }


def _from_doc(d: Doc) -> SchoolHandover:
    v = d.get("verification")
    return SchoolHandover(
        id=d["_id"],
        kind=SchoolHandoverKind(d["kind"]),
        sender_code=d["sender_code"],
        receiver_code=d["receiver_code"],
        legal_basis=d["legal_basis"],
        effective_on=date.fromisoformat(d["effective_on"]),
        state=SchoolHandoverState(d["state"]),
        recorded_by=d["recorded_by"],
        recorded_at=d["recorded_at"],
        dossiers=d.get("dossiers", 0),
        documents=d.get("documents", 0),
        evidence_objects=d.get("evidence_objects", 0),
        bag=Bag(**d["bag"]) if d.get("bag") else None,
        verification=Verification(**{**v, "problems": tuple(v["problems"])}) if v else None,
        acknowledgement=Acknowledgement(**d["acknowledgement"]) if d.get("acknowledgement") else None,
        revision=d.get("version", 1),
        archive_unit_name=d.get("archive_unit_name"),
    )


def _export(doc: Doc) -> bytes:
    """A dossier as JSON (relaxed Extended JSON: dates as ISO strings), without the
    fields that only serve our own queries."""
    body = {k: v for k, v in doc.items() if k not in ("scope_keys", "log_hash", "dup_keys")}
    return json_util.dumps(body, json_options=json_util.RELAXED_JSON_OPTIONS, ensure_ascii=False, sort_keys=True, indent=1).encode()


class SchoolHandoverRepository:
    def __init__(self, collections: Collections, log: TransitionLog, archive: EvidenceArchive) -> None:
        self._c = collections.school_handovers
        self._items = collections.school_handover_items
        self._students = collections.students
        self._documents = collections.documents
        self._log = log
        self._archive = archive

    # -- the record ---------------------------------------------------------------------
    async def create(self, handover: SchoolHandover, stamp: Stamp, record: Doc) -> bool:
        """Version 1; False when the school has a handover already (claimed by insert)."""
        try:
            await self._log.commit(
                AGGREGATE, self._c, _to_doc(handover), expected=0, prev_hash=None, stamp=stamp,
                action=f"RECORDED_{handover.kind.value}", change=record,
            )
        except ConcurrentWrite:
            return False
        return True

    async def get(self, handover_id: str) -> SchoolHandover | None:
        doc = await self._log.current(AGGREGATE, self._c, await self._c.find_one({"_id": handover_id}), handover_id)
        return _from_doc(doc) if doc else None

    async def unfinished(self) -> list[SchoolHandover]:
        """Handovers whose job has not archived its manifest yet (to resume)."""
        return [_from_doc(d) for d in await self._c.find({"state": SchoolHandoverState.MOVING.value}).to_list()]

    async def _advance(self, handover: SchoolHandover, after: SchoolHandover, stamp: Stamp, action: str, record: Doc | None) -> SchoolHandover:
        """Claim the version after `handover` (ConcurrentWrite when another writer did)."""
        stored = await self._c.find_one({"_id": handover.id}, {"log_hash": 1, "version": 1})
        prev_hash = stored.get("log_hash") if stored and stored.get("version") == handover.revision else None
        doc = await self._log.commit(
            AGGREGATE, self._c, _to_doc(after), expected=handover.revision, prev_hash=prev_hash, stamp=stamp,
            action=action, change=record,
        )
        return _from_doc(doc)

    # -- the job's claims -----------------------------------------------------------------
    async def held_by(self, school_code: str, limit: int = HELD_PAGE) -> list[str]:
        """Dossiers whose archive the school holds (its current, graduated and departed
        students alike: every dossier whose holding school it is)."""
        docs = await self._students.find({"school_code": school_code}, {"_id": 1}).limit(limit).to_list()
        return [str(d["_id"]) for d in docs]

    async def at_school(self, school_code: str, after: str | None, limit: int = HELD_PAGE) -> tuple[list[str], str | None]:
        """A page, in id order after `after`, of the dossiers seen through the school (one
        equality on `scope_keys`), and of them those the school holds; the last id read
        (None at the end). For a closure to an archive unit, where the dossiers stay filed
        under the closed school."""
        query: Doc = {"scope_keys": f"code:{school_code}"}
        if after is not None:
            query["_id"] = {"$gt": after}
        docs = await self._students.find(query, {"_id": 1, "school_code": 1}).sort("_id", 1).limit(limit).to_list()
        held = [str(d["_id"]) for d in docs if d.get("school_code") == school_code]
        return held, (str(docs[-1]["_id"]) if len(docs) == limit else None)

    async def studying_at(self, school_code: str) -> list[StudentRow]:
        """The school's students still studying (one equality per state on school and state)."""
        rows = []
        for state in sorted(STUDYING):
            async for d in self._students.find({"school_code": school_code, "state": state.value}):
                rows.append(StudentRow(dossier_from_doc(d), tuple(d.get("missing", []))))
        return sorted(rows, key=lambda r: r.dossier.id)

    async def claim_item(self, handover_id: str, dossier_id: str) -> None:
        try:
            await self._items.insert_one(
                {"_id": f"{handover_id}:{dossier_id}", "handover_id": handover_id, "dossier_id": dossier_id, "state": "CLAIMED"}
            )
        except DuplicateKeyError:
            pass  # taken on by an earlier run: finished below like any other

    async def open_items(self, handover_id: str) -> list[str]:
        docs = await self._items.find({"handover_id": handover_id, "state": "CLAIMED"}, {"dossier_id": 1}).to_list()
        return [str(d["dossier_id"]) for d in docs]

    async def finish_item(self, handover_id: str, dossier_id: str, state: str, documents: int) -> None:
        """MOVED (at the receiver) or LEFT (the dossier went elsewhere first). Idempotent."""
        await self._items.update_one(
            {"_id": f"{handover_id}:{dossier_id}"}, {"$set": {"state": state, "documents": documents}}
        )

    async def moved(self, handover_id: str) -> list[str]:
        docs = await self._items.find({"handover_id": handover_id, "state": "MOVED"}, {"dossier_id": 1}).to_list()
        return sorted(str(d["dossier_id"]) for d in docs)

    async def hand_over_documents(self, dossier_id: str, receiver_code: str, reason: str, stamp: Stamp) -> int:
        """A HANDED_OVER version of every document of the dossier not yet answered for by
        the receiver: its school becomes the receiver, its scope the dossier's. Objects,
        keys and locks stay as they are. The number of documents of the dossier."""
        dossier = await self._students.find_one({"_id": dossier_id}, {"scope_keys": 1})
        keys = list(dossier.get("scope_keys", [])) if dossier else []
        docs = await self._documents.find({"dossier_id": dossier_id}, {"school_code": 1, "scope_keys": 1}).to_list()
        for d in docs:
            if d.get("school_code") == receiver_code and d.get("scope_keys") == keys:
                continue

            def changed(doc: Doc) -> Doc | None:
                if doc.get("school_code") == receiver_code and doc.get("scope_keys") == keys:
                    return None
                return {**doc, "school_code": receiver_code, "scope_keys": keys}

            def record(before: Doc, after: Doc) -> Doc:
                return {"changes": {"school_code": {"old": before.get("school_code"), "new": receiver_code}}, "reason": reason}

            await self._log.update("document", self._documents, d["_id"], changed, stamp=stamp, action="HANDED_OVER", record=record)
        return len(docs)

    # -- the manifest ---------------------------------------------------------------------
    async def _contents(self, dossier_ids: list[str]) -> tuple[list[tuple[str, bytes]], list[EvidenceFile], int]:
        dossiers: list[tuple[str, bytes]] = []
        files: list[EvidenceFile] = []
        documents = 0
        for dossier_id in dossier_ids:
            doc = await self._students.find_one({"_id": dossier_id})
            assert doc is not None
            dossiers.append((dossier_id, _export(doc)))
            for d in await self._documents.find({"dossier_id": dossier_id}).to_list():
                documents += 1
                for version in d.get("versions", []):
                    if version.get("state") != "STORED":
                        continue
                    for part in ("original", "rendition"):
                        f = version.get(part)
                        if f:
                            files.append(EvidenceFile(d["_id"], version["version"], part, f["key"], f["version_id"], f["sha256"], f["size"], f["content_type"]))
        return dossiers, files, documents

    async def archive_bag(self, handover: SchoolHandover, info: dict[str, str], stamp: Stamp) -> SchoolHandover:
        """Build the bag of every dossier the job moved and its evidence, archive it under
        retention and claim the BAGGED version with the counts. When another run claimed it
        first, that run's handover is returned (its bag stays; this one's tar is a spare
        version under the same key, never deleted)."""
        dossier_ids = await self.moved(handover.id)
        dossiers, files, documents = await self._contents(dossier_ids)
        objects = len({(f.key, f.version_id) for f in files})
        info = {**info, "Dossier-Count": str(len(dossiers)), "Document-Count": str(documents), "Evidence-Object-Count": str(objects)}
        with tempfile.TemporaryDirectory(prefix="school-handover-") as tmp:
            index = {
                "handover": {k: v for k, v in _to_doc(handover).items() if k in INDEX_FIELDS},
                "dossiers": dossier_ids,
                "evidence": [{"path": f"data/{f.path}", "document": f.document_id, "version": f.version, "part": f.part,
                              "key": f.key, "version_id": f.version_id, "sha256": f.sha256, "size": f.size} for f in files],
            }
            body = json_util.dumps(index, json_options=json_util.RELAXED_JSON_OPTIONS, ensure_ascii=False, indent=1).encode()
            contents = BagContents(index=body, dossiers=dossiers, evidence=files, info=info)
            built = await build_bag(self._archive, Path(tmp), handover.id, contents)
            stored = await self._archive.put_locked(
                f"{PREFIX}/{handover.id}/bag.tar", built.tar, built.size, "application/x-tar",
                PERMANENT.mode.value, stamp.at + PERMANENT.period,
            )
        bag = Bag(key=stored.key, version_id=stored.version_id, sha256=built.sha256, size=built.size, manifest_sha256=built.manifest_sha256)
        after = replace(
            handover, state=SchoolHandoverState.BAGGED, dossiers=len(dossiers), documents=documents, evidence_objects=objects, bag=bag
        )
        record = {"bag": dict(bag.__dict__), "counts": {"dossiers": len(dossiers), "documents": documents, "evidence_objects": objects}}
        try:
            return await self._advance(handover, after, stamp, "BAGGED", record)
        except ConcurrentWrite:
            current = await self.get(handover.id)
            assert current is not None
            return current

    async def problems_of(self, handover: SchoolHandover) -> list[str]:
        """Validate the archived bag with the bagit library (every checksum, the payload's
        size and count) and compare its counts with the database; the problems found."""
        assert handover.bag is not None
        expected = {
            "Dossier-Count": str(len(await self.moved(handover.id))),
            "Document-Count": str(handover.documents),
            "Evidence-Object-Count": str(handover.evidence_objects),
        }
        problems = await check_bag(self._archive, handover.bag.key, handover.bag.version_id, handover.bag.sha256, expected)
        left = [] if handover.to_archive_unit else await self.held_by(handover.sender_code, 1)
        if left:
            problems.append(f"the sender still holds dossiers (e.g. {left[0]})")
        return problems

    async def record_verification(self, handover: SchoolHandover, verification: Verification, stamp: Stamp) -> SchoolHandover:
        """Every verification is recorded; an acknowledged handover stays acknowledged."""
        state = SchoolHandoverState.VERIFIED if verification.valid else SchoolHandoverState.BAGGED
        if handover.state is SchoolHandoverState.ACKNOWLEDGED:
            state = handover.state
        after = replace(handover, state=state, verification=verification)
        record = {"valid": verification.valid, "problems": list(verification.problems)}
        return await self._advance(handover, after, stamp, "VERIFIED" if verification.valid else "VERIFICATION_FAILED", record)

    async def acknowledge(self, handover: SchoolHandover, ack: Acknowledgement, stamp: Stamp) -> SchoolHandover:
        after = replace(handover, state=SchoolHandoverState.ACKNOWLEDGED, acknowledgement=ack)
        receipt = {"handover": handover.id, "by": ack.by, "at": ack.at.isoformat(), "manifest_sha256": ack.manifest_sha256}
        await self._archive_receipt(handover.id, receipt, stamp.at)  # first: an acknowledged handover has its receipt
        return await self._advance(handover, after, stamp, "ACKNOWLEDGED", receipt)

    async def _archive_receipt(self, handover_id: str, receipt: dict[str, Any], at: datetime) -> None:
        with tempfile.TemporaryDirectory(prefix="school-handover-") as tmp:
            path = Path(tmp) / "receipt.json"
            path.write_bytes(json_util.dumps(receipt, sort_keys=True).encode())
            await self._archive.put_locked(
                f"{PREFIX}/{handover_id}/receipt.json", path, path.stat().st_size, "application/json",
                PERMANENT.mode.value, at + PERMANENT.period,
            )

    def bag_link(self, handover: SchoolHandover) -> tuple[str, datetime]:
        assert handover.bag is not None
        return self._archive.presigned_download(
            handover.bag.key, handover.bag.version_id, f"school-handover-{handover.id}.tar", "application/x-tar"
        )

