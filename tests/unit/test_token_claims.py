"""Which claim names the account (JWT_ACCOUNT_CLAIM), with an RS256 key pair made here, and
what `mint_token` (scripts/token) puts in a token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from pydantic import SecretStr, ValidationError

from api.auth import InvalidToken, TokenVerifier, mint_token
from api.settings import Settings

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE = KEY.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
PUBLIC = KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def settings(claim: str | None = None) -> Settings:
    base = Settings(app_env="test", jwt_algorithm="RS256", jwt_public_key=PUBLIC, jwt_private_key=SecretStr(PRIVATE))
    return base if claim is None else base.replace(jwt_account_claim=claim)


def signed(**claims: object) -> str:
    now = datetime.now(UTC)
    body = {"iss": "xueji-archive", "aud": "xueji-api", "iat": now, "exp": now + timedelta(minutes=5), **claims}
    return "Bearer " + jwt.encode(body, PRIVATE, algorithm="RS256")


def test_sub_names_the_account_by_default() -> None:
    verifier = TokenVerifier(settings())
    assert settings().jwt_account_claim == "sub"
    assert verifier.login(signed(sub="jinshui.dept")) == "jinshui.dept"
    with pytest.raises(InvalidToken):
        verifier.login(signed(preferred_username="jinshui.dept"))


def test_a_configured_claim_names_the_account_and_must_be_there() -> None:
    verifier = TokenVerifier(settings("preferred_username"))
    assert verifier.login(signed(sub="5d1e-opaque", preferred_username="jinshui.dept")) == "jinshui.dept"
    for claims in ({"sub": "jinshui.dept"}, {"preferred_username": ""}, {"preferred_username": 7}):
        with pytest.raises(InvalidToken):
            verifier.login(signed(**claims))


def test_minted_tokens_carry_the_login_in_sub_and_in_the_configured_claim() -> None:
    configured = settings("upn")
    token = mint_token(configured, "weiwu.registrar")
    claims = jwt.decode(token, PUBLIC, algorithms=["RS256"], audience="xueji-api")
    assert claims["sub"] == claims["upn"] == "weiwu.registrar"
    assert TokenVerifier(configured).login(f"Bearer {token}") == "weiwu.registrar"


def test_the_claim_is_read_from_the_environment_and_never_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_ACCOUNT_CLAIM", "preferred_username")
    assert settings().jwt_account_claim == "preferred_username"
    with pytest.raises(ValidationError):
        settings("")
