"""One settings object, read from the environment.

Outside `APP_ENV=development` it refuses to start with a missing or weak signing secret,
with development-only conveniences switched on, or with HS256 in production.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path
from typing import Self

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_BYTES = 32
KNOWN_WEAK_SECRETS = frozenset({"secret", "changeme", "change-me", "minioadmin", "password", "development"})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class PersistedOperationsMode(StrEnum):
    """Which GraphQL requests are accepted: text, registered document ids, or both (api/persisted.py)."""

    OFF = "off"
    ALLOW = "allow"
    ONLY = "only"


class JwtAlgorithm(StrEnum):
    HS256 = "HS256"
    RS256 = "RS256"
    ES256 = "ES256"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    app_env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"

    mongodb_uri: str | None = None
    mongodb_database: str = "xueji"
    mongodb_timeout_ms: int = Field(
        default=3000, ge=100, le=60_000, description="server selection and the per-request account lookup"
    )

    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    s3_secure: bool = False
    s3_evidence_bucket: str = "xueji-evidence"
    # Only the init step (bucket creation) uses the admin identity; the API never does.
    s3_admin_access_key: str | None = None
    s3_admin_secret_key: SecretStr | None = None

    s3_public_endpoint: str | None = Field(
        default=None, description="host:port that browsers reach, for presigned links (default: S3_ENDPOINT)"
    )
    s3_public_secure: bool | None = None

    upload_max_bytes: int = 25 * 1024 * 1024
    upload_max_pixels: int = 60_000_000
    upload_max_pages: int = 60
    upload_spool_dir: str | None = None
    upload_check_workers: int | None = Field(
        default=None, ge=1, le=64, description="processes that check uploads (default: the cores available)"
    )
    download_link_seconds: int = Field(default=300, ge=1, le=3600)
    intake_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="largest bulk-intake spreadsheet")
    intake_concurrency: int = Field(default=4, ge=1, le=32, description="rows of one intake job enrolled at once")
    intake_stale_seconds: float = Field(
        default=60, gt=0, le=3600, description="an intake run silent this long is taken over by another"
    )
    intake_watch_seconds: float = Field(
        default=15, gt=0, le=86400, description="how often each API process looks for intake jobs whose run stopped"
    )

    jwt_algorithm: JwtAlgorithm = JwtAlgorithm.HS256
    jwt_secret: SecretStr | None = None
    jwt_public_key: str | None = None
    jwt_private_key: SecretStr | None = Field(default=None, description="only for minting tokens")
    jwt_issuer: str = "xueji-archive"
    jwt_audience: str = "xueji-api"
    jwt_account_claim: str = Field(
        default="sub", min_length=1, description="the claim whose value is the account's login (an identity provider's choice)"
    )
    jwt_ttl_minutes: int = 8 * 60

    audit_signing_key: SecretStr | None = Field(
        default=None, description="Ed25519 private key (PEM) that signs audit chain checkpoints; not used by the API"
    )

    graphql_max_depth: int = 12
    graphql_max_tokens: int = 4000
    graphql_max_aliases: int = 15
    page_size_max: int = 100
    graphql_max_body_bytes: int = Field(default=256 * 1024, ge=1024)

    metrics_token: SecretStr | None = Field(default=None, description="bearer token that /metrics requires")
    metrics_port: int | None = Field(default=None, description="serve /metrics on this port instead (not on PORT)")
    metrics_host: str | None = Field(default=None, description="address of METRICS_PORT (default: HOST)")

    persisted_operations: PersistedOperationsMode = PersistedOperationsMode.ALLOW

    explorer_assets_dir: Path | None = Field(
        default=None, description="GraphiQL's files for the development explorer (default: ~/.cache/xueji-archive/explorer)"
    )

    def replace(self, **changes: object) -> Settings:
        """A validated copy with some values changed."""
        return type(self)(**{**self.model_dump(), **changes})

    @property
    def is_production(self) -> bool:
        return self.app_env is Environment.PRODUCTION

    @property
    def is_development(self) -> bool:
        return self.app_env is Environment.DEVELOPMENT

    @property
    def uses_embedded_services(self) -> bool:
        return self.mongodb_uri is None and self.s3_endpoint is None

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> Self:
        if self.is_development:
            return self
        problems: list[str] = []
        if self.jwt_algorithm is JwtAlgorithm.HS256:
            if self.app_env is Environment.PRODUCTION:
                problems.append("JWT_ALGORITHM must be RS256 or ES256 in production (public-key verification)")
            secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
            if len(secret.encode()) < MIN_SECRET_BYTES or secret.lower() in KNOWN_WEAK_SECRETS:
                problems.append(f"JWT_SECRET must be set to at least {MIN_SECRET_BYTES} random bytes")
        elif not self.jwt_public_key:
            problems.append("JWT_PUBLIC_KEY is required for RS256/ES256")
        if self.s3_endpoint is not None:
            s3_secret = self.s3_secret_key.get_secret_value() if self.s3_secret_key else ""
            if len(s3_secret) < 16 or s3_secret.lower() in KNOWN_WEAK_SECRETS:
                problems.append("S3_SECRET_KEY must be set to a non-default secret of 16+ characters")
        if self.s3_admin_access_key is not None or self.s3_admin_secret_key is not None:
            admin_secret = self.s3_admin_secret_key.get_secret_value() if self.s3_admin_secret_key else ""
            if not self.s3_admin_access_key:
                problems.append("S3_ADMIN_ACCESS_KEY must be set with S3_ADMIN_SECRET_KEY")
            if len(admin_secret) < 16 or admin_secret.lower() in KNOWN_WEAK_SECRETS:
                problems.append("S3_ADMIN_SECRET_KEY must be set to a non-default secret of 16+ characters")
        if problems:
            raise ValueError(f"refusing to start with APP_ENV={self.app_env.value}: " + "; ".join(problems))
        return self

    def audit_key(self) -> Ed25519PrivateKey:
        """The checkpoint signing key: AUDIT_SIGNING_KEY, or in development one generated
        once per data dir. Outside development a missing key is refused."""
        if self.audit_signing_key is not None:
            pem = self.audit_signing_key.get_secret_value().encode()
        elif self.is_development:
            path = self.data_dir / "dev-audit-signing-key.pem"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(
                    Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
                )
                path.chmod(0o600)
            pem = path.read_bytes()
        else:
            raise ValueError("AUDIT_SIGNING_KEY (an Ed25519 private key in PEM) is required outside development")
        key = load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("AUDIT_SIGNING_KEY must be an Ed25519 private key")
        return key

    def with_jwt_secret_from_data_dir(self) -> Settings:
        """Development only: a signing secret generated once per data dir, shared by
        `scripts/serve` and `scripts/token`, so that no default secret exists anywhere."""
        if self.jwt_secret is not None or self.jwt_algorithm is not JwtAlgorithm.HS256:
            return self
        if not self.is_development:
            raise ValueError("JWT_SECRET is required outside development")
        path = self.data_dir / "dev-jwt-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return self.replace(jwt_secret=SecretStr(path.read_text().strip()))
