from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from api.logging import configure_logging
from api.settings import Settings
from storage.embedded import EmbeddedServices, Endpoints
from tests.logs import LogCapture
from tests.support import ApiServer, GraphQLClient, backing_services, settings_for


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The index coverage check runs last: it checks every query shape the whole session
    sent, so a test that ran after it would send shapes nobody checked."""
    items.sort(key=lambda item: item.path.name == "test_index_coverage.py")


@pytest.fixture(scope="session", autouse=True)
def json_logs() -> None:
    """The API logs as in production (JSON lines), before anything logs."""
    configure_logging("INFO")


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    yield capture
    root.removeHandler(capture)


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Endpoints, EmbeddedServices | None]]:
    with backing_services(tmp_path_factory.mktemp("services")) as found:
        yield found


@pytest.fixture(scope="session")
def endpoints(services: tuple[Endpoints, EmbeddedServices | None]) -> Endpoints:
    return services[0]


@pytest.fixture(scope="session")
def embedded(services: tuple[Endpoints, EmbeddedServices | None]) -> EmbeddedServices:
    """The session's embedded servers; tests that inspect them skip against external ones."""
    if services[1] is None:
        pytest.skip("inspects the embedded servers")
    return services[1]


@pytest.fixture(scope="session")
def api(endpoints: Endpoints) -> Iterator[ApiServer]:
    server = ApiServer(settings_for(endpoints)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def settings(api: ApiServer) -> Settings:
    return api.settings


@pytest.fixture
def http(api: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def gql(http: httpx.Client, settings: Settings) -> GraphQLClient:
    return GraphQLClient(http, settings)


@pytest.fixture(scope="session")
def db(api: ApiServer) -> Iterator[Any]:
    """Direct access to the test database, for arranging state and checking what changed."""
    assert api.settings.mongodb_uri is not None
    client: MongoClient[dict[str, Any]] = MongoClient(api.settings.mongodb_uri, tz_aware=True)
    yield client[api.settings.mongodb_database]
    client.close()
