"""The HTTP surface: health, metrics, request ids, query limits, and the development-only
explorer / production-only restrictions."""

from __future__ import annotations

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from api.auth import mint_token
from api.settings import Settings
from tests.support import ApiServer, GraphQLClient


def test_healthz(http: httpx.Client) -> None:
    response = http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_when_both_answer(http: httpx.Client) -> None:
    response = http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"mongodb": "ok", "s3": "ok"}


def test_metrics_count_requests(http: httpx.Client) -> None:
    http.get("/healthz")
    text = http.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "http_request_duration_seconds_bucket" in text


def test_request_id_is_echoed_or_generated(http: httpx.Client) -> None:
    assert http.get("/healthz", headers={"x-request-id": "trace-12345678"}).headers["x-request-id"] == "trace-12345678"
    generated = http.get("/healthz", headers={"x-request-id": "bad id with spaces"}).headers["x-request-id"]
    assert generated != "bad id with spaces" and len(generated) == 32


def test_depth_limit(gql: GraphQLClient) -> None:
    nested = "code " + "parent { code " * 12 + "}" * 12
    errors = gql.errors(f'{{ school(code: "2141010501") {{ area {{ {nested} }} }} }}', as_="henan.dept")
    assert "exceeds maximum operation depth" in errors[0]["message"]


def test_alias_limit(gql: GraphQLClient) -> None:
    aliases = " ".join(f"a{i}: viewer {{ login }}" for i in range(16))
    errors = gql.errors(f"{{ {aliases} }}", as_="henan.dept")
    assert "aliases" in errors[0]["message"]


def test_token_limit(gql: GraphQLClient) -> None:
    fields = " ".join(["login"] * 4001)
    errors = gql.errors(f"{{ viewer {{ {fields} }} }}", as_="henan.dept")
    assert "token" in errors[0]["message"].lower()


def test_no_explorer_outside_development(http: httpx.Client) -> None:
    assert http.get("/graphql", headers={"accept": "text/html"}).status_code == 401


def test_development_serves_the_explorer(settings: Settings) -> None:
    dev = settings.replace(app_env="development")
    server = ApiServer(dev).start(seed=False)
    try:
        page = httpx.get(server.base_url + "/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
    finally:
        server.stop()


def test_production_verifies_es256_and_hides_introspection(settings: Settings) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    prod = settings.replace(
        app_env="production",
        jwt_algorithm="ES256",
        jwt_secret=None,
        jwt_public_key=public.decode(),
        jwt_private_key=SecretStr(private.decode()),
    )
    hs256_token = mint_token(settings, "henan.dept")
    server = ApiServer(prod).start(seed=False)
    with httpx.Client(base_url=server.base_url) as client:
        auth = {"Authorization": f"Bearer {mint_token(prod, 'henan.dept')}"}
        ok = client.post("/graphql", json={"query": "{ viewer { login } }"}, headers=auth)
        assert ok.json() == {"data": {"viewer": {"login": "henan.dept"}}}
        introspect = client.post("/graphql", json={"query": "{ __schema { types { name } } }"}, headers=auth).json()
        assert introspect.get("errors") and not introspect.get("data")
        forged = client.post("/graphql", json={"query": "{ viewer { login } }"}, headers={"Authorization": f"Bearer {hs256_token}"})
        assert forged.status_code == 401
        assert client.get("/graphql", headers={"accept": "text/html"}).status_code == 401
    server.stop()
