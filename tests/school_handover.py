"""Test support for school mergers and closures: the GraphQL documents, a school filled
with a few hundred dossiers through the bulk import path, and reading a bag back."""

from __future__ import annotations

import asyncio
import io
import tarfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from api.app import s3_client, stores_of
from application.session import Actor, Session, Stores
from domain.dossier import Dossier, StudentState
from domain.identity import IdDocKind, parse_id_document
from domain.ports import Change, Stamp
from domain.student_number import permanent_number
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect
from storage.placement import SchoolPlacement
from storage.students import StudentRepository
from storage.transitions import TransitionLog
from tests.factories import ENROL, enrolment, resident_id
from tests.support import ApiServer, GraphQLClient

HANDOVER = """fragment H on SchoolHandover { id kind state senderCode receiverCode legalBasis effectiveOn recordedBy
  dossiers documents evidenceObjects bag { sha256 size manifestSha256 }
  verification { by valid problems } acknowledgement { by manifestSha256 } }"""
MERGE = """mutation($input: RecordSchoolMergerInput!) { recordSchoolMerger(input: $input) { __typename
  ... on RecordSchoolMergerSuccess { handover { ...H } } ... on RecordSchoolMergerError { field message code } } }""" + HANDOVER
CLOSE = """mutation($input: RecordSchoolClosureInput!) { recordSchoolClosure(input: $input) { __typename
  ... on RecordSchoolClosureSuccess { handover { ...H } } ... on RecordSchoolClosureError { field message code } } }""" + HANDOVER
VERIFY = """mutation($id: ID!) { verifySchoolHandover(input: {id: $id}) { __typename
  ... on VerifySchoolHandoverSuccess { handover { ...H } } ... on VerifySchoolHandoverError { field message code } } }""" + HANDOVER
ACKNOWLEDGE = """mutation($input: AcknowledgeSchoolHandoverInput!) { acknowledgeSchoolHandover(input: $input) { __typename
  ... on AcknowledgeSchoolHandoverSuccess { handover { ...H } }
  ... on AcknowledgeSchoolHandoverError { field message code } } }""" + HANDOVER
QUERY = "query($id: ID!) { schoolHandover(id: $id) { ...H } }" + HANDOVER
LINK = "query($id: ID!) { schoolHandover(id: $id) { bagDownloadUrl { url sha256 filename } } }"


@asynccontextmanager
async def opened(server: ApiServer) -> AsyncIterator[Stores]:
    settings = server.settings
    assert settings.mongodb_uri is not None
    client = connect(settings.mongodb_uri)
    try:
        yield stores_of(Collections.of(client[settings.mongodb_database]), EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket))
    finally:
        await client.close()


async def session_as(stores: Stores, login: str) -> Session:
    account = await stores.accounts.get(login)
    assert account is not None
    return Session.open(Actor(account, f"test-{login}"), stores)


def populate(server: ApiServer, gql: GraphQLClient, school: str, registrar: str, count: int) -> list[str]:
    """`count` dossiers at the school (one enrolled through GraphQL, the rest through the
    bulk import path): enrolled, graduated and dropped-out students alike."""
    enrolled = gql(ENROL, {"input": enrolment(school)}, as_=registrar)["enrollStudent"]["student"]["number"]

    async def fill() -> list[str]:
        settings = server.settings
        client = connect(settings.mongodb_uri or "")
        try:
            collections = Collections.of(client[settings.mongodb_database])
            repo = StudentRepository(collections, TransitionLog(collections), SchoolPlacement(collections))
            template = await repo.by_id(enrolled)
            assert template is not None
            batch = [_as_new(template, i) for i in range(count - 1)]
            items = [(d, Change("ENROLLED", {"school": (None, school)})) for d in batch]
            assert await repo.import_new(items, Stamp(registrar, f"populate-{school}")) == len(batch)
            return [enrolled, *(d.id for d in batch)]
        finally:
            await client.close()

    return asyncio.run(fill())


def _as_new(template: Dossier, i: int) -> Dossier:
    id_document = parse_id_document(IdDocKind.RESIDENT_ID, resident_id(template.basic.birth_date), None)
    number = permanent_number(id_document)
    assert number is not None
    state = StudentState.GRADUATED if i % 5 == 0 else StudentState.DROPPED_OUT if i % 7 == 0 else StudentState.ENROLLED
    status = replace(template.status, state=state)
    return replace(template, id=number, number=number, id_document=id_document, status=status, created_at=datetime.now(UTC), version=1)


def until_bagged(gql: GraphQLClient, handover_id: str, as_: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, Any] = gql(QUERY, {"id": handover_id}, as_=as_)["schoolHandover"]
        if found["state"] != "MOVING":
            return found
        assert time.monotonic() < deadline, f"the handover job did not finish: {found}"
        time.sleep(0.5)


def download_bag(gql: GraphQLClient, handover_id: str, as_: str, into: Path) -> Path:
    """The bag through its download link, unpacked; the bag's directory."""
    link = gql(LINK, {"id": handover_id}, as_=as_)["schoolHandover"]["bagDownloadUrl"]
    assert link is not None
    body = httpx.get(link["url"], timeout=60).content
    with tarfile.open(fileobj=io.BytesIO(body)) as t:
        t.extractall(into, filter="data")
    (root,) = [p for p in into.iterdir() if p.is_dir()]
    return root
