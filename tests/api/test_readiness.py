"""/readyz follows the backing services: failing while either is stopped, recovering when it
returns. Uses its own servers so stopping them disturbs no other test."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support import EXTERNAL, ApiServer, backing_services, settings_for

pytestmark = pytest.mark.skipif(EXTERNAL, reason="stops and restarts the servers, so it needs its own embedded ones")


def _ready(http: httpx.Client, timeout: float = 20) -> dict[str, str]:
    """Poll until readiness settles in the expected direction or time runs out."""
    response = http.get("/readyz")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = http.get("/readyz")
        if response.status_code in (200, 503):
            break
        time.sleep(0.2)
    checks: dict[str, str] = response.json()["checks"]
    return checks


def _wait_for(http: httpx.Client, want: int, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = http.get("/readyz")
        if response.status_code == want or time.monotonic() > deadline:
            return response
        time.sleep(0.3)


def test_readyz_fails_while_a_server_is_down_and_recovers(tmp_path: Path) -> None:
    with backing_services(tmp_path) as (endpoints, services):
        assert services is not None
        server = ApiServer(settings_for(endpoints)).start(seed=False)
        try:
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                assert _wait_for(http, 200).status_code == 200

                services.stop_ferretdb()
                down = _wait_for(http, 503)
                assert down.status_code == 503
                assert down.json()["checks"]["mongodb"].startswith("unavailable")
                assert down.json()["checks"]["s3"] == "ok"
                services.start_ferretdb()
                assert _wait_for(http, 200).status_code == 200

                services.stop_seaweedfs()
                down = _wait_for(http, 503)
                assert down.status_code == 503
                assert down.json()["checks"] == {"mongodb": "ok", "s3": down.json()["checks"]["s3"]}
                assert down.json()["checks"]["s3"].startswith("unavailable")
                services.start_seaweedfs()
                assert _wait_for(http, 200).status_code == 200
        finally:
            server.stop()
