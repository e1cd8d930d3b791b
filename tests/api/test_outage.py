"""While the database is down or paused every endpoint answers 503 JSON with the code
DATABASE_UNAVAILABLE, in its own shape and within the configured timeout, and serves
again once it is back. The stopped server is a server of the test's own; the paused one
is the shared server seen through a proxy that stops forwarding."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from api.auth import mint_token
from storage.embedded import Endpoints
from tests.faults import PausableProxy
from tests.support import EXTERNAL, ApiServer, backing_services, settings_for

TIMEOUT_MS = 1500
VIEWER = {"query": "{ viewer { login } }"}


def _assert_unavailable(http: httpx.Client) -> None:
    for _ in range(2):
        started = time.monotonic()
        down = http.post("/graphql", json=VIEWER)
        elapsed = time.monotonic() - started
        assert down.status_code == 503, down.text
        assert down.json()["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
        assert elapsed < TIMEOUT_MS / 1000 + 2.0, elapsed

        started = time.monotonic()
        upload = http.post("/uploads?student=G1&kind=HOUSEHOLD_REGISTER", content=b"x", headers={"content-type": "image/jpeg"})
        elapsed = time.monotonic() - started
        assert upload.status_code == 503, upload.text
        assert upload.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
        assert elapsed < TIMEOUT_MS / 1000 + 2.0, elapsed


def _assert_recovers(http: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while (back := http.post("/graphql", json=VIEWER)).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert back.json() == {"data": {"viewer": {"login": "weiwu.registrar"}}}


@pytest.mark.skipif(EXTERNAL, reason="stops and restarts the servers, so it needs its own embedded ones")
def test_database_down_is_503_json_within_the_timeout_and_recovers(tmp_path: Path) -> None:
    with backing_services(tmp_path) as (endpoints, services):
        assert services is not None
        settings = settings_for(endpoints, mongodb_timeout_ms=TIMEOUT_MS)
        server = ApiServer(settings).start()
        auth = {"Authorization": f"Bearer {mint_token(settings, 'weiwu.registrar')}"}
        try:
            with httpx.Client(base_url=server.base_url, timeout=60, headers=auth) as http:
                assert http.post("/graphql", json=VIEWER).status_code == 200

                services.stop_ferretdb()
                _assert_unavailable(http)
                services.start_ferretdb()
                _assert_recovers(http)
        finally:
            server.stop()


@pytest.mark.skipif(EXTERNAL, reason="proxies the embedded server's plain address")
def test_database_paused_is_503_json_within_the_timeout_and_recovers(endpoints: Endpoints) -> None:
    port = int(endpoints.mongodb_uri.rstrip("/").rsplit(":", 1)[1])
    with PausableProxy("127.0.0.1", port) as proxy:
        settings = settings_for(endpoints, mongodb_uri=f"mongodb://127.0.0.1:{proxy.port}/", mongodb_timeout_ms=TIMEOUT_MS)
        server = ApiServer(settings).start()
        auth = {"Authorization": f"Bearer {mint_token(settings, 'weiwu.registrar')}"}
        try:
            with httpx.Client(base_url=server.base_url, timeout=60, headers=auth) as http:
                assert http.post("/graphql", json=VIEWER).status_code == 200
                proxy.pause()
                _assert_unavailable(http)
                proxy.resume()
                _assert_recovers(http)
        finally:
            proxy.resume()
            server.stop()
