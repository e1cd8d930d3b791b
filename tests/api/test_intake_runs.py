"""Intake runs under the conditions a deployment meets: the uploader disabled half-way, a
later run taking the job over, and a dossier made elsewhere under a request id that imitates
an intake row's. Each test drives runs itself, on a deployment of its own (disabling the demo
registrar must not touch the shared one)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.app import s3_client, stores_of
from application import intake
from application.session import Actor, Session, Stores
from domain.intake import INTAKE_COLUMNS, IntakeOutcome, IntakeState
from domain.ports import Stamp
from storage.embedded import Endpoints
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect
from storage.spreadsheets import read_table
from tests.api.test_intake import WEIWU, row, workbook
from tests.factories import ENROL, enrolment
from tests.support import ApiServer, GraphQLClient, settings_for

FAST = timedelta(milliseconds=300)  # heartbeats every 100 ms


@pytest.fixture(scope="module")
def own_api(endpoints: Endpoints) -> Iterator[ApiServer]:
    server = ApiServer(settings_for(endpoints)).start()
    yield server
    server.stop()


@asynccontextmanager
async def opened(server: ApiServer) -> AsyncIterator[Stores]:
    settings = server.settings
    assert settings.mongodb_uri is not None
    client = connect(settings.mongodb_uri)
    try:
        yield stores_of(Collections.of(client[settings.mongodb_database]), EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket))
    finally:
        await client.close()


async def started(stores: Stores, rows: list[dict[str, Any]]) -> str:
    data = workbook(rows)
    account = await stores.accounts.get("weiwu.registrar")
    assert account is not None
    job, _ = await intake.start(
        Session.open(Actor(account, "test-upload"), stores), WEIWU, "a.xlsx", hashlib.sha256(data).hexdigest(), read_table(data, INTAKE_COLUMNS, max_rows=500)
    )
    return job.id


async def until_results(stores: Stores, job_id: str, count: int) -> None:
    while len(await stores.intake.results(job_id)) < count:
        await asyncio.sleep(0.005)


def test_disabling_the_uploader_stops_the_job_at_its_next_row(own_api: ApiServer) -> None:
    async def scenario() -> tuple[int, int, IntakeState]:
        async with opened(own_api) as stores:
            job_id = await started(stores, [row() for _ in range(80)])
            run = asyncio.create_task(intake.run(stores, job_id, stale_after=FAST, concurrency=4))
            await until_results(stores, job_id, 10)
            await stores.accounts.set_disabled("weiwu.registrar", True, Stamp("jinshui.dept", "test-disable"), reason="left the school")
            at_disable = len(await stores.intake.results(job_id))
            assert await run
            after = len(await stores.intake.results(job_id))
            job = await stores.intake.get(job_id)
            assert job is not None
            await stores.accounts.set_disabled("weiwu.registrar", False, Stamp("jinshui.dept", "test-enable"), reason="back")
            return at_disable, after, job.state

    at_disable, after, state = asyncio.run(scenario())
    assert state is IntakeState.STOPPED
    assert after <= at_disable + 4  # at most the rows already past their account check
    assert after < 80


def test_a_run_whose_lease_was_taken_over_stops_taking_rows(own_api: ApiServer) -> None:
    async def scenario() -> tuple[bool, int, IntakeState]:
        async with opened(own_api) as stores:
            job_id = await started(stores, [row() for _ in range(80)])
            run = asyncio.create_task(intake.run(stores, job_id, stale_after=FAST, concurrency=2))
            await until_results(stores, job_id, 5)
            assert await stores.intake.claim_run(job_id, 2, datetime.now(UTC))  # another process took it over
            ran = await run
            processed = len(await stores.intake.results(job_id))
            job = await stores.intake.get(job_id)
            assert job is not None
            return ran, processed, job.state

    ran, processed, state = asyncio.run(scenario())
    assert ran and state is IntakeState.RUNNING and processed < 80  # left to the later run


def test_a_dossier_made_elsewhere_under_an_intake_like_request_id_is_not_taken_for_the_rows(own_api: ApiServer) -> None:
    """Request ids come from clients (X-Request-Id); an interrupted row is recognised only by
    a dossier its own uploader created at its own school."""
    rows = [row(id_kind="无", id_number="")]
    sha = hashlib.sha256(workbook(rows)).hexdigest()
    with httpx.Client(base_url=own_api.base_url, timeout=30) as http:
        gql = GraphQLClient(http, own_api.settings)
        response = http.post(
            "/graphql", json={"query": ENROL, "variables": {"input": enrolment("2141010201")}},
            headers={"Authorization": f"Bearer {gql.token('funiu.registrar')}", "X-Request-Id": f"intake-{sha[:16]}-2"},
        )
        assert response.json()["data"]["enrollStudent"]["__typename"] == "EnrollStudentSuccess"
        spoofed = response.json()["data"]["enrollStudent"]["student"]["number"]

    async def scenario() -> list[Any]:
        async with opened(own_api) as stores:
            job_id = await started(stores, rows)
            assert await stores.intake.claim_rows(job_id, [2], 1) == [True]  # as a run that then died
            await stores.intake.claim_run(job_id, 1, datetime.now(UTC) - timedelta(hours=1))
            await intake.run(stores, job_id, stale_after=FAST, concurrency=1)
            return await stores.intake.results(job_id)

    (result,) = asyncio.run(scenario())
    assert result.outcome is IntakeOutcome.ENROLLED and result.number != spoofed
