"""A term's re-verification (Art. 23) at one big school, through GraphQL against an API
process of its own: the school's registrar reads its whole roster page by page, raises
discrepancies one after the other (each claims a version of the school's part, which holds
them all), confirms the roster (every dossier's version kept in the log), and its
department confirms.

    ./scripts/bench reverification [--students 3000] [--discrepancies 60]

Prints wall time per step; the roster is read whole, then grade by grade."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from api.auth import mint_token
from api.settings import Settings
from bench.api_process import running_api
from bench.population import Generator, PlacedSchool
from domain.ports import Stamp
from domain.terms import term_of
from storage.demo import SCHOOLS
from storage.mongo import Collections, Doc
from storage.placement import SchoolPlacement
from storage.students import StudentRepository
from storage.transitions import TransitionLog

SCHOOL, DEPARTMENT = "2141010501", "410105"
ROSTER = """query($c: ID!, $s: String!, $after: String, $grade: Int) { reverificationSchool(campaignId: $c, schoolCode: $s) {
  roster(first: 100, after: $after, grade: $grade) { totalCount pageInfo { hasNextPage endCursor } edges { node { number } } } } }"""


def populate(settings: Settings, students: int) -> None:
    """`students` dossiers at the school, imported in bulk as a migration would."""

    async def run() -> None:
        assert settings.mongodb_uri is not None
        client: AsyncMongoClient[Doc] = AsyncMongoClient(settings.mongodb_uri, tz_aware=True)
        try:
            collections = Collections.of(client[settings.mongodb_database])
            repo = StudentRepository(collections, TransitionLog(collections), SchoolPlacement(collections))
            school = next(s for s in SCHOOLS if s.code == SCHOOL)
            generator = Generator([PlacedSchool(school, 1.0)])
            for batch in generator.batches(students, 500):
                await repo.import_new([(d, c) for d, c, _ in batch], Stamp("system:import", "bench-reverification"))
        finally:
            await client.close()

    asyncio.run(run())


@contextmanager
def timed(rows: list[tuple[str, float, str]], step: str, note: str = "") -> Iterator[None]:
    started = time.perf_counter()
    yield
    rows.append((step, time.perf_counter() - started, note))


def post(http: httpx.Client, settings: Settings, login: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {mint_token(settings, login)}"}
    body = http.post("/graphql", json={"query": query, "variables": variables}, headers=headers).json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def read_roster(http: httpx.Client, settings: Settings, campaign: str, grade: int | None) -> tuple[list[str], int]:
    numbers: list[str] = []
    after, pages = None, 0
    while True:
        page = post(http, settings, "weiwu.registrar", ROSTER, {"c": campaign, "s": SCHOOL, "after": after, "grade": grade})
        roster = page["reverificationSchool"]["roster"]
        numbers += [e["node"]["number"] for e in roster["edges"]]
        pages += 1
        if not roster["pageInfo"]["hasNextPage"]:
            return numbers, pages
        after = roster["pageInfo"]["endCursor"]


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench reverification", description=__doc__)
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--discrepancies", type=int, default=60)
    args = parser.parse_args()
    rows: list[tuple[str, float, str]] = []
    with running_api() as (url, settings), httpx.Client(base_url=url, timeout=300) as http:
        with timed(rows, "import the school's dossiers (bulk)", f"{args.students} dossiers"):
            populate(settings, args.students)
        term = term_of(datetime.now(UTC).date()).code
        opened = post(http, settings, "jinshui.dept", "mutation($t: String!) { openReverification(input: {term: $t}) { "
                      "... on OpenReverificationSuccess { campaign { id } } ... on OpenReverificationError { code } } }", {"t": term})
        campaign = opened["openReverification"]["campaign"]["id"]
        numbers: list[str] = []
        for grade in (None, *range(1, 7)):
            step = "read the whole roster, 100 a page" if grade is None else f"read grade {grade}, 100 a page"
            with timed(rows, step):
                found, pages = read_roster(http, settings, campaign, grade)
            rows[-1] = (rows[-1][0], rows[-1][1], f"{pages} pages, {len(found)} students")
            numbers = numbers or found
        raise_ = ("mutation($i: RaiseReverificationDiscrepancyInput!) { raiseReverificationDiscrepancy(input: $i) { "
                  "__typename ... on RaiseReverificationDiscrepancyError { code } } }")
        with timed(rows, "raise discrepancies one after the other", f"{args.discrepancies} LEFT_WITHOUT_CHANGE"):
            for number in numbers[: args.discrepancies]:
                result = post(http, settings, "weiwu.registrar", raise_, {"i": {
                    "campaignId": campaign, "schoolCode": SCHOOL, "leftWithoutChange": {"number": number}}})
                assert result["raiseReverificationDiscrepancy"]["__typename"].endswith("Success"), result
        confirm = ("mutation($c: ID!, $s: String!) { confirmReverificationRoster(input: {campaignId: $c, schoolCode: $s}) { "
                   "... on ConfirmReverificationRosterSuccess { school { rosterSize } } ... on ConfirmReverificationRosterError { code } } }")
        with timed(rows, "the school confirms its roster"):
            size = post(http, settings, "weiwu.registrar", confirm, {"c": campaign, "s": SCHOOL})["confirmReverificationRoster"]
        rows[-1] = (rows[-1][0], rows[-1][1], f"roster of {size['school']['rosterSize']} kept in the log")
        decide = ("mutation($c: ID!, $s: String!) { decideReverificationSchool(input: {campaignId: $c, schoolCode: $s, decision: CONFIRM}) { "
                  "... on DecideReverificationSchoolSuccess { school { tasks { id } } } ... on DecideReverificationSchoolError { code } } }")
        with timed(rows, "the department confirms"):
            tasks = post(http, settings, "jinshui.dept", decide, {"c": campaign, "s": SCHOOL})["decideReverificationSchool"]
        rows[-1] = (rows[-1][0], rows[-1][1], f"{len(tasks['school']['tasks'])} tasks")
    print(f"\n{'step':<44} {'seconds':>9}  note")
    for step, seconds, note in rows:
        print(f"{step:<44} {seconds:>9.2f}  {note}")


if __name__ == "__main__":
    main()
