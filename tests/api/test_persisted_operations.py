"""Persisted operations (trusted documents) through HTTP: the admin registers documents,
clients call them by `documentId`, and PERSISTED_OPERATIONS=only refuses text."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.settings import Settings
from domain.persisted import document_hash
from tests.support import ApiServer, GraphQLClient

REGISTER = """
mutation Register($documents: [PersistedOperationInput!]!) {
  registerPersistedOperations(input: { documents: $documents }) {
    __typename
    ... on RegisterPersistedOperationsSuccess {
      registered
      alreadyRegistered
      operations { documentId operationNames registeredBy new }
    }
    ... on RegisterPersistedOperationsError { code field message }
  }
}
"""

SCHOOL = "query School($code: String!) { school(code: $code) { code name } }"
SCHOOL_ID = "sha256:" + document_hash(SCHOOL)


def register(gql: GraphQLClient, documents: list[dict[str, str]], *, as_: str = "admin") -> dict[str, Any]:
    result: dict[str, Any] = gql(REGISTER, {"documents": documents}, as_=as_)["registerPersistedOperations"]
    return result


def by_id(http: httpx.Client, gql: GraphQLClient, body: dict[str, Any], *, as_: str = "jinshui.dept") -> httpx.Response:
    return http.post("/graphql", json=body, headers={"Authorization": f"Bearer {gql.token(as_)}"})


@pytest.fixture(scope="module")
def registered(api: ApiServer) -> str:
    """SCHOOL registered once for the module, by the admin."""
    with httpx.Client(base_url=api.base_url, timeout=30) as http:
        result = register(GraphQLClient(http, api.settings), [{"hash": SCHOOL_ID, "document": SCHOOL}])
    assert result["__typename"] == "RegisterPersistedOperationsSuccess", result
    return SCHOOL_ID


def test_a_registered_document_runs_by_its_id_with_the_same_answer_as_its_text(
    registered: str, http: httpx.Client, gql: GraphQLClient
) -> None:
    variables = {"code": "2141010501"}
    as_text = gql(SCHOOL, variables, as_="jinshui.dept")
    for _ in range(3):  # the first request by id fills the cache; the next ones use it
        response = by_id(http, gql, {"documentId": registered, "variables": variables, "operationName": "School"})
        assert response.status_code == 200, response.text
        assert response.json() == {"data": as_text}
    apollo = {"variables": variables, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": registered.removeprefix("sha256:")}}}
    assert by_id(http, gql, apollo).json() == {"data": as_text}
    # Scope still applies: the same document answers null outside the caller's scope.
    assert by_id(http, gql, {"documentId": registered, "variables": variables}, as_="funiu.registrar").json() == {"data": {"school": None}}


def test_registration_is_idempotent_and_never_replaces_a_text(registered: str, gql: GraphQLClient, db: Any) -> None:
    again = register(gql, [{"hash": registered, "document": SCHOOL}])
    assert again["registered"] == 0 and again["alreadyRegistered"] == 1
    assert again["operations"] == [{"documentId": registered, "operationNames": ["School"], "registeredBy": "admin", "new": False}]
    stored = db.persisted_operations.find_one({"_id": registered.removeprefix("sha256:")})
    assert stored["document"] == SCHOOL and stored["registered_by"] == "admin"


def test_an_unknown_id_is_refused_with_a_stable_code(http: httpx.Client, gql: GraphQLClient) -> None:
    for document_id in ("sha256:" + "0" * 64, "not-a-hash"):
        response = by_id(http, gql, {"documentId": document_id, "variables": {}})
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_a_hash_that_is_not_the_documents_sha256_is_refused_and_nothing_is_stored(gql: GraphQLClient, db: Any) -> None:
    good = "query Viewer { viewer { login } }"
    tampered = "query Viewer { viewer { login role } }"
    result = register(gql, [{"hash": "sha256:" + document_hash(good), "document": good},
                            {"hash": "sha256:" + document_hash(good), "document": tampered}])
    assert result["__typename"] == "RegisterPersistedOperationsError"
    assert (result["code"], result["field"]) == ("HASH_MISMATCH", "documents[1].hash")
    assert db.persisted_operations.count_documents({"_id": document_hash(good)}) == 0  # all or nothing


def test_a_document_invalid_against_the_schema_is_refused(gql: GraphQLClient) -> None:
    for text in ("query { noSuchField }", "query {", "fragment F on Viewer { login }"):
        result = register(gql, [{"hash": document_hash(text), "document": text}])
        assert (result["__typename"], result["code"], result["field"]) == (
            "RegisterPersistedOperationsError", "INVALID_DOCUMENT", "documents[0].document"
        ), result


def test_only_the_admin_registers_and_every_attempt_is_audited(gql: GraphQLClient, db: Any) -> None:
    text = "query Areas { areas { code name } }"
    entry = {"hash": "sha256:" + document_hash(text), "document": text}
    refused = register(gql, [entry], as_="henan.dept")
    assert (refused["__typename"], refused["code"]) == ("RegisterPersistedOperationsError", "PERMISSION_DENIED")
    assert db.persisted_operations.count_documents({"_id": document_hash(text)}) == 0
    assert register(gql, [entry])["registered"] == 1
    events = list(db.audit_events.find({"action": "mutation:registerPersistedOperations"}))
    assert any(e["actor"] == "henan.dept" and e["outcome"] == "PERMISSION_DENIED" for e in events)
    accepted = [e for e in events if e["actor"] == "admin" and e["details"].get("registered") == [entry["hash"]]]
    assert len(accepted) == 1 and accepted[0]["outcome"] == "ok" and accepted[0]["request_id"]


@pytest.fixture(scope="module")
def strict_api(api: ApiServer, registered: str) -> Iterator[ApiServer]:
    """A second API on the same database with PERSISTED_OPERATIONS=only."""
    server = ApiServer(api.settings.replace(persisted_operations="only")).start(seed=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def text_only_api(api: ApiServer) -> Iterator[ApiServer]:
    server = ApiServer(api.settings.replace(persisted_operations="off")).start(seed=False)
    yield server
    server.stop()


def _post(server: ApiServer, settings: Settings, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        return by_id(http, GraphQLClient(http, settings), body)


def test_only_mode_refuses_text_and_serves_registered_documents(strict_api: ApiServer, registered: str) -> None:
    refused = _post(strict_api, strict_api.settings, {"query": SCHOOL, "variables": {"code": "2141010501"}})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    served = _post(strict_api, strict_api.settings, {"documentId": registered, "variables": {"code": "2141010501"}})
    assert served.status_code == 200 and served.json()["data"]["school"]["code"] == "2141010501"


def test_off_mode_refuses_document_ids(text_only_api: ApiServer, registered: str) -> None:
    refused = _post(text_only_api, text_only_api.settings, {"documentId": registered, "variables": {"code": "2141010501"}})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


def test_the_admin_command_registers_a_client_preset_manifest(api: ApiServer, gql: GraphQLClient, db: Any, tmp_path: Path) -> None:
    first = "query Me { viewer { login role } }"
    second = "query MyAreas { areas { code } }"
    manifest = {"sha256:" + document_hash(first): first, "sha256:" + document_hash(second): second}
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps(manifest))
    command = [sys.executable, "-m", "scripts.admin_cmd", "register-operations", str(path),
               "--url", f"{api.base_url}/graphql", "--token", gql.token("admin")]
    env = {"PATH": "/usr/bin:/bin", "APP_ENV": "test", "JWT_SECRET": "x" * 40}  # the token is given; the secret is unused
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "2 registered, 0 already registered" in done.stdout
    assert db.persisted_operations.count_documents({"_id": document_hash(first)}) == 1

    path.write_text(json.dumps({"sha256:" + document_hash(first): second}))
    refused = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode == 1 and "HASH_MISMATCH" in refused.stderr
