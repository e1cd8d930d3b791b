"""Settings for an API started with APP_ENV=production (ES256 keys made for the test)."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from api.settings import Settings


def production_settings(settings: Settings, **overrides: Any) -> Settings:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return settings.replace(
        app_env="production",
        jwt_algorithm="ES256",
        jwt_secret=None,
        jwt_public_key=public.decode(),
        jwt_private_key=SecretStr(private.decode()),
        **overrides,
    )
