"""Bearer tokens: JWTs verified on every request (HS256 in development, RS256/ES256 with
a public key in production). The token only names the account; role, scope, training
and whether it is disabled are read from the database on each request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from starlette.responses import JSONResponse, Response

from api.settings import JwtAlgorithm, Settings
from domain.accounts import Account
from domain.ports import AccountStore


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


def verify_token(settings: Settings, authorization: str | None) -> str:
    """Return the login named by a valid `Authorization: Bearer …` header."""
    if not authorization:
        raise InvalidToken("missing bearer token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("expected 'Authorization: Bearer <token>'")
    try:
        claims = jwt.decode(
            token.strip(),
            _verification_key(settings),
            algorithms=[settings.jwt_algorithm.value],  # never "none", never another family
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as e:
        raise InvalidToken(str(e)) from e
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("token has no subject")
    return subject


def mint_token(settings: Settings, login: str, *, ttl: timedelta | None = None) -> str:
    """Issue a token (development and tests; production tokens come from the identity provider,
    or from here when JWT_PRIVATE_KEY is configured)."""
    now = datetime.now(UTC)
    claims = {
        "sub": login,
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


async def authenticate(settings: Settings, authorization: str | None, accounts: AccountStore) -> Account:
    """The enabled account named by a valid bearer token, or InvalidToken."""
    login = verify_token(settings, authorization)
    account = await accounts.get(login)
    if account is None or account.disabled:
        raise InvalidToken("unknown or disabled account")
    return account


def unauthenticated(reason: str) -> Response:
    return JSONResponse(
        {"errors": [{"message": reason, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
