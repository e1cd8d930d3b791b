"""The serve command: brings the whole stack up from an empty data dir, keeps data between
runs, and leaves no process behind when stopped (Ctrl-C) or killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from storage.embedded import PROJECT_ROOT, free_port
from tests.support import EXTERNAL, services_dir

pytestmark = pytest.mark.skipif(EXTERNAL, reason="exercises the embedded default")


def _processes_using(path: Path) -> list[int]:
    """PIDs whose command line mentions the data dir (FerretDB and SeaweedFS do)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmdline and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "S3_", "JWT_"))}
    env.update({"DATA_DIR": str(data_dir), "PORT": str(port), "APP_ENV": "development"})
    with open(data_dir / "serve.log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "scripts.serve_cmd"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def _wait_ready(port: int, proc: subprocess.Popen[bytes], data_dir: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, (data_dir / "serve.log").read_text(errors="replace")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("serve did not become ready")


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`: the servers and PostgreSQL's own workers."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    left = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            left.add(pid)
    return left


def _wait_gone(data_dir: Path, before: set[int], timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while ((left := _processes_using(data_dir)) or _alive(before)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left + sorted(_alive(before))


def _names(pids: set[int]) -> list[str]:
    names = []
    for pid in pids:
        try:
            names.append(Path(f"/proc/{pid}/comm").read_text().strip())
        except OSError:
            continue
    return names


def _token(data_dir: Path, login: str) -> str:
    env = {**os.environ, "DATA_DIR": str(data_dir), "APP_ENV": "development"}
    env.pop("JWT_SECRET", None)
    out = subprocess.run(
        [sys.executable, "-m", "scripts.token_cmd", login], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_serve_answers_with_a_minted_token_and_ctrl_c_leaves_nothing() -> None:
    with services_dir() as data_dir:
        _serve_ctrl_c_and_kill(data_dir)


def _serve_ctrl_c_and_kill(tmp_path: Path) -> None:
    port = free_port()
    proc = _serve(tmp_path, port)
    try:
        _wait_ready(port, proc, tmp_path)
        assert len(_processes_using(tmp_path)) == 3  # PostgreSQL, FerretDB and SeaweedFS
        started = _descendants(proc.pid)
        names = _names(started)
        assert {"postgres", "weed"} <= set(names) and any(n.startswith("ferretdb") for n in names), names
        token = _token(tmp_path, "zhongmou.dept")
        body = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ viewer { login } schools { edges { node { code } } } }"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert body["data"] == {"viewer": {"login": "zhongmou.dept"}, "schools": {"edges": [{"node": {"code": "2141012201"}}]}}
        # data kept between runs: change something, restart, find it again
        mutation = 'mutation { updateSchoolContact(input: {code: "2141012201", phone: "0371-62100000"}) { __typename } }'
        httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": mutation}, headers={"Authorization": f"Bearer {token}"})
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        assert _wait_gone(tmp_path, started) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    proc = _serve(tmp_path, port)
    try:
        _wait_ready(port, proc, tmp_path)
        body = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": '{ school(code: "2141012201") { phone } }'},
            headers={"Authorization": f"Bearer {_token(tmp_path, 'zhongmou.dept')}"},
        ).json()
        assert body["data"]["school"]["phone"] == "0371-62100000"
        started = _descendants(proc.pid)
        proc.kill()  # even when killed outright, the children (and PostgreSQL's) follow
        proc.wait()
        assert _wait_gone(tmp_path, started) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
