"""Bearer tokens: JWTs verified on every request (HS256 in development, RS256/ES256 with
a public key in production). The token only names the account, by the claim
JWT_ACCOUNT_CLAIM (`sub` unless the identity provider puts the login elsewhere, e.g.
`preferred_username`); role, scope, training and whether it is disabled are read from the
database on each request, so a disabled account's next request is refused.

The verification key is prepared once per settings (a PEM public key parsed once, not per
request) and one decoder is reused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from jwt.algorithms import get_default_algorithms

from starlette.requests import Request
from starlette.responses import Response

from api.errors import UNAUTHENTICATED_HEADERS, DatabaseUnavailable, http_error, is_database_unavailable
from api.settings import JwtAlgorithm, Settings
from application.session import Actor
from domain.accounts import Account
from domain.ports import AccountStore

# An identity provider's clock a little ahead or behind ours must not refuse fresh tokens.
CLOCK_SKEW = 30  # seconds
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud"]  # and the account claim


class InvalidToken(Exception):
    """Missing, malformed, unsigned, expired or otherwise unacceptable token."""


def _verification_key(settings: Settings) -> str:
    if settings.jwt_algorithm is JwtAlgorithm.HS256:
        if settings.jwt_secret is None:
            raise RuntimeError("no JWT secret configured")
        return settings.jwt_secret.get_secret_value()
    if not settings.jwt_public_key:
        raise RuntimeError("no JWT public key configured")
    return settings.jwt_public_key


class TokenVerifier:
    """Verifies `Authorization: Bearer …` headers against one configured key."""

    def __init__(self, settings: Settings) -> None:
        self.algorithms = [settings.jwt_algorithm.value]  # never "none", never another family
        self.audience = settings.jwt_audience
        self.issuer = settings.jwt_issuer
        self.account_claim = settings.jwt_account_claim
        # Parsed and checked once: a key object for RS256/ES256, the secret's bytes for HS256.
        self.key: Any = get_default_algorithms()[settings.jwt_algorithm.value].prepare_key(_verification_key(settings))
        self.decoder = jwt.PyJWT(options={"require": [*REQUIRED_CLAIMS, self.account_claim]})

    def login(self, authorization: str | None) -> str:
        """The login named by a valid header."""
        if not authorization:
            raise InvalidToken("missing bearer token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("expected 'Authorization: Bearer <token>'")
        try:
            claims = self.decoder.decode(
                token.strip(), self.key, algorithms=self.algorithms, audience=self.audience, issuer=self.issuer,
                leeway=CLOCK_SKEW,
            )
        except jwt.PyJWTError as e:
            raise InvalidToken(str(e)) from e
        login = claims[self.account_claim]
        if not isinstance(login, str) or not login:
            raise InvalidToken(f"the token's {self.account_claim!r} claim names no account")
        return login


def mint_token(settings: Settings, login: str, *, ttl: timedelta | None = None) -> str:
    """Issue a token (development and tests; production tokens come from the identity provider,
    or from here when JWT_PRIVATE_KEY is configured)."""
    now = datetime.now(UTC)
    claims = {
        "sub": login,
        settings.jwt_account_claim: login,
        "iat": now,
        "nbf": now,
        "exp": now + (ttl or timedelta(minutes=settings.jwt_ttl_minutes)),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    if settings.jwt_algorithm is JwtAlgorithm.HS256:
        key = _verification_key(settings)
    elif settings.jwt_private_key is not None:
        key = settings.jwt_private_key.get_secret_value()
    else:
        raise RuntimeError("minting RS256/ES256 tokens needs JWT_PRIVATE_KEY")
    return jwt.encode(claims, key, algorithm=settings.jwt_algorithm.value)


class Authenticator:
    """The enabled account named by a valid bearer token, or InvalidToken; the account is
    read within the database timeout, else DatabaseUnavailable."""

    def __init__(self, settings: Settings) -> None:
        self.verifier = TokenVerifier(settings)
        self.timeout = settings.mongodb_timeout_ms / 1000

    async def caller(self, request: Request, accounts: AccountStore) -> Actor | Response:
        """The caller of a plain HTTP route (uploads, downloads) as the audit trail names it,
        or the 401 response to send."""
        try:
            account = await self(request.headers.get("authorization"), accounts)
        except InvalidToken as e:
            return http_error(401, "UNAUTHENTICATED", f"invalid token: {e}", headers=UNAUTHENTICATED_HEADERS)
        client = request.client
        return Actor(account, request.state.request_id, client.host if client else None, request.headers.get("user-agent"))

    async def __call__(self, authorization: str | None, accounts: AccountStore) -> Account:
        login = self.verifier.login(authorization)
        try:
            async with asyncio.timeout(self.timeout):
                account = await accounts.get(login)
        except Exception as e:
            if isinstance(e, TimeoutError) or is_database_unavailable(e):
                raise DatabaseUnavailable(f"the account lookup failed: {type(e).__name__}") from e
            raise
        if account is None or account.disabled:
            raise InvalidToken("unknown or disabled account")
        return account
