"""The ASGI entry point for deployments: `uvicorn --factory api.main:app_from_env`."""

from __future__ import annotations

from starlette.applications import Starlette

from api.app import create_app
from api.logging import configure_logging
from api.settings import Settings


def app_from_env() -> Starlette:
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
