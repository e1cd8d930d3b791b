"""`./scripts/serve` refuses development mode anywhere but on the embedded servers at a
loopback address: development seeds demo accounts and hands out their tokens."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from api.settings import Settings
from scripts.serve_cmd import refuse_development_outside_the_machine


@pytest.mark.parametrize(
    "overrides",
    [
        {"mongodb_uri": "mongodb://db.example/", "s3_endpoint": "minio.example:9000"},  # existing servers
        {"host": "0.0.0.0"},
        {"host": "10.1.2.3"},
    ],
)
def test_development_is_refused_against_existing_servers_or_off_loopback(overrides: dict[str, str]) -> None:
    with pytest.raises(SystemExit) as e:
        refuse_development_outside_the_machine(Settings(**{"app_env": "development", "mongodb_uri": None, "s3_endpoint": None, "host": "127.0.0.1", **overrides}))  # type: ignore[arg-type]
    assert "APP_ENV" in str(e.value)


def test_development_on_the_embedded_servers_and_production_anywhere_pass() -> None:
    refuse_development_outside_the_machine(Settings(app_env="development", mongodb_uri=None, s3_endpoint=None, host="127.0.0.1"))
    refuse_development_outside_the_machine(
        Settings(
            app_env="test", mongodb_uri="mongodb://db.example/", s3_endpoint="minio.example:9000", host="0.0.0.0",
            s3_access_key="xueji-api", s3_secret_key=SecretStr("s" * 24), jwt_secret=SecretStr("j" * 48),
        )
    )
