"""Tokens from an external identity provider (R-A4): ES256-signed with a key pair made here,
the account named by the configured claim (JWT_ACCOUNT_CLAIM) rather than `sub`, issuer
and audience checked; a token whose claim names an unknown or disabled account is 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from api.settings import JwtAlgorithm
from storage.embedded import Endpoints
from tests.support import ApiServer, settings_for

ISSUER = "https://idp.example.edu.cn/realms/henan"
AUDIENCE = "xueji-api"
CLAIM = "preferred_username"
VIEWER = {"query": "{ viewer { login role } }"}


IDP_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_PEM = IDP_KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def idp_api(endpoints: Endpoints) -> Iterator[ApiServer]:
    settings = settings_for(
        endpoints, jwt_algorithm=JwtAlgorithm.ES256, jwt_secret=None, jwt_public_key=PUBLIC_PEM.decode(),
        jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_account_claim=CLAIM,
    )
    server = ApiServer(settings).start()
    yield server
    server.stop()


@pytest.fixture
def http(idp_api: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=idp_api.base_url, timeout=60) as client:
        yield client


def token(key: Any = IDP_KEY, **claims: Any) -> str:
    """A token as the identity provider issues it: `sub` is its own opaque user id."""
    now = datetime.now(UTC)
    body = {"sub": "f3b1c9e0-user-uuid", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + timedelta(minutes=5), **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm="ES256")


def hs256_with_the_public_key(**claims: Any) -> str:
    """The algorithm-confusion forgery: HS256 keyed with the (public) verification key."""

    def part(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    now = int(datetime.now(UTC).timestamp())
    body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300, **claims}
    signed = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + b"." + part(json.dumps(body).encode())
    return (signed + b"." + part(hmac.new(PUBLIC_PEM, signed, hashlib.sha256).digest())).decode()


def post(http: httpx.Client, bearer: str, body: dict[str, Any] = VIEWER) -> httpx.Response:
    return http.post("/graphql", json=body, headers={"Authorization": f"Bearer {bearer}"})


def test_the_configured_claim_names_the_account(http: httpx.Client) -> None:
    answer = post(http, token(**{CLAIM: "jinshui.dept"}))
    assert answer.status_code == 200 and answer.json() == {"data": {"viewer": {"login": "jinshui.dept", "role": "COUNTY_DEPARTMENT"}}}


@pytest.mark.parametrize(
    "bearer",
    [
        pytest.param(lambda: token(sub="jinshui.dept"), id="login-in-sub-only"),
        pytest.param(lambda: token(**{CLAIM: "nobody.known"}), id="unknown-account"),
        pytest.param(lambda: token(**{CLAIM: ""}), id="empty-claim"),
        pytest.param(lambda: token(**{CLAIM: ["jinshui.dept"]}), id="claim-not-a-string"),
        pytest.param(lambda: token(OTHER_KEY, **{CLAIM: "jinshui.dept"}), id="another-key"),
        pytest.param(lambda: token(iss="https://elsewhere.example", **{CLAIM: "jinshui.dept"}), id="wrong-issuer"),
        pytest.param(lambda: token(aud="another-api", **{CLAIM: "jinshui.dept"}), id="wrong-audience"),
        pytest.param(lambda: token(iat=None, **{CLAIM: "jinshui.dept"}), id="no-issued-at"),
        pytest.param(lambda: hs256_with_the_public_key(**{CLAIM: "jinshui.dept"}), id="hs256-keyed-with-the-public-key"),
    ],
)
def test_tokens_that_name_no_enabled_account_are_401(http: httpx.Client, bearer: Any) -> None:
    answer = post(http, bearer())
    assert answer.status_code == 401, answer.text
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_disabled_account_is_401_from_its_next_request(http: httpx.Client) -> None:
    admin = token(**{CLAIM: "admin"})
    create = """mutation { createAccount(input: {login: "idp.auditor", name: "审计", role: AUDITOR, scopeCode: "410105"}) {
      __typename } }"""
    assert post(http, admin, {"query": create}).json()["data"]["createAccount"]["__typename"] == "CreateAccountSuccess"
    auditor = token(**{CLAIM: "idp.auditor"})
    assert post(http, auditor).status_code == 200
    disable = 'mutation { disableAccount(input: {login: "idp.auditor"}) { __typename } }'
    assert post(http, admin, {"query": disable}).json()["data"]["disableAccount"]["__typename"] == "DisableAccountSuccess"
    assert post(http, auditor).status_code == 401
