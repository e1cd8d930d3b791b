"""Bearer tokens are verified on every request (R-A4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from api.auth import CLOCK_SKEW
from api.settings import Settings
from tests.support import GraphQLClient

VIEWER = "{ viewer { login role } }"


def _post(http: httpx.Client, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return http.post("/graphql", json={"query": VIEWER}, headers=headers)


def _claims(settings: Settings, **over: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": "jinshui.dept",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def _secret(settings: Settings) -> str:
    assert settings.jwt_secret is not None
    return settings.jwt_secret.get_secret_value()


def test_valid_token_names_the_viewer(gql: GraphQLClient) -> None:
    assert gql(VIEWER, as_="jinshui.dept")["viewer"] == {"login": "jinshui.dept", "role": "COUNTY_DEPARTMENT"}


def test_missing_token_is_401(http: httpx.Client) -> None:
    response = _post(http, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in response.json()


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda s: "not-a-jwt", id="garbage"),
        pytest.param(lambda s: jwt.encode(_claims(s), "another-secret-of-enough-length-123456", "HS256"), id="wrong-key"),
        pytest.param(lambda s: jwt.encode(_claims(s), "", "none"), id="unsigned"),
        pytest.param(
            lambda s: jwt.encode(_claims(s, exp=datetime.now(UTC) - timedelta(seconds=CLOCK_SKEW + 5)), _secret(s), "HS256"),
            id="expired",
        ),
        pytest.param(lambda s: jwt.encode(_claims(s, aud="someone-else"), _secret(s), "HS256"), id="wrong-audience"),
        pytest.param(lambda s: jwt.encode(_claims(s, iss="elsewhere"), _secret(s), "HS256"), id="wrong-issuer"),
        pytest.param(lambda s: jwt.encode(_claims(s, exp=None), _secret(s), "HS256"), id="no-expiry"),
        pytest.param(lambda s: jwt.encode(_claims(s, sub="nobody.here"), _secret(s), "HS256"), id="unknown-account"),
    ],
)
def test_bad_tokens_are_401(http: httpx.Client, settings: Settings, make_token) -> None:  # type: ignore[no-untyped-def]
    response = _post(http, make_token(settings))
    assert response.status_code == 401, response.text
    assert "data" not in response.json()


def test_a_token_from_a_clock_a_little_ahead_is_accepted(http: httpx.Client, settings: Settings) -> None:
    """An identity provider's clock some seconds ahead issues tokens "in the future" (iat);
    they are accepted within CLOCK_SKEW, and refused beyond it once expired."""
    ahead = datetime.now(UTC) + timedelta(seconds=10)
    token = jwt.encode(_claims(settings, iat=ahead, exp=ahead + timedelta(minutes=5)), _secret(settings), "HS256")
    assert _post(http, token).status_code == 200


def test_disabled_account_is_401(http: httpx.Client, gql: GraphQLClient, db) -> None:  # type: ignore[no-untyped-def]
    db.accounts.insert_one(
        {"_id": "gone.registrar", "name": "离岗管理员", "role": "SCHOOL_REGISTRAR", "scope_code": "2141078101", "disabled": True}
    )
    assert _post(http, gql.token("gone.registrar")).status_code == 401


def test_token_for_a_good_account_signed_with_the_right_key_but_other_algorithm_is_401(
    http: httpx.Client, settings: Settings
) -> None:
    token = jwt.encode(_claims(settings), _secret(settings), "HS512")
    assert _post(http, token).status_code == 401
