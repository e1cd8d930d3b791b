"""`scripts/serve`: start (or connect to) the backing services, set up the bucket, indexes
and demo data, then run uvicorn. Stops the services it started on exit and on Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator

import structlog
import uvicorn

from api.app import create_app
from api.logging import configure_logging
from api.settings import Settings
from storage.embedded import EmbeddedServices, publish_endpoints
from scripts.init_cmd import prepare_deployment

log = structlog.get_logger("serve")


@contextlib.contextmanager
def backing_services(settings: Settings) -> Iterator[Settings]:
    if not settings.uses_embedded_services:
        yield settings
        return
    if settings.mongodb_uri is not None or settings.s3_endpoint is not None:
        sys.exit("set both MONGODB_URI and S3_ENDPOINT, or neither (embedded default)")
    services = EmbeddedServices(settings.data_dir)
    endpoints = services.start()
    published = publish_endpoints(settings.data_dir, endpoints)
    try:
        log.info("embedded services started", mongodb=endpoints.mongodb_uri, s3=endpoints.s3_endpoint)
        yield settings.replace(**{k.lower(): v for k, v in endpoints.as_env().items()})
    finally:
        published.unlink(missing_ok=True)
        services.stop()
        log.info("embedded services stopped")


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def refuse_development_outside_the_machine(settings: Settings) -> None:
    """Development seeds demo accounts, hands out their tokens in the explorer and skips the
    secret checks: it runs only on the embedded servers, on a loopback address. A deployment
    that forgot APP_ENV is refused instead of serving demo logins against real data."""
    if not settings.is_development:
        return
    if not settings.uses_embedded_services:
        sys.exit("APP_ENV=development runs on the embedded servers only; set APP_ENV=production (or test) to use MONGODB_URI / S3_ENDPOINT")
    if settings.host not in LOOPBACK:
        sys.exit(f"APP_ENV=development listens on a loopback address only, not HOST={settings.host}; set APP_ENV=production")


def main() -> None:
    settings = Settings()
    refuse_development_outside_the_machine(settings)
    configure_logging(settings.log_level)
    if settings.is_development:
        settings = settings.with_jwt_secret_from_data_dir()
    with backing_services(settings) as ready:
        asyncio.run(prepare_deployment(ready, demo=ready.is_development or os.environ.get("SEED_DEMO") == "1"))
        base = f"http://{ready.host}:{ready.port}"
        explorer = f"{base}/graphql" + ("  (GraphiQL explorer)" if ready.is_development else "")
        print(f"\n  学籍 archive API: {explorer}", flush=True)
        print("  accounts: ./scripts/token --list    token: ./scripts/token LOGIN", flush=True)
        print('  then send "Authorization: Bearer <token>" with each request\n', flush=True)
        api = ready.replace(s3_admin_access_key=None, s3_admin_secret_key=None)  # init only
        uvicorn.run(create_app(api), host=api.host, port=api.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
