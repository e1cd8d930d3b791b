"""The BagIt manifest of a school handover (RFC 8493, the `bagit` library): built in a
temp dir off the event loop, tarred, and validated again from the archived tar.

Layout of the payload:

    data/handover.json                                       the handover, its dossiers and documents
    data/dossiers/<dossier id>.json                          each dossier, as exported
    data/evidence/<document id>/v<version>-original.<ext>    each stored object, as archived
    data/evidence/<document id>/v<version>-rendition.<ext>

`manifest-sha256.txt` lists every payload file with its SHA-256; `bag-info.txt` names the
sender, the receiver, the legal basis, the effective date and the counts, and bagit adds
the payload's size and file count (`Payload-Oxum`). Every evidence object is checked
against the SHA-256 and size recorded at upload before it goes into the bag."""

from __future__ import annotations

import asyncio
import hashlib
import re
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bagit

from storage.evidence_store import EvidenceArchive

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif", "application/pdf": ".pdf"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class EvidenceFile:
    document_id: str
    version: int
    part: str  # original | rendition
    key: str
    version_id: str
    sha256: str
    size: int
    content_type: str

    @property
    def path(self) -> str:
        ext = EXTENSIONS.get(self.content_type, ".bin")
        return f"evidence/{_UNSAFE.sub('_', self.document_id)}/v{self.version}-{self.part}{ext}"


@dataclass(frozen=True)
class BagContents:
    index: bytes  # data/handover.json: the handover and what it moved (a bag of an empty school is not empty)
    dossiers: list[tuple[str, bytes]]
    evidence: list[EvidenceFile]
    info: dict[str, str]


@dataclass(frozen=True)
class BuiltBag:
    tar: Path
    size: int
    sha256: str
    manifest_sha256: str


class EvidenceChanged(RuntimeError):
    """An archived object no longer has the SHA-256 or size recorded at upload."""


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fetch(archive: EvidenceArchive, key: str, version_id: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    archive.client.fget_object(archive.bucket, key, str(path), version_id=version_id)


def _make(archive: EvidenceArchive, work: Path, name: str, contents: BagContents) -> BuiltBag:
    root = work / name
    (root / "dossiers").mkdir(parents=True)
    (root / "handover.json").write_bytes(contents.index)
    for dossier_id, body in contents.dossiers:
        (root / "dossiers" / f"{_UNSAFE.sub('_', dossier_id)}.json").write_bytes(body)
    for f in contents.evidence:
        target = root / f.path
        if target.exists():
            continue  # a rendition that is its own original is listed once per part
        _fetch(archive, f.key, f.version_id, target)
        if target.stat().st_size != f.size or _sha256_file(target) != f.sha256:
            raise EvidenceChanged(f"{f.key} ({f.version_id}) does not match the SHA-256 recorded at upload")
    bag = bagit.make_bag(str(root), bag_info=contents.info, checksums=["sha256"])
    bag.validate()  # what goes into the archive is checked once as the receiver will check it
    manifest_sha256 = _sha256_file(root / "manifest-sha256.txt")
    tar = work / f"{name}.tar"
    with tarfile.open(tar, "w") as out:
        out.add(root, arcname=name)
    return BuiltBag(tar=tar, size=tar.stat().st_size, sha256=_sha256_file(tar), manifest_sha256=manifest_sha256)


async def build_bag(archive: EvidenceArchive, work: Path, handover_id: str, contents: BagContents) -> BuiltBag:
    return await asyncio.to_thread(_make, archive, work, f"school-handover-{_UNSAFE.sub('_', handover_id)}", contents)


def validate_bag_dir(root: Path, expected: dict[str, str]) -> list[str]:
    """Every problem bagit finds (each failing file by its path in the bag), and every
    count of bag-info that differs from `expected`."""
    problems: list[str] = []
    try:
        bag = bagit.Bag(str(root))
    except bagit.BagError as e:
        return [f"not a bag: {e}"]
    try:
        bag.validate(processes=1)
    except bagit.BagValidationError as e:
        problems += [str(d) for d in e.details] if e.details else [str(e.message)]
    for field, value in expected.items():
        found = bag.info.get(field)
        if found != value:
            problems.append(f"bag-info {field} is {found!r}, the database has {value}")
    return problems


def validate_tar(tar: Path, expected: dict[str, str]) -> list[str]:
    """Unpack a bag's tar (safely: no links or paths outside) and validate it."""
    with tempfile.TemporaryDirectory(prefix="school-handover-check-") as tmp:
        with tarfile.open(tar) as t:
            t.extractall(tmp, filter="data")
        roots = [p for p in Path(tmp).iterdir() if p.is_dir()]
        if len(roots) != 1:
            return ["the tar does not hold exactly one bag"]
        return validate_bag_dir(roots[0], expected)


def _check(archive: EvidenceArchive, key: str, version_id: str, sha256: str, expected: dict[str, str]) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="school-handover-get-") as tmp:
        tar = Path(tmp) / "bag.tar"
        _fetch(archive, key, version_id, tar)
        problems = [] if _sha256_file(tar) == sha256 else ["the archived tar does not have the SHA-256 recorded when it was made"]
        return problems + validate_tar(tar, expected)


async def check_bag(archive: EvidenceArchive, key: str, version_id: str, sha256: str, expected: dict[str, str]) -> list[str]:
    return await asyncio.to_thread(_check, archive, key, version_id, sha256, expected)
