"""A sync consumer reading the change feed (issue 12 §5, Art. 20): at each size, the
province department (every change) and the biggest county department (its share) read the
whole feed from its start, page by page (`changes(first: 100)`, each page after the last
page's `resumeCursor`, until `hasNextPage` is false), over GraphQL against the API in its own
uvicorn process; and the same pages read in this process straight from the store
(`ChangeFeed.page`), to show what the API adds.

The feed is filled through the bulk import path (`StudentRepository.import_new`, the same
population as `bench/dossiers.py`: for each dossier the identity claim, version 1 in the
log, its change-feed entry by `ChangeFeed.append_many` and the projection), so every entry
is a real CREATED change of a real dossier, numbered as enrolment numbers them. Reading does
not depend on the kind of change (entries differ by a few bytes).

Each consumer reads the feed `--runs` times; the table gives the median run's changes per
second and the median of the runs' p50 and p95 page times. A run that passes `--run-budget`
seconds stops there and is marked: the embedded FerretDB scans the whole table for every
query (one or two a page), so a full read grows with the square of the feed's size.

    ./scripts/bench changes [--sizes 25000,50000,100000,200000] [--runs 3] [--run-budget 600]
                            [--consumers henan.dept,jinshui.dept]"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from pymongo import AsyncMongoClient

from api.auth import mint_token
from api.logging import configure_logging
from bench.dossiers import (
    Population,
    ServerProcess,
    backing_services,
    bench_settings,
    gql_request,
    ms,
    pct,
    running,
    say,
    sizes_arg,
)
from bench.httpload import Connection, ok
from bench.population import BIG_COUNTY, BIG_COUNTY_DEPARTMENT
from domain.access import scope_token, student_scope
from scripts.init_cmd import s3_admin_client
from storage.accounts import AccountRepository
from storage.mongo import Collections, Doc
from storage.setup import prepare
from storage.transitions import TransitionLog

PAGE = 100
CONSUMERS = ("henan.dept", BIG_COUNTY_DEPARTMENT)
FEED_QUERY = """query Feed($after: String, $first: Int!) { changes(first: $first, after: $after) {
  resumeCursor pageInfo { hasNextPage }
  edges { node { changeVersion number dossierVersion schoolCode kind keyChange { oldNumber newNumber }
    record { at actor action changes reason evidence businessId } } } } }"""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@dataclass
class Run:
    changes: int
    pages: int
    seconds: float
    times: list[float]
    finished: bool

    @property
    def rate(self) -> float:
        return self.changes / self.seconds if self.seconds else 0.0


@dataclass
class Row:
    size: int
    consumer: str
    via: str
    runs: list[Run]


async def consume_api(port: int, token: str, budget: float) -> Run:
    conn = await Connection.open("127.0.0.1", port)
    times: list[float] = []
    after: str | None = None
    changes, started = 0, time.perf_counter()
    try:
        while True:
            request = gql_request(FEED_QUERY, {"after": after, "first": PAGE}, token)
            sent = time.perf_counter()
            status, body = await conn.send(request)
            times.append(time.perf_counter() - sent)
            ok(status, body)
            page = json.loads(body)["data"]["changes"]
            changes += len(page["edges"])
            after = page["resumeCursor"]
            if not page["pageInfo"]["hasNextPage"]:
                return Run(changes, len(times), time.perf_counter() - started, times, True)
            if time.perf_counter() - started > budget:
                return Run(changes, len(times), time.perf_counter() - started, times, False)
    finally:
        conn.close()


async def consume_store(uri: str, database: str, scope_key: str, budget: float) -> Run:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=120_000)
    times: list[float] = []
    after, changes, started = 0, 0, time.perf_counter()
    try:
        feed = TransitionLog(Collections.of(client[database])).feed
        while True:
            sent = time.perf_counter()
            page = await feed.page(scope_key, after=after, first=PAGE)
            times.append(time.perf_counter() - sent)
            changes += len(page.items)
            after = page.position
            if not page.has_next:
                return Run(changes, len(times), time.perf_counter() - started, times, True)
            if time.perf_counter() - started > budget:
                return Run(changes, len(times), time.perf_counter() - started, times, False)
    finally:
        await client.close()


async def scope_keys(uri: str, database: str, logins: list[str]) -> dict[str, str]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(uri, tz_aware=True)
    try:
        collections = Collections.of(client[database])
        accounts = AccountRepository(collections, TransitionLog(collections))
        keys = {}
        for login in logins:
            account = await accounts.get(login)
            assert account is not None
            key = scope_token(student_scope(account))
            assert key is not None
            keys[login] = key
        return keys
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=sizes_arg, default=sizes_arg("25000,50000,100000,200000"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--consumers", default=",".join(CONSUMERS), help="logins of the consumers, comma-separated")
    parser.add_argument("--run-budget", type=float, default=600.0, help="seconds; a longer read stops and is marked")
    parser.add_argument("--batch", type=int, default=1000, help="dossiers per bulk insert")
    parser.add_argument("--in-flight", type=int, default=2, help="bulk inserts in flight per seeding process")
    parser.add_argument("--seed-workers", type=int, default=3, help="seeding processes")
    args = parser.parse_args()
    configure_logging("WARNING")
    started, load_before = time.perf_counter(), os.getloadavg()
    rows: list[Row] = []
    seeded: list[tuple[int, float]] = []
    county: dict[int, int] = {}
    signal.signal(signal.SIGTERM, _interrupt)
    interrupted = False
    try:
        with tempfile.TemporaryDirectory(prefix="xueji-bench-") as tmp_name:
            tmp = Path(tmp_name)
            tmp.chmod(0o711)
            with backing_services(tmp) as endpoints, contextlib.ExitStack() as stack:
                settings = bench_settings(endpoints)
                uri, database = settings.mongodb_uri or "", settings.mongodb_database
                asyncio.run(prepare(uri, database, s3_admin_client(settings), settings.s3_evidence_bucket, demo=True))
                population = Population(settings, batch=args.batch, in_flight=args.in_flight, workers=args.seed_workers)
                stack.callback(population.close)
                asyncio.run(population.reference_data())
                consumers = [c for c in args.consumers.split(",") if c]
                keys = asyncio.run(scope_keys(uri, database, consumers))
                for size in args.sizes:
                    say(f"seeding up to {size:,} dossiers (and as many changes)")
                    step = population.grow_to(size)
                    seeded.append((size, step.rate))
                    county[size] = population.per_supervisor[BIG_COUNTY]
                    api = ServerProcess("api", settings)
                    with running(api):
                        for login in consumers:
                            token = mint_token(settings, login)
                            api_row, store_row = Row(size, login, "API", []), Row(size, login, "store", [])
                            rows += [api_row, store_row]
                            for r in range(args.runs):
                                say(f"  {login} run {r + 1} of {args.runs} at {size:,}")
                                api_row.runs.append(asyncio.run(consume_api(api.port, token, args.run_budget)))
                                store_row.runs.append(asyncio.run(consume_store(uri, database, keys[login], args.run_budget)))
                                say(f"    API {api_row.runs[-1].rate:,.0f} changes/s, store {store_row.runs[-1].rate:,.0f}")
    except KeyboardInterrupt:
        interrupted = True
        say("interrupted: the table holds what was measured until then")
    except Exception:  # noqa: BLE001 - report what was measured, then the failure
        interrupted = True
        traceback.print_exc()
    report(args, rows, seeded, county, load_before, time.perf_counter() - started, interrupted)


def report(
    args: argparse.Namespace,
    rows: list[Row],
    seeded: list[tuple[int, float]],
    county: dict[int, int],
    load_before: tuple[float, float, float],
    elapsed: float,
    interrupted: bool,
) -> None:
    load = os.getloadavg()
    if interrupted:
        print("\nINTERRUPTED: only what was measured before the interruption is below.")
    print(f"\n{os.cpu_count()} cores; load average {load_before[0]:.2f} at the start, {load[0]:.2f} / {load[1]:.2f} / "
          f"{load[2]:.2f} (1/5/15 min) at the end; {elapsed / 60:.1f} min in all.")
    print("\nSeeding (bulk import, one CREATED change per dossier): " + ", ".join(f"{r:,.0f} dossiers/s up to {s:,}" for s, r in seeded))
    print(f"Changes in the {BIG_COUNTY_DEPARTMENT} county's scope: " + ", ".join(f"{c:,} of {s:,}" for s, c in county.items()))
    print(f"\nA consumer reads the whole feed from its start, {PAGE} changes a page; {args.runs} runs each, median run "
          f"(by changes/s) and median of the runs' page times; a run over {args.run_budget:.0f} s stops (marked *).\n")
    print("| changes | consumer | via | changes read | pages | run s | changes/s | p50 ms/page | p95 ms/page |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        if not row.runs:
            continue
        median = sorted(row.runs, key=lambda r: r.rate)[len(row.runs) // 2]
        mark = "" if all(r.finished for r in row.runs) else " *"
        p50 = statistics.median(ms(pct(r.times, 50)) for r in row.runs)
        p95 = statistics.median(ms(pct(r.times, 95)) for r in row.runs)
        print(f"| {row.size:,} | {row.consumer} | {row.via} | {median.changes:,}{mark} | {median.pages:,} | {median.seconds:.1f} "
              f"| {median.rate:,.0f} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
