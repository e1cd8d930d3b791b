"""One API process of its own for a benchmark (so that the load generator does not share
its interpreter), over freshly started embedded servers with the demo data."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
from pydantic import SecretStr

from api.settings import Settings
from scripts.init_cmd import s3_admin_client
from storage.embedded import EmbeddedServices, free_port
from storage.setup import prepare


def serve() -> None:
    """The API alone in this process, configured from the environment."""
    import uvicorn

    from api.app import create_app
    from api.logging import configure_logging

    configure_logging("WARNING")
    settings = Settings()
    uvicorn.run(create_app(settings), host="127.0.0.1", port=settings.port, log_config=None, access_log=False)


def _searchable(path: Path) -> Path:
    path.chmod(0o711)  # PostgreSQL runs as `postgres` when we are root
    return path


@contextmanager
def prepared_services(**overrides: object) -> Iterator[Settings]:
    """Freshly started embedded servers in a temporary directory, with the bucket, the
    indexes and the demo data; the settings that reach them."""
    with tempfile.TemporaryDirectory() as tmp, EmbeddedServices(_searchable(Path(tmp))) as ep:
        settings = Settings(
            app_env="test",
            mongodb_uri=ep.mongodb_uri,
            s3_endpoint=ep.s3_endpoint,
            s3_access_key=ep.s3_access_key,
            s3_secret_key=SecretStr(ep.s3_secret_key),
            s3_admin_access_key=ep.s3_admin_access_key,
            s3_admin_secret_key=SecretStr(ep.s3_admin_secret_key),
            jwt_secret=SecretStr(secrets.token_urlsafe(48)),
            **overrides,  # type: ignore[arg-type]
        )
        assert settings.mongodb_uri is not None
        asyncio.run(prepare(settings.mongodb_uri, settings.mongodb_database, s3_admin_client(settings), settings.s3_evidence_bucket, demo=True))
        yield settings


@contextmanager
def running_api(extra_env: Mapping[str, str] | None = None) -> Iterator[tuple[str, Settings]]:
    """The API's base URL and the settings it runs with (tokens are minted from them)."""
    with prepared_services(port=free_port()) as settings:
        assert settings.mongodb_uri is not None and settings.jwt_secret is not None and settings.s3_endpoint is not None
        assert settings.s3_access_key is not None and settings.s3_secret_key is not None
        env = {
            **os.environ,
            "APP_ENV": "test",
            "PORT": str(settings.port),
            "MONGODB_URI": settings.mongodb_uri,
            "MONGODB_DATABASE": settings.mongodb_database,
            "S3_ENDPOINT": settings.s3_endpoint,
            "S3_ACCESS_KEY": settings.s3_access_key,
            "S3_SECRET_KEY": settings.s3_secret_key.get_secret_value(),
            "JWT_SECRET": settings.jwt_secret.get_secret_value(),
            **(extra_env or {}),
        }
        server = subprocess.Popen([sys.executable, "-c", "from bench.api_process import serve; serve()"], env=env)
        url = f"http://127.0.0.1:{settings.port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the API did not start")
                time.sleep(0.1)
            yield url, settings
        finally:
            server.terminate()
            server.wait(15)
