"""What operators get: crash logs with the traceback and the request id the user quotes,
expected refusals kept out of the error level and free of query text and personal data,
bounded metric labels, and metrics that only the scraper reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from api.auth import mint_token
from api.settings import Settings
from storage.embedded import free_port
from tests.logs import LogCapture
from tests.support import ApiServer, GraphQLClient

BROKEN_SCHOOL = "2141019999"


@pytest.fixture
def broken_school(db: Any) -> Iterator[str]:
    """A school document the code cannot read (an unknown kind): reading it fails inside a resolver."""
    db.schools.insert_one(
        {
            "_id": BROKEN_SCHOOL,
            "name": "数据损坏学校",
            "kind": "NOT_A_KIND",
            "ownership": "PUBLIC",
            "area_code": "410105",
            "city_code": "410100",
            "province_code": "410000",
            "supervisor_code": "410105",
            "version": 1,
        }
    )
    yield BROKEN_SCHOOL
    db.schools.delete_one({"_id": BROKEN_SCHOOL})


def test_an_internal_error_in_a_resolver_is_masked_and_logged_with_traceback_and_request_id(
    gql: GraphQLClient, logs: LogCapture, broken_school: str
) -> None:
    response = gql.post('query($c: String!) { school(code: $c) { name } }', {"c": broken_school}, as_="henan.dept",
                        headers={"X-Request-ID": "crash-in-resolver-1"})
    assert "errors" in response.json(), response.text
    error = response.json()["errors"][0]
    assert error["message"] == "internal error; quote the request id"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert response.headers["x-request-id"] == "crash-in-resolver-1"
    lines = logs.request_done("crash-in-resolver-1")
    crash = [line for line in lines if line["level"] == "error"]
    assert len(crash) == 1
    assert crash[0]["exception"].startswith("Traceback (most recent call last):")
    assert "NOT_A_KIND" in crash[0]["exception"] and "traceback object" not in str(crash[0])


def test_an_internal_error_outside_graphql_is_json_500_logged_with_traceback_and_request_id(
    http: httpx.Client, settings: Settings, logs: LogCapture, db: Any
) -> None:
    db.accounts.insert_one({"_id": "broken.role", "name": "坏角色", "role": "NOT_A_ROLE", "scope_code": None})
    try:
        http.get("/healthz", headers={"X-Request-ID": "an-earlier-request"})
        for path in ("/graphql", "/uploads?student=G1&kind=HOUSEHOLD_REGISTER"):
            request_id = f"crash-outside-{path[1:4]}"
            response = http.post(
                path,
                json={"query": "{ viewer { login } }"},
                headers={"Authorization": f"Bearer {mint_token(settings, 'broken.role')}", "X-Request-ID": request_id},
            )
            assert response.status_code == 500
            assert response.headers["x-request-id"] == request_id
            body = response.json()
            code = body["errors"][0]["extensions"]["code"] if path == "/graphql" else body["error"]["code"]
            assert code == "INTERNAL_SERVER_ERROR"
            crash = [line for line in logs.request_done(request_id) if line["level"] == "error"]
            assert len(crash) == 1 and "NOT_A_ROLE" in crash[0]["exception"]
            assert crash[0]["exception"].startswith("Traceback (most recent call last):")
        assert not [line for line in logs.lines if line.get("level") == "error" and line.get("request_id") not in
                    ("crash-outside-gra", "crash-outside-upl")]
    finally:
        db.accounts.delete_one({"_id": "broken.role"})


SECRET_NAME = "张秘密"
SECRET_ID = "410105201909010011"


@pytest.mark.parametrize(
    ("login", "request_body", "code"),
    [
        pytest.param("henan.dept", {"query": "{ viewer { login nope } }  # " + SECRET_NAME}, "GRAPHQL_VALIDATION_FAILED", id="validation"),
        pytest.param(
            "henan.dept",
            {"query": 'query($d: Date!) { duplicateCandidates(probe: {name: "' + SECRET_NAME + '", birthDate: $d, sex: MALE}) { name } }',
             "variables": {"d": SECRET_ID}},
            "BAD_USER_INPUT",
            id="bad-variable",
        ),
        pytest.param("henan.dept", {"query": '{ student(number: "' + SECRET_ID + 'X") { number } }'}, "BAD_USER_INPUT", id="bad-argument"),
        pytest.param("jinshui.dept", {"query": "{ auditEvents { totalCount } }  # " + SECRET_NAME}, "FORBIDDEN", id="forbidden"),
        pytest.param(None, {"query": "{ viewer { login } }  # " + SECRET_NAME}, "UNAUTHENTICATED", id="unauthenticated"),
    ],
)
def test_expected_refusals_are_logged_at_info_without_query_or_personal_data(
    http: httpx.Client, settings: Settings, logs: LogCapture, login: str | None, request_body: dict[str, Any], code: str
) -> None:
    headers = {"Authorization": f"Bearer {mint_token(settings, login)}"} if login else {}
    response = http.post("/graphql", json=request_body, headers=headers)
    assert response.json()["errors"][0]["extensions"]["code"] == code, response.text
    request_id = response.headers["x-request-id"]
    lines = logs.request_done(request_id)
    assert {line["level"] for line in lines} <= {"info"}, lines
    text = "\n".join(t for t in logs.texts if request_id in t)
    assert SECRET_NAME not in text and SECRET_ID not in text and "query" not in text


def test_metric_labels_are_bounded(http: httpx.Client) -> None:
    for method in ("FOOBAR", "PROPFIND", "get"):
        http.request(method, "/healthz")
    http.get("/no/such/path/12345")
    text = http.get("/metrics").text
    assert 'http_requests_total{method="OTHER",route="/healthz",status="405"}' in text
    assert "FOOBAR" not in text and "PROPFIND" not in text and 'method="get"' not in text
    assert "12345" not in text and 'route="other"' in text


def test_metrics_behind_a_token(settings: Settings) -> None:
    token = "metrics-" + "x" * 32
    server = ApiServer(settings.replace(metrics_token=SecretStr(token))).start(seed=False)
    try:
        with httpx.Client(base_url=server.base_url) as client:
            refused = client.get("/metrics")
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "UNAUTHENTICATED"
            assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
            served = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            assert served.status_code == 200 and "http_requests_total" in served.text
    finally:
        server.stop()


def test_metrics_on_their_own_port(settings: Settings) -> None:
    port = free_port()
    server = ApiServer(settings.replace(metrics_port=port)).start(seed=False)
    try:
        with httpx.Client(base_url=server.base_url) as client:
            client.get("/healthz")
            assert client.get("/metrics").status_code == 404
        served = httpx.get(f"http://127.0.0.1:{port}/metrics")
        assert served.status_code == 200
        assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in served.text
    finally:
        server.stop()
