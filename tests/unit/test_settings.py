"""Settings refuse default or weak secrets outside development."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from api.settings import Settings

STRONG = "x" * 48


def test_development_needs_no_secret_and_generates_one_per_data_dir(tmp_path: Path) -> None:
    first = Settings(app_env="development", data_dir=tmp_path).with_jwt_secret_from_data_dir()
    again = Settings(app_env="development", data_dir=tmp_path).with_jwt_secret_from_data_dir()
    assert first.jwt_secret is not None and again.jwt_secret is not None
    assert first.jwt_secret.get_secret_value() == again.jwt_secret.get_secret_value()
    assert len(first.jwt_secret.get_secret_value()) >= 48
    other = Settings(app_env="development", data_dir=tmp_path / "other").with_jwt_secret_from_data_dir()
    assert other.jwt_secret != first.jwt_secret
    assert (tmp_path / "dev-jwt-secret").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("secret", [None, "secret", "changeme", "short-but-not-empty"])
def test_test_env_refuses_missing_or_weak_jwt_secret(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(app_env="test", jwt_secret=SecretStr(secret) if secret else None)


def test_production_refuses_hs256_even_with_a_strong_secret() -> None:
    with pytest.raises(ValidationError, match="RS256 or ES256"):
        Settings(app_env="production", jwt_secret=SecretStr(STRONG))


def test_production_needs_a_public_key_and_a_real_s3_secret() -> None:
    with pytest.raises(ValidationError, match="JWT_PUBLIC_KEY"):
        Settings(app_env="production", jwt_algorithm="RS256")
    with pytest.raises(ValidationError, match="S3_SECRET_KEY"):
        Settings(
            app_env="production",
            jwt_algorithm="RS256",
            jwt_public_key="-----BEGIN PUBLIC KEY-----",
            s3_endpoint="minio:9000",
            s3_secret_key=SecretStr("minioadmin"),
        )
    ok = Settings(
        app_env="production",
        jwt_algorithm="RS256",
        jwt_public_key="-----BEGIN PUBLIC KEY-----",
        s3_endpoint="minio:9000",
        s3_secret_key=SecretStr("a-long-generated-secret"),
    )
    assert ok.is_production


def test_development_secret_is_never_generated_outside_development(tmp_path: Path) -> None:
    settings = Settings(app_env="test", jwt_secret=SecretStr(STRONG), data_dir=tmp_path)
    assert settings.with_jwt_secret_from_data_dir().jwt_secret == SecretStr(STRONG)
    assert not (tmp_path / "dev-jwt-secret").exists()


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("JWT_SECRET", STRONG)
    monkeypatch.setenv("PORT", "9123")
    settings = Settings()
    assert settings.port == 9123 and settings.app_env.value == "test"


def test_admin_s3_credentials_are_optional_but_never_weak_outside_development() -> None:
    base: dict[str, Any] = {
        "app_env": "production",
        "jwt_algorithm": "RS256",
        "jwt_public_key": "-----BEGIN PUBLIC KEY-----",
        "s3_endpoint": "minio:9000",
        "s3_access_key": "xueji-api",
        "s3_secret_key": SecretStr("a-long-generated-secret"),
    }
    assert Settings(**base).s3_admin_access_key is None  # the API runs without them
    for weak in ("minioadmin", "short", ""):
        with pytest.raises(ValidationError, match="S3_ADMIN_SECRET_KEY"):
            Settings(**base, s3_admin_access_key="root", s3_admin_secret_key=SecretStr(weak))
    with pytest.raises(ValidationError, match="S3_ADMIN_ACCESS_KEY"):
        Settings(**base, s3_admin_secret_key=SecretStr("another-long-generated-secret"))
    ok = Settings(**base, s3_admin_access_key="root", s3_admin_secret_key=SecretStr("another-long-generated-secret"))
    assert ok.s3_admin_access_key == "root"
    dev = Settings(app_env="development", s3_admin_access_key="root", s3_admin_secret_key=SecretStr("minioadmin"))
    assert dev.s3_admin_secret_key is not None
