"""Fetch the development explorer's assets (api/explorer/assets.json) into the cache dir.

Run by scripts/lib/bootstrap.sh. Packages whose files are already cached and intact are
left alone; the others are fetched with `npm pack` from the npm registry npm is set up to
reach (its own cache first). A tarball whose SHA-512 differs from its pinned `integrity`,
or a file whose SHA-256 differs from its pin, is refused and nothing of it is written."""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from api.explorer.assets import Asset, Manifest, default_cache_dir, problem_with


class FetchFailed(Exception):
    pass


def integrity_of(tarball: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()


def intact(asset: Asset, directory: Path) -> bool:
    try:
        return problem_with(asset, asset.cached(directory).read_bytes()) is None
    except FileNotFoundError:
        return False


def npm_pack(packages: list[str], destination: Path) -> dict[str, Path]:
    """The tarball of each "name@version", downloaded by npm into `destination`."""
    npm = shutil.which("npm")
    if npm is None:
        raise FetchFailed("npm (node 20+) is needed to fetch the explorer's assets once")
    result = subprocess.run(
        [npm, "pack", "--json", "--prefer-offline", "--loglevel=error", "--pack-destination", str(destination), *packages],
        cwd=destination,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise FetchFailed(f"npm pack failed: {result.stderr.strip()[-2000:]}")
    try:
        packed = json.loads(result.stdout)
        return {f"{p['name']}@{p['version']}": destination / p["filename"] for p in packed}
    except (ValueError, KeyError, TypeError) as e:  # npm printed something else than its JSON report
        raise FetchFailed(f"npm pack answered what is not its JSON report ({type(e).__name__}): {result.stdout[:200]!r}") from None


def extract(package: str, tarball: bytes, assets: tuple[Asset, ...], directory: Path) -> None:
    """Check every file of `package` first, then write them all (each atomically)."""
    checked: list[tuple[Asset, bytes]] = []
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for asset in assets:
            member = tar.getmember(f"package/{asset.path}")
            handle = tar.extractfile(member) if member.isfile() else None
            content = handle.read() if handle is not None else None
            problem = problem_with(asset, content)
            if problem is not None or content is None:
                raise FetchFailed(f"{package}: {problem}")
            checked.append((asset, content))
    for asset, content in checked:
        target = asset.cached(directory)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(content)
        os.replace(partial, target)


Packer = Callable[[list[str], Path], dict[str, Path]]


def fetch(manifest: Manifest, directory: Path, pack: Packer = npm_pack) -> list[str]:
    """Bring every missing or altered asset into `directory`; the packages fetched. `pack`
    puts the tarball of each "name@version" it is given into a scratch dir."""
    wanted = sorted({a.package for a in manifest.assets if not intact(a, directory)})
    if not wanted:
        return []
    with tempfile.TemporaryDirectory(prefix="xueji-explorer-") as tmp:
        tarballs = pack(wanted, Path(tmp))
        for package in wanted:
            if package not in tarballs:
                raise FetchFailed(f"npm did not return {package}")
            tarball = tarballs[package].read_bytes()
            if integrity_of(tarball) != manifest.packages[package]:
                raise FetchFailed(f"{package}: the tarball's SHA-512 differs from its pinned integrity; nothing written")
            extract(package, tarball, manifest.of_package(package), directory)
    return wanted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.explorer_assets_cmd", description=__doc__)
    parser.add_argument("--dir", type=Path, default=None, help="the cache dir (default: EXPLORER_ASSETS_DIR or ~/.cache/xueji-archive/explorer)")
    args = parser.parse_args(argv)
    directory: Path = args.dir or Path(os.environ.get("EXPLORER_ASSETS_DIR") or default_cache_dir())
    try:
        fetched = fetch(Manifest.load(), directory)
    except (FetchFailed, OSError, KeyError, tarfile.TarError) as e:
        print(f"explorer assets: {e}", file=sys.stderr)
        return 1
    if fetched:
        print(f"explorer assets: fetched {', '.join(fetched)} into {directory}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
