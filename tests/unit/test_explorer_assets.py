"""Fetching the explorer's GraphiQL files (scripts/explorer_assets_cmd.py): a tarball is
taken only when its SHA-512 is the pinned npm `integrity`, a file only when its SHA-256 is
its pin, and nothing of a refused package is written. The tarballs here are made by the
test; one test fetches the real pinned packages with npm."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import tarfile
from pathlib import Path

import pytest

from api.explorer.assets import Asset, Manifest, read_assets
from scripts.explorer_assets_cmd import FetchFailed, fetch, integrity_of

FILES = {"dist/widget.js": b"window.Widget = 1;\n", "dist/widget.css": b".widget { color: red }\n"}


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, content in files.items():
            info = tarfile.TarInfo(f"package/{path}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def manifest_for(archive: bytes, files: dict[str, bytes], *, package: str = "widget@1.0.0") -> Manifest:
    assets = tuple(
        Asset(name=Path(path).name, package=package, path=path, sha256=hashlib.sha256(content).hexdigest())
        for path, content in files.items()
    )
    return Manifest({package: integrity_of(archive)}, assets)


class Registry:
    """Hands out the tarballs it holds, and counts what it was asked for."""

    def __init__(self, tarballs: dict[str, bytes]) -> None:
        self.tarballs = tarballs
        self.asked: list[list[str]] = []

    def __call__(self, packages: list[str], destination: Path) -> dict[str, Path]:
        self.asked.append(packages)
        found: dict[str, Path] = {}
        for package in packages:
            found[package] = destination / f"{len(found)}.tgz"
            found[package].write_bytes(self.tarballs[package])
        return found


def files_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


def test_integrity_is_npms_format() -> None:
    assert integrity_of(b"") == "sha512-" + base64.b64encode(hashlib.sha512(b"").digest()).decode()


def test_fetches_checked_files_once(tmp_path: Path) -> None:
    archive = tarball(FILES)
    manifest = manifest_for(archive, FILES)
    registry = Registry({"widget@1.0.0": archive})
    assert fetch(manifest, tmp_path, registry) == ["widget@1.0.0"]
    assert read_assets(manifest, tmp_path) == {"widget.js": FILES["dist/widget.js"], "widget.css": FILES["dist/widget.css"]}
    assert fetch(manifest, tmp_path, registry) == [] and len(registry.asked) == 1
    (tmp_path / "widget@1.0.0/dist/widget.css").write_bytes(b"altered")
    assert fetch(manifest, tmp_path, registry) == ["widget@1.0.0"] and len(registry.asked) == 2
    assert read_assets(manifest, tmp_path)["widget.css"] == FILES["dist/widget.css"]


def test_refuses_a_tarball_that_is_not_the_pinned_one(tmp_path: Path) -> None:
    manifest = manifest_for(tarball(FILES), FILES)
    other = tarball({**FILES, "dist/extra.js": b"1"})
    with pytest.raises(FetchFailed, match="differs from its pinned integrity"):
        fetch(manifest, tmp_path, Registry({"widget@1.0.0": other}))
    assert files_in(tmp_path) == []


def test_refuses_a_file_that_is_not_the_pinned_one(tmp_path: Path) -> None:
    archive = tarball({**FILES, "dist/widget.css": b".widget { background: url(https://elsewhere/) }"})
    manifest = manifest_for(archive, FILES)  # the tarball is pinned, the CSS file's pin is not its content
    with pytest.raises(FetchFailed, match="widget.css .* differs from its pinned SHA-256"):
        fetch(manifest, tmp_path, Registry({"widget@1.0.0": archive}))
    assert files_in(tmp_path) == []  # widget.js was fine, but nothing of the package is written


def test_the_committed_manifest_pins_every_file() -> None:
    manifest = Manifest.load()
    assert manifest.packages and manifest.assets
    for package, integrity in manifest.packages.items():
        assert re.fullmatch(r"(@[a-z0-9-]+/)?[a-z0-9.-]+@\d+\.\d+\.\d+", package)
        assert len(base64.b64decode(integrity.removeprefix("sha512-"), validate=True)) == 64
        assert manifest.of_package(package), f"{package} is pinned but nothing is taken from it"
    assert len({a.name for a in manifest.assets}) == len(manifest.assets)
    for asset in manifest.assets:
        assert re.fullmatch(r"[0-9a-f]{64}", asset.sha256) and asset.media_type


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm (node 20+) is not installed")
def test_npm_fetches_the_pinned_packages(tmp_path: Path) -> None:
    manifest = Manifest.load()
    assert sorted(fetch(manifest, tmp_path)) == sorted(manifest.packages)
    assert set(read_assets(manifest, tmp_path)) == {a.name for a in manifest.assets}
