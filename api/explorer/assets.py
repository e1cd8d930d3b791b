"""GraphiQL's assets, served by the application itself, never from a CDN.

`assets.json` pins them: each npm package by name, version and the `integrity` (SHA-512)
of its tarball, and each file taken from a tarball by its path and SHA-256.
`scripts/explorer_assets_cmd.py` fetches the tarballs once, at bootstrap, with npm, and
keeps the files in the cache dir (`$XUEJI_CACHE_DIR`, else `~/.cache/xueji-archive`, under
`explorer/`), beside the FerretDB binary. The API only reads them from there and checks
every hash before serving one."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).with_name("assets.json")
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    """One file the page loads, at `/graphql/assets/<name>`."""

    name: str
    package: str  # "name@version", a key of Manifest.packages
    path: str  # inside the package's tarball, under `package/`
    sha256: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[Path(self.name).suffix]

    def cached(self, directory: Path) -> Path:
        return directory / self.package / self.path


@dataclass(frozen=True)
class Manifest:
    packages: dict[str, str]  # "name@version" -> the tarball's npm integrity ("sha512-<base64>")
    assets: tuple[Asset, ...]

    @classmethod
    def load(cls, path: Path = MANIFEST) -> Manifest:
        raw = json.loads(path.read_text())
        assets = tuple(Asset(name=name, **entry) for name, entry in raw["assets"].items())
        packages: dict[str, str] = raw["packages"]
        unknown = {a.package for a in assets} - set(packages)
        if unknown:
            raise ValueError(f"{path}: assets from unpinned packages {sorted(unknown)}")
        return cls(packages, assets)

    def of_package(self, package: str) -> tuple[Asset, ...]:
        return tuple(a for a in self.assets if a.package == package)


def default_cache_dir() -> Path:
    """Where bootstrap keeps the assets: the same cache as the FerretDB binary."""
    base = os.environ.get("XUEJI_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "xueji-archive"
    )
    return Path(base) / "explorer"


class AssetsMissing(Exception):
    """Some assets are absent from the cache dir, or differ from their pinned hash."""

    def __init__(self, directory: Path, problems: list[str]) -> None:
        super().__init__(f"{directory}: " + "; ".join(problems))
        self.directory = directory
        self.problems = problems


def problem_with(asset: Asset, content: bytes | None) -> str | None:
    """Why `content` may not be served as `asset`, or None."""
    if content is None:
        return f"{asset.name} ({asset.package} {asset.path}) is missing"
    if hashlib.sha256(content).hexdigest() != asset.sha256:
        return f"{asset.name} ({asset.package} {asset.path}) differs from its pinned SHA-256"
    return None


def read_assets(manifest: Manifest, directory: Path) -> dict[str, bytes]:
    """Every asset by its served name, each checked against its SHA-256; AssetsMissing
    names every one that is absent or altered."""
    found: dict[str, bytes] = {}
    problems: list[str] = []
    for asset in manifest.assets:
        try:
            content: bytes | None = asset.cached(directory).read_bytes()
        except FileNotFoundError:
            content = None
        problem = problem_with(asset, content)
        if problem is not None:
            problems.append(problem)
        elif content is not None:
            found[asset.name] = content
    if problems:
        raise AssetsMissing(directory, problems)
    return found
