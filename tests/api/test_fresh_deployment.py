"""A production deployment from nothing, as the README tells an operator to bring one up:
`scripts/init_cmd` (bucket, indexes), `./scripts/serve` against existing servers (here the
test's MongoDB-protocol server and S3 store, as compose points it at MongoDB and MinIO; no
demo data), `./scripts/admin create-admin`, the official lists through `./scripts/admin
import-areas|import-schools`, tokens from `./scripts/token` with the identity provider's key,
then only documented mutations until a registrar has enrolled a child."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from storage.embedded import PROJECT_ROOT, Endpoints, free_port
from tests.factories import ENROL, enrolment

CREATE = """mutation($input: CreateAccountInput!) { createAccount(input: $input) {
  __typename ... on CreateAccountSuccess { account { login role scopeCode } } ... on CreateAccountError { code message } } }"""
TRAIN = """mutation($input: RecordRegistrarTrainingInput!) { recordRegistrarTraining(input: $input) {
  __typename ... on RecordRegistrarTrainingError { code message } } }"""


def pem_private(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


@pytest.fixture
def deployment(endpoints: Endpoints) -> dict[str, str]:
    """The environment of a production deployment on the test's servers, with its own
    database and bucket, an RS256 identity provider and an audit signing key."""
    idp = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    suffix = secrets.token_hex(4)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "APP_ENV": "production",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "MONGODB_URI": endpoints.mongodb_uri,
        "MONGODB_DATABASE": f"xueji_fresh_{suffix}",
        "S3_ENDPOINT": endpoints.s3_endpoint,
        "S3_ACCESS_KEY": endpoints.s3_access_key,
        "S3_SECRET_KEY": endpoints.s3_secret_key,
        "S3_SECURE": os.environ.get("S3_SECURE", "false"),
        "S3_EVIDENCE_BUCKET": f"xueji-fresh-{suffix}",
        "JWT_ALGORITHM": "RS256",
        "JWT_PUBLIC_KEY": idp.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode(),
        "JWT_PRIVATE_KEY": pem_private(idp),  # only ./scripts/token uses it, standing in for the identity provider
        "AUDIT_SIGNING_KEY": pem_private(ed25519.Ed25519PrivateKey.generate()),
        "METRICS_TOKEN": secrets.token_urlsafe(24),
    }


def script(env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PROJECT_ROOT / "scripts" / args[0]), *args[1:]], cwd=PROJECT_ROOT, env={**env, **extra}, capture_output=True, text=True, timeout=300)


@pytest.fixture
def serving(deployment: dict[str, str], endpoints: Endpoints) -> Iterator[httpx.Client]:
    init = subprocess.run(
        [sys.executable, "-m", "scripts.init_cmd"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
        env={**deployment, "S3_ADMIN_ACCESS_KEY": endpoints.s3_admin_access_key, "S3_ADMIN_SECRET_KEY": endpoints.s3_admin_secret_key},
    )
    assert init.returncode == 0, init.stderr
    server = subprocess.Popen([str(PROJECT_ROOT / "scripts" / "serve")], cwd=PROJECT_ROOT, env=deployment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{deployment['PORT']}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode() if server.stderr else ""
            time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=60) as http:
            yield http
    finally:
        server.terminate()
        server.wait(30)
        if server.stderr is not None:
            server.stderr.close()


def gql(http: httpx.Client, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = http.post("/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def test_from_nothing_to_a_registrar_enrolling_a_child(deployment: dict[str, str], serving: httpx.Client, tmp_path: Path) -> None:
    tokens: dict[str, str] = {}

    def token(login: str) -> str:
        if login not in tokens:
            minted = script(deployment, "token", login)
            assert minted.returncode == 0, minted.stderr
            tokens[login] = minted.stdout.strip()
        return tokens[login]

    # nothing exists: no account, so no token is accepted
    assert serving.post("/graphql", json={"query": "{ viewer { login } }"}, headers={"Authorization": f"Bearer {token('li.admin')}"}).status_code == 401
    refused = script(deployment, "admin", "create-admin")
    assert refused.returncode == 2  # no ADMIN_LOGIN / ADMIN_NAME: refused, nothing created
    created = script(deployment, "admin", "create-admin", ADMIN_LOGIN="li.admin", ADMIN_NAME="李管理")
    assert created.returncode == 0, created.stderr
    areas = tmp_path / "县级以上行政区划代码.csv"
    areas.write_text("行政区划代码,单位名称\n410000,河南省\n410100,郑州市\n410105,金水区\n", encoding="utf-8")
    schools = tmp_path / "学校名录.csv"
    schools.write_text("学校标识码,学校名称,办学类型,办学性质,所在地行政区划代码\n2141010501,郑州市金水区纬五路第一小学,小学,公办,410105\n", encoding="gb18030")
    for command, path in (("import-areas", areas), ("import-schools", schools)):
        loaded = script(deployment, "admin", command, str(path))
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr

    admin = token("li.admin")
    assert gql(serving, admin, "{ viewer { login role } }", {})["viewer"] == {"login": "li.admin", "role": "ADMIN"}
    county = {"login": "jinshui.dept", "name": "金水区教育局学籍股", "role": "COUNTY_DEPARTMENT", "scopeCode": "410105"}
    assert gql(serving, admin, CREATE, {"input": county})["createAccount"]["__typename"] == "CreateAccountSuccess"
    registrar = {"login": "weiwu.registrar", "name": "纬五路一小学籍管理员", "role": "SCHOOL_REGISTRAR", "scopeCode": "2141010501"}
    assert gql(serving, token("jinshui.dept"), CREATE, {"input": registrar})["createAccount"]["__typename"] == "CreateAccountSuccess"
    child = enrolment("2141010501")
    untrained = gql(serving, token("weiwu.registrar"), ENROL, {"input": child})["enrollStudent"]
    assert untrained["code"] == "REGISTRAR_NOT_TRAINED"  # Art. 22: trained before writing
    trained = gql(serving, token("jinshui.dept"), TRAIN, {"input": {"login": "weiwu.registrar", "completedOn": date.today().isoformat()}})
    assert trained["recordRegistrarTraining"]["__typename"] == "RecordRegistrarTrainingSuccess", trained
    enrolled = gql(serving, token("weiwu.registrar"), ENROL, {"input": child})["enrollStudent"]
    assert enrolled["__typename"] == "EnrollStudentSuccess", enrolled
    assert enrolled["student"]["school"] == {"code": "2141010501"}
