"""Test support: the real backing services, the API served by uvicorn on a free port, and a
small GraphQL client that signs requests as a given account."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr
from pymongo import monitoring

from api.app import create_app
from api.auth import mint_token
from api.settings import Settings
from scripts.init_cmd import s3_admin_client
from storage.embedded import EmbeddedServices, Endpoints, free_port
from storage.indexes import QueryShape
from storage.setup import prepare

EXTERNAL = bool(os.environ.get("MONGODB_URI") and os.environ.get("S3_ENDPOINT"))


@contextmanager
def services_dir() -> Iterator[Path]:
    """A temp dir the embedded servers can use: PostgreSQL runs as the `postgres` user
    when we are root, and pytest's own temp dirs (mode 0700 under /tmp/pytest-of-root)
    are closed to it. This one is searchable, not listable, by other users."""
    path = Path(tempfile.mkdtemp(prefix="xueji-services-"))
    path.chmod(0o711)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def backing_services(log_dir: Path | None = None) -> Iterator[tuple[Endpoints, EmbeddedServices | None]]:
    """The servers named in the environment, or freshly started embedded ones (data in a
    temp dir removed afterwards, logs in `log_dir` when given, kept for a failed test)."""
    if EXTERNAL:
        yield (
            Endpoints(
                mongodb_uri=os.environ["MONGODB_URI"],
                s3_endpoint=os.environ["S3_ENDPOINT"],
                s3_access_key=os.environ.get("S3_ACCESS_KEY", ""),
                s3_secret_key=os.environ.get("S3_SECRET_KEY", ""),
                s3_admin_access_key=os.environ.get("S3_ADMIN_ACCESS_KEY", ""),
                s3_admin_secret_key=os.environ.get("S3_ADMIN_SECRET_KEY", ""),
            ),
            None,
        )
        return
    with services_dir() as data_dir:
        services = EmbeddedServices(data_dir, ephemeral=True, log_dir=log_dir)
        with services as endpoints:
            yield endpoints, services


def settings_for(endpoints: Endpoints, **overrides: Any) -> Settings:
    """Settings for one test deployment: its own database and bucket on the servers."""
    suffix = secrets.token_hex(4)
    values: dict[str, Any] = {
        "app_env": "test",
        "mongodb_uri": endpoints.mongodb_uri,
        "mongodb_database": f"xueji_test_{suffix}",
        "s3_endpoint": endpoints.s3_endpoint,
        "s3_access_key": endpoints.s3_access_key,
        "s3_secret_key": SecretStr(endpoints.s3_secret_key),
        "s3_admin_access_key": endpoints.s3_admin_access_key or None,
        "s3_admin_secret_key": SecretStr(endpoints.s3_admin_secret_key) if endpoints.s3_admin_access_key else None,
        "s3_secure": os.environ.get("S3_SECURE", "false") == "true",
        "s3_evidence_bucket": f"xueji-test-{suffix}",
        "jwt_secret": SecretStr(secrets.token_urlsafe(48)),
        # No periodic database reads in the background of the shared test API: property
        # tests (hypothesis) refuse draws during which another thread used `random`, as
        # PyMongo's server selection does. The watchdog has its own test (test_intake.py).
        "intake_watch_seconds": 3600,
        **overrides,
    }
    return Settings(**values)


class CommandCounter(monitoring.CommandListener):
    """Counts the commands the API sends to MongoDB (round trips), for DataLoader tests,
    and records the shape of every query (for the index coverage test)."""

    def __init__(self) -> None:
        self.count = 0
        self.names: list[str] = []
        self.shapes: set[QueryShape] = set()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.count += 1
        self.names.append(event.command_name)
        for collection, filter_, sort in queries_of(event.command_name, event.command):
            self.shapes.add(QueryShape.of(collection, filter_, sort))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def queries_of(name: str, command: Any) -> list[tuple[str, dict[str, Any], dict[str, int] | None]]:
    """(collection, filter, sort) of each query a command runs."""
    collection = command.get(name)
    if not isinstance(collection, str):
        return []
    if name == "find":
        return [(collection, dict(command.get("filter") or {}), dict(command["sort"]) if command.get("sort") else None)]
    if name == "count":  # without a query: the collection's size from its metadata
        return [(collection, dict(command["query"]), None)] if command.get("query") else []
    if name == "aggregate":
        matches = [dict(stage["$match"]) for stage in command.get("pipeline", []) if "$match" in stage]
        return [(collection, matches[0] if matches else {}, None)]
    if name == "findAndModify":
        return [(collection, dict(command.get("query") or {}), dict(command["sort"]) if command.get("sort") else None)]
    if name == "update":
        return [(collection, dict(u.get("q") or {}), None) for u in command.get("updates", [])]
    if name == "delete":
        return [(collection, dict(d.get("q") or {}), None) for d in command.get("deletes", [])]
    return []


class ApiServer:
    """The real ASGI app under uvicorn in a background thread, on a free port."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.commands = CommandCounter()
        # The API gets its own S3 identity only; the admin one is for `prepare`.
        api_settings = settings.replace(s3_admin_access_key=None, s3_admin_secret_key=None)
        app = create_app(api_settings, mongo_listeners=[self.commands])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def start(self, *, seed: bool = True) -> ApiServer:
        assert self.settings.mongodb_uri is not None
        asyncio.run(
            prepare(
                self.settings.mongodb_uri,
                self.settings.mongodb_database,
                s3_admin_client(self.settings),
                self.settings.s3_evidence_bucket,
                demo=seed,
            )
        )
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@dataclass
class GraphQLClient:
    """POSTs GraphQL as a given account; `as_` names the login whose token is minted."""

    http: httpx.Client
    settings: Settings

    def token(self, login: str, ttl: timedelta | None = None) -> str:
        return mint_token(self.settings, login, ttl=ttl)

    def post(self, query: str, variables: dict[str, Any] | None = None, *, as_: str | None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(as_)}"} if as_ else {}
        headers.update(kw.pop("headers", {}))
        return self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers, **kw)

    def __call__(self, query: str, variables: dict[str, Any] | None = None, *, as_: str) -> dict[str, Any]:
        """Data of a successful request; fails the test on any GraphQL error."""
        response = self.post(query, variables, as_=as_)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def errors(self, query: str, variables: dict[str, Any] | None = None, *, as_: str) -> list[dict[str, Any]]:
        """The GraphQL errors of a request that is expected to fail."""
        body = self.post(query, variables, as_=as_).json()
        assert body.get("errors"), f"expected errors, got {body}"
        errors: list[dict[str, Any]] = body["errors"]
        return errors
