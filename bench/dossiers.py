"""Dossier reads and lists at county scale (issue 8 §6): seeds a realistic population in
bulk through the storage layer, then measures at each size, in one run:

- P1 `student(number)` with the full dossier over GraphQL against a minimal raw endpoint
  on the same HTTP stack (Starlette + uvicorn, one `find_one` by `_id`): req/s with 32
  concurrent clients (closed loop), and p50/p99 at a fixed arrival rate of half the raw
  endpoint's capacity (open loop, latency from the scheduled time);
- P2 `students(first: 50)` by school + grade and by county (a county department's scope
  token), keyset pages 1-5, next to the raw PyMongo queries of the same filter document
  (built by `StudentRepository._filter`);
- P5 the API process's RSS over 10,000 requests;
- where the time goes at the largest size: a cProfile of the API process and the time of
  each database command it sends.

The API and the raw endpoint each run in a uvicorn subprocess; the load generator runs in
this process and shares the machine's cores with them and the database. Tables only (medians
and ratios measured in the same run); nothing is asserted.

    ./scripts/bench dossiers [--sizes 10000,50000,200000] [--p1-sizes 10000,200000]"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import ctypes
import io
import multiprocessing
import json
import os
import pstats
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import SecretStr
from pymongo import AsyncMongoClient, MongoClient, monitoring
from pymongo.errors import ConnectionFailure
from pymongo.asynchronous.collection import AsyncCollection
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.app import create_app
from api.auth import mint_token
from api.logging import configure_logging
from api.settings import Settings
from multiprocessing.connection import Connection as Connection_

from bench.httpload import Connection, HttpError, closed_loop, get, ok, open_loop, post
from bench.population import BIG_COUNTY, BIG_COUNTY_DEPARTMENT, Generator, areas, schools
from domain.access import scope_token, student_scope
from domain.dossier import Dossier
from domain.ports import Change, SectionEntry, Stamp, StudentFilter
from scripts.init_cmd import s3_admin_client
from storage.demo import ACCOUNTS
from storage.embedded import EmbeddedServices, Endpoints, free_port
from storage.mongo import Collections, Doc, connect
from storage.placement import SchoolPlacement
from storage.schools import AreaRepository, SchoolRepository
from storage.sections import SectionRepository
from storage.setup import prepare
from storage.students import StudentRepository
from storage.transitions import TransitionLog

PROJECT_ROOT = Path(__file__).resolve().parent.parent
P1_ACCOUNT = "henan.dept"  # the province sees every dossier: any number of the population
PAGE = 50
PAGES = 5
PR_SET_PDEATHSIG = 1
RETRIES = 5

P1_QUERY = """query Dossier($n: String!) { student(number: $n) {
  number aliases name formerName sex birthDate birthPlace nativePlace ethnicity nationality idDocumentKind idNumber
  guardians { name relation isGuardian idNumber phone employer }
  flags { onlyChild leftBehind migrantChild inclusiveEducation disability }
  school { code name kind supervisorCode }
  grade className entryDate entryWay studyMode state verification ageException openBusiness
  completeness { complete missing deadline overdue }
  cases { id kind state openedAt }
  documents { id kind current { version } }
  history { at actor action changes }
} }"""

P2_QUERY = """query List($f: StudentFilterInput, $after: String) { students(first: 50, after: $after, filter: $f) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { number name sex birthDate grade className state verification completeness { complete missing } } }
} }"""


# -- servers in subprocesses ------------------------------------------------------------

class CommandTimer(monitoring.CommandListener):
    """Duration of every database command the API sends, by shape (command, collection,
    filter fields)."""

    def __init__(self) -> None:
        self.shapes: dict[int, str] = {}
        self.durations: dict[str, list[float]] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        collection = event.command.get(name)
        query = event.command.get("filter") or event.command.get("query") or {}
        fields = ",".join(sorted(query)) if isinstance(query, dict) else ""
        self.shapes[event.request_id] = f"{name} {collection} {{{fields}}}"

    def _done(self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent) -> None:
        shape = self.shapes.pop(event.request_id, None)
        if shape is not None:
            self.durations.setdefault(shape, []).append(event.duration_micros / 1000)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._done(event)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._done(event)


def raw_app(settings: Settings) -> Starlette:
    """The floor: one `find_one` by `_id` on the same server, the document as JSON."""
    assert settings.mongodb_uri is not None
    opened: list[AsyncCollection[Doc]] = []

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        client = connect(settings.mongodb_uri or "")
        opened.append(client[settings.mongodb_database]["students"])
        try:
            yield
        finally:
            await client.close()

    async def dossier(request: Request) -> Response:
        doc = await opened[0].find_one({"_id": request.path_params["number"]})
        if doc is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(json.dumps(doc, default=str, ensure_ascii=False), media_type="application/json")

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route("/raw/{number}", dossier), Route("/healthz", healthz)], lifespan=lifespan)


def serve(kind: str, port: int, profile: str | None, commands: str | None) -> None:
    """The body of a server subprocess: settings from the environment, uvicorn until SIGINT."""
    configure_logging("WARNING")
    settings = Settings()
    timer = CommandTimer()
    app = create_app(settings, mongo_listeners=[timer] if commands else []) if kind == "api" else raw_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # uvicorn shuts down on SIGINT, then raises it again
    finally:
        if profiler is not None and profile:
            profiler.disable()
            profiler.dump_stats(profile)
        if commands:
            Path(commands).write_text(json.dumps(timer.durations))


def settings_env(settings: Settings) -> dict[str, str]:
    values = {
        "APP_ENV": settings.app_env.value,
        "LOG_LEVEL": "WARNING",
        "MONGODB_URI": settings.mongodb_uri or "",
        "MONGODB_DATABASE": settings.mongodb_database,
        "S3_ENDPOINT": settings.s3_endpoint or "",
        "S3_ACCESS_KEY": settings.s3_access_key or "",
        "S3_SECRET_KEY": settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else "",
        "S3_SECURE": "true" if settings.s3_secure else "false",
        "S3_EVIDENCE_BUCKET": settings.s3_evidence_bucket,
        "JWT_SECRET": settings.jwt_secret.get_secret_value() if settings.jwt_secret else "",
    }
    return {**{k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "S3_", "JWT_"))}, **values}


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """A server subprocess gets SIGTERM when the benchmark dies, whatever killed it."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ServerProcess:
    def __init__(self, kind: str, settings: Settings, *, profile: Path | None = None, commands: Path | None = None) -> None:
        self.kind = kind
        self.port = free_port()
        argv = [sys.executable, "-m", "bench.dossiers", "serve", kind, "--port", str(self.port)]
        if profile:
            argv += ["--profile", str(profile)]
        if commands:
            argv += ["--commands", str(commands)]
        self.proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=settings_env(settings), preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the {kind} server did not start") from None
                time.sleep(0.1)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def running(*servers: ServerProcess) -> Iterator[None]:
    try:
        yield
    finally:
        for s in servers:
            s.stop()


# -- the population ---------------------------------------------------------------------

@dataclass
class SeedStep:
    size: int
    added: int
    entries: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.added / self.seconds if self.seconds else 0.0


def _seed_worker(conn: Connection_, uri: str, database: str, part: int, parts: int, batch: int, in_flight: int) -> None:
    """A seeding process: its own generator (a disjoint part of the identity numbers), its own
    event loop and connection; grows by the count it is sent, answers with what it made."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's report-and-exit handler
    configure_logging("WARNING")
    generator = Generator(schools(), part=part, parts=parts)
    while True:
        try:
            count = conn.recv()
        except EOFError:  # the benchmark is gone
            return
        if count is None:
            return
        conn.send(asyncio.run(_import(uri, database, generator, count, batch, in_flight)))


async def _import(uri: str, database: str, generator: Generator, count: int, batch: int, in_flight: int) -> Made:
    # Patient timeouts: on a saturated machine a 3 s heartbeat timeout marks the server
    # unknown and cancels the inserts under way (they are retried: a re-import is idempotent).
    client: AsyncMongoClient[Doc] = AsyncMongoClient(
        uri, tz_aware=True, maxPoolSize=in_flight + 2, connectTimeoutMS=60_000, serverSelectionTimeoutMS=120_000
    )
    made = Made()
    try:
        collections = Collections.of(client[database])
        students = StudentRepository(collections, TransitionLog(collections), SchoolPlacement(collections))
        sections = SectionRepository(collections)
        stamp = Stamp("system:import", "bench-seed")
        slots = asyncio.Semaphore(in_flight)
        tasks: list[asyncio.Task[int]] = []

        async def load(items: list[tuple[Dossier, Change]], entries: list[SectionEntry]) -> int:
            try:
                for attempt in range(RETRIES):
                    try:
                        imported = await students.import_new(items, stamp, batch=len(items))
                        await sections.import_entries(entries)
                        return imported
                    except ConnectionFailure:
                        if attempt == RETRIES - 1:
                            raise
                        await asyncio.sleep(1 + attempt)
                raise AssertionError("unreachable")
            finally:
                slots.release()

        for made_batch in generator.batches(count, batch):
            items = [(d, c) for d, c, _ in made_batch]
            entries = [e for _, _, es in made_batch for e in es]
            made.dossiers += [(d.number, d.status.school_code, d.status.grade) for d, _ in items]
            made.entries += len(entries)
            await slots.acquire()
            tasks.append(asyncio.create_task(load(items, entries)))
        await asyncio.gather(*tasks)
        made.imported = len(made.dossiers)
    finally:
        await client.close()
    return made


@dataclass
class Made:
    dossiers: list[tuple[str, str, int]] = field(default_factory=list)  # number, school, grade
    entries: int = 0
    imported: int = 0


class Population:
    """The dossiers seeded so far, made and imported by `workers` processes in parallel:
    their numbers (for reads) and how many each school and grade holds (for lists)."""

    def __init__(self, settings: Settings, *, batch: int, in_flight: int, workers: int) -> None:
        self.settings = settings
        self.placed = schools()
        self.numbers: list[str] = []
        self.per_school_grade: Counter[tuple[str, int]] = Counter()
        self.per_supervisor: Counter[str] = Counter()
        context = multiprocessing.get_context("fork")
        self._pipes: list[Connection_] = []
        self._workers: list[multiprocessing.process.BaseProcess] = []
        for part in range(workers):
            here, there = context.Pipe()
            process = context.Process(
                target=_seed_worker,
                args=(there, settings.mongodb_uri or "", settings.mongodb_database, part, workers, batch, in_flight),
                daemon=True,
            )
            process.start()
            self._pipes.append(here)
            self._workers.append(process)

    def close(self) -> None:
        for pipe, process in zip(self._pipes, self._workers, strict=True):
            pipe.send(None)
            process.join(30)

    async def reference_data(self) -> None:
        client = connect(self.settings.mongodb_uri or "")
        try:
            collections = Collections.of(client[self.settings.mongodb_database])
            area_repo, school_repo = AreaRepository(collections), SchoolRepository(collections, TransitionLog(collections))
            for area in areas():
                await area_repo.insert_if_missing(area)
            for placed in self.placed:
                await school_repo.insert_if_missing(placed.school)
        finally:
            await client.close()

    def grow_to(self, size: int) -> SeedStep:
        supervisors = {p.school.code: p.school.supervisor_code for p in self.placed}
        wanted = size - len(self.numbers)
        started = time.perf_counter()
        for i, pipe in enumerate(self._pipes):
            pipe.send(wanted // len(self._pipes) + (1 if i < wanted % len(self._pipes) else 0))
        results: list[Made] = [pipe.recv() for pipe in self._pipes]
        seconds = time.perf_counter() - started
        added = sum(len(m.dossiers) for m in results)
        client: MongoClient[Doc] = MongoClient(self.settings.mongodb_uri, serverSelectionTimeoutMS=120_000)
        try:
            stored = client[self.settings.mongodb_database].students.count_documents({})
        finally:
            client.close()
        if stored != size:
            raise RuntimeError(f"{size} dossiers wanted, {stored} stored")
        for m in results:
            for number, school, grade in m.dossiers:
                self.numbers.append(number)
                self.per_school_grade[(school, grade)] += 1
                self.per_supervisor[supervisors[school]] += 1
        return SeedStep(size, added, sum(m.entries for m in results), seconds)

    def list_target(self) -> tuple[str, int]:
        """The largest school + grade list of the big county (the school+grade P2 shape)."""
        supervised = {p.school.code for p in self.placed if p.school.supervisor_code == BIG_COUNTY}
        return max((k for k in self.per_school_grade if k[0] in supervised), key=lambda k: self.per_school_grade[k])


# -- measurements -----------------------------------------------------------------------

def ms(seconds: float) -> float:
    return seconds * 1000


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank); NaN when nothing was measured."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def gql_request(query: str, variables: dict[str, Any], token: str) -> bytes:
    body = json.dumps({"query": query, "variables": variables}, ensure_ascii=False).encode()
    return post("/graphql", body, {"Authorization": f"Bearer {token}"})


@dataclass
class P1Row:
    size: int
    raw_rps: float
    api_rps: float
    rate: float
    raw_p50: float
    raw_p99: float
    api_p50: float
    api_p99: float
    closed_api_p50: float
    api_errors: int = 0


def measure_p1(size: int, api: ServerProcess, raw: ServerProcess, numbers: list[str], token: str, args: argparse.Namespace) -> P1Row:
    rnd = random.Random(size)
    picks = [rnd.choice(numbers) for _ in range(20_000)]
    api_requests = [gql_request(P1_QUERY, {"n": n}, token) for n in picks]
    raw_requests = [get(f"/raw/{n}") for n in picks]

    def via_api(i: int) -> bytes:
        return api_requests[i % len(api_requests)]

    def via_raw(i: int) -> bytes:
        return raw_requests[i % len(raw_requests)]

    def found(status: int, body: bytes) -> None:
        ok(status, body)
        if b'"student":null' in body:
            raise HttpError(f"a seeded dossier was not found: {body[:200]!r}")

    c = args.concurrency
    raw_closed = asyncio.run(closed_loop("127.0.0.1", raw.port, via_raw, concurrency=c, seconds=args.closed_seconds))
    api_closed = asyncio.run(closed_loop("127.0.0.1", api.port, via_api, concurrency=c, seconds=args.closed_seconds, check=found))
    say(f"  closed loop: raw {raw_closed.rate:.0f} req/s, API {api_closed.rate:.0f} req/s")
    rate = raw_closed.rate / 2
    if not rate:
        say("  nothing completed inside the closed-loop window: no open-loop rate to run at")
    raw_open = asyncio.run(open_loop("127.0.0.1", raw.port, via_raw, rate=rate, seconds=args.open_seconds))
    api_open = asyncio.run(open_loop("127.0.0.1", api.port, via_api, rate=rate, seconds=args.open_seconds, check=found))
    say(f"  open loop at {rate:.0f} req/s: API p50 {ms(pct(api_open.latencies, 50)):.0f} ms, p99 {ms(pct(api_open.latencies, 99)):.0f} ms")
    return P1Row(
        size, raw_closed.rate, api_closed.rate, rate,
        ms(pct(raw_open.latencies, 50)), ms(pct(raw_open.latencies, 99)),
        ms(pct(api_open.latencies, 50)), ms(pct(api_open.latencies, 99)),
        ms(pct(api_closed.latencies, 50)),
        api_closed.errors + api_open.errors,
    )


@dataclass
class P2Shape:
    name: str
    account: str
    filter: dict[str, Any]  # the GraphQL filter input
    domain_filter: StudentFilter  # what the resolver makes of it


@dataclass
class P2Row:
    size: int
    shape: str
    matching: int
    pages: int
    api: list[float]
    raw: list[float]
    raw_count: list[float]
    raw_find: list[float]


def p2_shapes(school: str, grade: int) -> list[P2Shape]:
    return [
        P2Shape(f"school {school} grade {grade}", BIG_COUNTY_DEPARTMENT, {"schoolCode": school, "grade": grade},
                StudentFilter(school_code=school, grade=grade)),
        P2Shape(f"county {BIG_COUNTY} (department scope)", BIG_COUNTY_DEPARTMENT, {}, StudentFilter()),
    ]


def repository_filter(settings: Settings, account_login: str, f: StudentFilter) -> Doc:
    """The filter document `StudentRepository.page` sends for this caller and filter."""
    account = next(a for a in ACCOUNTS if a.login == account_login)

    async def build() -> Doc:
        client = connect(settings.mongodb_uri or "")
        try:
            collections = Collections.of(client[settings.mongodb_database])
            repo = StudentRepository(collections, TransitionLog(collections), SchoolPlacement(collections))
            return repo._filter(scope_token(student_scope(account)), f)
        finally:
            await client.close()

    return asyncio.run(build())


async def _pages_via_api(port: int, shape: P2Shape, token: str, deadline: float = float("inf")) -> tuple[list[float], int]:
    conn = await Connection.open("127.0.0.1", port)
    times: list[float] = []
    after, total = None, 0
    try:
        for _ in range(PAGES):
            if times and time.monotonic() > deadline:
                break
            request = gql_request(P2_QUERY, {"f": shape.filter, "after": after}, token)
            started = time.perf_counter()
            status, body = await conn.send(request)
            times.append(time.perf_counter() - started)
            ok(status, body)
            page = json.loads(body)["data"]["students"]
            total = page["totalCount"]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    finally:
        conn.close()
    return times, total


def _pages_raw(db: Any, query: Doc, pages: int) -> tuple[list[float], list[float], list[float]]:
    """What `StudentRepository.page` sends, with PyMongo: the count, then the keyset page."""
    totals, counts, finds, after = [], [], [], None
    for _ in range(pages):
        page_query = {**query, "_id": {"$gt": after}} if after is not None else query
        started = time.perf_counter()
        db.students.count_documents(query)
        counted = time.perf_counter()
        docs = db.students.find(page_query).sort("_id", 1).limit(PAGE + 1).to_list()
        done = time.perf_counter()
        totals.append(done - started)
        counts.append(counted - started)
        finds.append(done - counted)
        if len(docs) <= PAGE:
            break
        after = docs[PAGE - 1]["_id"]
    return totals, counts, finds


def measure_p2(
    size: int, api: ServerProcess, settings: Settings, shapes: list[P2Shape], rounds: int, budget: float
) -> list[P2Row]:
    """Up to `rounds` rounds of pages 1-5 per shape, API then raw, within `budget` seconds a
    shape (at least one page of each)."""
    rows = []
    client: MongoClient[Doc] = MongoClient(settings.mongodb_uri, tz_aware=True)
    db = client[settings.mongodb_database]
    try:
        for shape in shapes:
            token = mint_token(settings, shape.account)
            query = repository_filter(settings, shape.account, shape.domain_filter)
            row = P2Row(size, shape.name, 0, 0, [], [], [], [])
            started = time.monotonic()
            for _ in range(rounds):
                api_times, row.matching = asyncio.run(_pages_via_api(api.port, shape, token, started + budget / 2))
                raw_times, counts, finds = _pages_raw(db, query, len(api_times))
                row.pages = max(row.pages, len(api_times))
                row.api += api_times
                row.raw += raw_times
                row.raw_count += counts
                row.raw_find += finds
                if time.monotonic() - started > budget:
                    break
            say(f"  {shape.name}: {row.matching:,} matching, {len(row.api)} pages timed, API p50 {ms(pct(row.api, 50)):.0f} ms, "
                f"raw p50 {ms(pct(row.raw, 50)):.0f} ms")
            rows.append(row)
    finally:
        client.close()
    return rows


@dataclass
class P5:
    size: int
    samples: list[tuple[int, float]]  # (requests served, RSS MB)
    seconds: float


def measure_p5(
    settings: Settings, numbers: list[str], shape: P2Shape, requests_total: int, concurrency: int, budget: float
) -> P5:
    """RSS every 1,000 requests, up to `requests_total` or until `budget` seconds have passed."""
    api = ServerProcess("api", settings)
    with running(api):
        rnd = random.Random(5)
        p1_token, p2_token = mint_token(settings, P1_ACCOUNT), mint_token(settings, shape.account)
        reads = [gql_request(P1_QUERY, {"n": rnd.choice(numbers)}, p1_token) for _ in range(5000)]
        listing = gql_request(P2_QUERY, {"f": shape.filter, "after": None}, p2_token)

        def mixed(i: int) -> bytes:  # one list page in ten requests, dossier reads otherwise
            return listing if i % 10 == 9 else reads[i % len(reads)]

        samples = [(0, api.rss_mb())]
        started = time.perf_counter()
        for done in range(1000, requests_total + 1, 1000):
            asyncio.run(closed_loop("127.0.0.1", api.port, mixed, concurrency=concurrency, count=1000))
            samples.append((done, api.rss_mb()))
            say(f"  {done:,} requests: RSS {samples[-1][1]:.0f} MB")
            if time.perf_counter() - started > budget:
                break
        return P5(len(numbers), samples, time.perf_counter() - started)


@dataclass
class Profile:
    title: str
    requests: int
    by_package: list[tuple[str, float]]
    top: list[tuple[str, int, float, float]]  # function, calls, tottime, cumtime
    commands: list[tuple[str, float, float, float]]  # shape, per request, median ms, p95 ms
    total: float


PACKAGES = (
    ("graphql-core", "/graphql/"), ("strawberry", "/strawberry/"), ("pymongo", "/pymongo/"), ("bson", "/bson/"),
    ("starlette", "/starlette/"), ("uvicorn/h11/httptools", "/uvicorn/"), ("uvicorn/h11/httptools", "/h11/"),
    ("uvicorn/h11/httptools", "/httptools/"), ("jwt/cryptography", "/jwt/"), ("jwt/cryptography", "/cryptography/"),
    ("structlog/logging", "/structlog/"), ("structlog/logging", "/logging/"), ("prometheus", "/prometheus_client/"),
    ("api/", "/api/"), ("schema/", "/schema/"), ("storage/", "/storage/"), ("domain/", "/domain/"),
    ("asyncio/selectors/ssl/socket", "/asyncio/"), ("asyncio/selectors/ssl/socket", "selectors"),
    ("asyncio/selectors/ssl/socket", "socket"),
)


def _package(filename: str, function: str) -> str:
    for name, marker in PACKAGES:
        if marker in filename:
            return name
    if filename == "~":
        return "builtins: " + ("select/epoll" if "poll" in function or "select" in function else "other C calls")
    return "other Python"


def profile_api(
    title: str, settings: Settings, work: Callable[[ServerProcess], int], tmp: Path
) -> Profile:
    """Run `work` against an API process under cProfile and a command timer."""
    prof_path, commands_path = tmp / f"api-{secrets.token_hex(3)}.prof", tmp / f"commands-{secrets.token_hex(3)}.json"
    api = ServerProcess("api", settings, profile=prof_path, commands=commands_path)
    with running(api):
        requests = work(api)
    stats = pstats.Stats(str(prof_path), stream=io.StringIO())
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_package: Counter[str] = Counter()
    total = 0.0
    rows = []
    for (filename, line, function), (_, calls, tottime, cumtime, _) in raw.items():
        if function == "<method 'poll' of 'select.epoll' objects>":
            continue  # waiting for the network, not work
        by_package[_package(filename, function)] += tottime
        total += tottime
        short = f"{Path(filename).parent.name}/{Path(filename).name}:{line}({function})" if filename != "~" else function
        rows.append((short, calls, tottime, cumtime))
    top = sorted(rows, key=lambda r: r[2], reverse=True)[:15]
    durations: dict[str, list[float]] = json.loads(commands_path.read_text())
    commands = sorted(
        ((shape, len(d) / requests, statistics.median(d), pct(d, 95)) for shape, d in durations.items()),
        key=lambda c: c[1] * c[2], reverse=True,
    )
    return Profile(title, requests, sorted(by_package.items(), key=lambda kv: kv[1], reverse=True), top, commands, total)


def explain(db: Any, query: Doc, sort: bool) -> str:
    command: Doc = {"find": "students", "filter": query}
    if sort:
        command.update(sort={"_id": 1}, limit=PAGE + 1)
    try:
        out = db.command("explain", command)
    except Exception as e:  # noqa: BLE001 - only a description for the report
        return f"explain failed: {type(e).__name__}"
    flags = [f"{k}={out[k]}" for k in ("filterPushdown", "sortPushdown", "limitPushdown") if k in out]
    return ", ".join(flags) or "(no pushdown flags: not FerretDB)"


# -- the run ----------------------------------------------------------------------------

@contextmanager
def backing_services(tmp: Path) -> Iterator[Endpoints]:
    if os.environ.get("MONGODB_URI") and os.environ.get("S3_ENDPOINT"):
        yield Endpoints(
            mongodb_uri=os.environ["MONGODB_URI"],
            s3_endpoint=os.environ["S3_ENDPOINT"],
            s3_access_key=os.environ.get("S3_ACCESS_KEY", ""),
            s3_secret_key=os.environ.get("S3_SECRET_KEY", ""),
            s3_admin_access_key=os.environ.get("S3_ADMIN_ACCESS_KEY", ""),
            s3_admin_secret_key=os.environ.get("S3_ADMIN_SECRET_KEY", ""),
        )
        return
    data = tmp / "services"
    data.mkdir()
    data.chmod(0o711)  # PostgreSQL runs as `postgres` when we are root: it must reach the dir
    with EmbeddedServices(data) as endpoints:
        yield endpoints


def bench_settings(endpoints: Endpoints) -> Settings:
    suffix = secrets.token_hex(4)
    return Settings(
        app_env="test",
        mongodb_uri=endpoints.mongodb_uri,
        mongodb_database=f"xueji_bench_{suffix}",
        s3_endpoint=endpoints.s3_endpoint,
        s3_access_key=endpoints.s3_access_key,
        s3_secret_key=SecretStr(endpoints.s3_secret_key),
        s3_admin_access_key=endpoints.s3_admin_access_key or None,
        s3_admin_secret_key=SecretStr(endpoints.s3_admin_secret_key) if endpoints.s3_admin_access_key else None,
        s3_secure=os.environ.get("S3_SECURE", "false") == "true",
        s3_evidence_bucket=f"xueji-bench-{suffix}",
        jwt_secret=SecretStr(secrets.token_urlsafe(48)),
        log_level="WARNING",
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def sizes_arg(text: str) -> list[int]:
    return sorted({int(s.replace("_", "").replace("k", "000")) for s in text.split(",") if s})


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        p = argparse.ArgumentParser()
        p.add_argument("serve")
        p.add_argument("kind", choices=["api", "raw"])
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--profile")
        p.add_argument("--commands")
        a = p.parse_args()
        serve(a.kind, a.port, a.profile, a.commands)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=sizes_arg, default=sizes_arg("10000,50000,200000"), help="P2 at each size")
    parser.add_argument("--p1-sizes", type=sizes_arg, default=sizes_arg("10000,200000"), help="P1 at these sizes")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--closed-seconds", type=float, default=10.0)
    parser.add_argument("--open-seconds", type=float, default=10.0)
    parser.add_argument("--p2-rounds", type=int, default=5)
    parser.add_argument("--p2-budget", type=float, default=120.0, help="seconds per list shape and size (at least one page)")
    parser.add_argument("--p5-requests", type=int, default=10_000, help="at the first size")
    parser.add_argument("--p5-budget", type=float, default=900.0, help="seconds; P5 stops after the thousand under way")
    parser.add_argument("--profile-requests", type=int, default=300)
    parser.add_argument("--batch", type=int, default=1000, help="dossiers per bulk insert")
    parser.add_argument("--in-flight", type=int, default=2, help="bulk inserts in flight per seeding process")
    parser.add_argument("--seed-workers", type=int, default=3, help="seeding processes")
    args = parser.parse_args()
    configure_logging("WARNING")
    sizes = sorted(set(args.sizes) | set(args.p1_sizes))
    largest = sizes[-1]
    started = time.perf_counter()
    load_before = os.getloadavg()

    seeding: list[SeedStep] = []
    p1_rows: list[P1Row] = []
    p2_rows: list[P2Row] = []
    p5: P5 | None = None
    profiles: list[Profile] = []
    explains: list[tuple[str, str]] = []
    county_sizes: list[tuple[int, int]] = []
    target: tuple[str, int] | None = None

    signal.signal(signal.SIGTERM, _interrupt)
    interrupted = False
    try:
        with tempfile.TemporaryDirectory(prefix="xueji-bench-") as tmp_name:
            tmp = Path(tmp_name)
            tmp.chmod(0o711)
            with backing_services(tmp) as endpoints, contextlib.ExitStack() as stack:
                settings = bench_settings(endpoints)
                assert settings.mongodb_uri is not None
                asyncio.run(prepare(settings.mongodb_uri, settings.mongodb_database, s3_admin_client(settings),
                                    settings.s3_evidence_bucket, demo=True))
                population = Population(settings, batch=args.batch, in_flight=args.in_flight, workers=args.seed_workers)
                stack.callback(population.close)
                asyncio.run(population.reference_data())
                for size in sizes:
                    say(f"seeding up to {size:,} dossiers")
                    step = population.grow_to(size)
                    seeding.append(step)
                    say(f"  {step.added:,} dossiers and {step.entries:,} section entries in {step.seconds:.1f} s ({step.rate:,.0f}/s)")
                    county_sizes.append((size, population.per_supervisor[BIG_COUNTY]))
                    if target is None:
                        target = population.list_target()
                    shapes = p2_shapes(*target)
                    api, raw = ServerProcess("api", settings), ServerProcess("raw", settings)
                    with running(api, raw):
                        if size in args.p1_sizes:
                            say(f"P1 at {size:,}")
                            p1_rows.append(measure_p1(size, api, raw, population.numbers, mint_token(settings, P1_ACCOUNT), args))
                        if size in args.sizes:
                            say(f"P2 at {size:,}")
                            p2_rows += measure_p2(size, api, settings, shapes, args.p2_rounds, args.p2_budget)
                    if size == sizes[0] and args.p5_requests:
                        say(f"P5 at {size:,}")
                        p5 = measure_p5(settings, population.numbers, shapes[0], args.p5_requests, args.concurrency, args.p5_budget)
                    if size != largest:
                        continue
                    say("profiles")
                    numbers = population.numbers
                    p1_token = mint_token(settings, P1_ACCOUNT)

                    def p1_work(api: ServerProcess) -> int:
                        rnd = random.Random(1)
                        reqs = [gql_request(P1_QUERY, {"n": rnd.choice(numbers)}, p1_token) for _ in range(args.profile_requests)]
                        asyncio.run(closed_loop("127.0.0.1", api.port, lambda i: reqs[i], concurrency=args.concurrency,
                                                count=len(reqs)))
                        return len(reqs)

                    county = shapes[1]
                    county_token = mint_token(settings, county.account)

                    def county_work(api: ServerProcess) -> int:
                        times, _total = asyncio.run(_pages_via_api(api.port, county, county_token, time.monotonic() + args.p2_budget))
                        return len(times)

                    profiles.append(profile_api(f"P1 student(number), {args.profile_requests} requests at concurrency "
                                                f"{args.concurrency}", settings, p1_work, tmp))
                    profiles.append(profile_api(f"P2 {county.name}, keyset pages from page 1", settings, county_work, tmp))
                    client: MongoClient[Doc] = MongoClient(settings.mongodb_uri, tz_aware=True)
                    try:
                        db = client[settings.mongodb_database]
                        for shape in shapes:
                            query = repository_filter(settings, shape.account, shape.domain_filter)
                            explains.append((f"students {json.dumps(query, ensure_ascii=False)} count", explain(db, query, False)))
                            explains.append((f"students {json.dumps(query, ensure_ascii=False)} sort _id limit {PAGE + 1}",
                                             explain(db, query, True)))
                        sample = numbers[-1]
                        history = {"aggregate_id": sample, "aggregate": "student"}
                        command: Doc = {"find": "transitions", "filter": history}
                        try:
                            out = db.command("explain", command)
                            flags = ", ".join(f"{k}={out[k]}" for k in ("filterPushdown", "sortPushdown") if k in out)
                        except Exception as e:  # noqa: BLE001
                            flags = f"explain failed: {type(e).__name__}"
                        explains.append(("transitions {aggregate_id, aggregate} (a dossier's history)", flags))
                        t0 = time.perf_counter()
                        for n in numbers[-20:]:
                            db.transitions.find({"aggregate_id": n, "aggregate": "student"}).to_list()
                        explains.append(("  raw time of that query (median of 20 runs, ms)", f"{ms((time.perf_counter() - t0) / 20):.1f}"))
                        t0 = time.perf_counter()
                        for n in numbers[-20:]:
                            db.students.find_one({"_id": n})
                        explains.append(("  raw find_one by _id on students (mean of 20, ms)", f"{ms((time.perf_counter() - t0) / 20):.1f}"))
                    finally:
                        client.close()
                if os.environ.get("MONGODB_URI"):
                    dropper: MongoClient[Doc] = MongoClient(settings.mongodb_uri)
                    dropper.drop_database(settings.mongodb_database)
                    dropper.close()
    except KeyboardInterrupt:
        interrupted = True
        say("interrupted: the tables hold what was measured until then")
    except Exception:  # noqa: BLE001 - report what was measured, then the failure
        interrupted = True
        traceback.print_exc()

    report(args, seeding, county_sizes, target, p1_rows, p2_rows, p5, profiles, explains, load_before,
           time.perf_counter() - started, interrupted)


def report(
    args: argparse.Namespace,
    seeding: list[SeedStep],
    county_sizes: list[tuple[int, int]],
    target: tuple[str, int] | None,
    p1_rows: list[P1Row],
    p2_rows: list[P2Row],
    p5: P5 | None,
    profiles: list[Profile],
    explains: list[tuple[str, str]],
    load_before: tuple[float, float, float],
    elapsed: float,
    interrupted: bool,
) -> None:
    load = os.getloadavg()
    if interrupted:
        print("\nINTERRUPTED: only what was measured before the interruption is below.")
    print(f"\n{os.cpu_count()} cores; load average {load_before[0]:.2f} at the start, {load[0]:.2f} / {load[1]:.2f} / "
          f"{load[2]:.2f} (1/5/15 min) at the end; {elapsed / 60:.1f} min in all. The load generator, the API, "
          "the raw endpoint and the database share the cores.")
    print("\nSeeding (bulk through StudentRepository.import_new: identity claims, log entries v1, projections; "
          f"section entries through SectionRepository.import_entries; {args.seed_workers} processes, each making "
          f"batches of {args.batch} with {args.in_flight} in flight; the time includes making the dossiers)\n")
    print("| up to | dossiers added | section entries | seconds | dossiers/s |")
    print("|---:|---:|---:|---:|---:|")
    for s in seeding:
        print(f"| {s.size:,} | {s.added:,} | {s.entries:,} | {s.seconds:.1f} | {s.rate:,.0f} |")
    total_added, total_seconds = sum(s.added for s in seeding), sum(s.seconds for s in seeding)
    print(f"| total | {total_added:,} | {sum(s.entries for s in seeding):,} | {total_seconds:.1f} | "
          f"{total_added / total_seconds if total_seconds else 0:,.0f} |")
    print(f"\nDossiers under the {BIG_COUNTY} county department: " + ", ".join(f"{c:,} at {s:,}" for s, c in county_sizes))

    print(f"\nP1 student(number), full dossier over GraphQL ({P1_ACCOUNT}) vs raw find_one by _id, same Starlette/uvicorn "
          f"stack. Closed loop: {args.concurrency} concurrent, {args.closed_seconds:.0f} s. Open loop: half the raw "
          f"req/s, {args.open_seconds:.0f} s, latency from the scheduled time.\n")
    print("| dossiers | raw req/s | API req/s | API/raw | API p50 closed ms | rate req/s | raw p50 ms | raw p99 ms "
          "| API p50 ms | API p99 ms | API errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in p1_rows:
        ratio = f"{r.api_rps / r.raw_rps:.2f}×" if r.raw_rps else "—"
        print(f"| {r.size:,} | {r.raw_rps:,.0f} | {r.api_rps:,.0f} | {ratio} | {r.closed_api_p50:.1f} "
              f"| {r.rate:,.0f} | {r.raw_p50:.1f} | {r.raw_p99:.1f} | {r.api_p50:.1f} | {r.api_p99:.1f} | {r.api_errors} |")

    if target:
        print(f"\nP2 students(first: 50) as {BIG_COUNTY_DEPARTMENT}, keyset pages 1-{PAGES} (fewer when the list is "
              f"shorter), up to {args.p2_rounds} rounds within {args.p2_budget:.0f} s per list; raw = the same filter document (StudentRepository._filter) with "
              "PyMongo: count_documents + find sort _id limit 51, as the repository sends them.\n")
    print("| dossiers | list | matching | pages | API p50 ms | API p95 ms | raw p50 ms | raw p95 ms | API/raw p95 "
          "| raw count p50 | raw find p50 |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in p2_rows:
        a95, r95 = pct(row.api, 95), pct(row.raw, 95)
        ratio = f"{a95 / r95:.2f}×" if r95 else "—"
        print(f"| {row.size:,} | {row.shape} | {row.matching:,} | {row.pages} | {ms(pct(row.api, 50)):.1f} | {ms(a95):.1f} "
              f"| {ms(pct(row.raw, 50)):.1f} | {ms(r95):.1f} | {ratio} | {ms(pct(row.raw_count, 50)):.1f} "
              f"| {ms(pct(row.raw_find, 50)):.1f} |")

    if p5:
        print(f"\nP5 RSS of a fresh API process (uvicorn subprocess, /proc/<pid>/status VmRSS) at {p5.size:,} dossiers, "
              f"over {p5.samples[-1][0]:,} requests at concurrency {args.concurrency} (9 full dossier reads : 1 school+grade "
              f"list page), {p5.seconds:.0f} s\n")
        print("| requests | " + " | ".join(f"{n:,}" for n, _ in p5.samples) + " |")
        print("|---|" + "---:|" * len(p5.samples))
        print("| RSS MB | " + " | ".join(f"{mb:.0f}" for _, mb in p5.samples) + " |")

    for prof in profiles:
        if not prof.requests or not prof.total:
            continue
        print(f"\nWhere the time goes: {prof.title} (cProfile of the API process; CPU time by package, "
              f"waiting in epoll left out; {ms(prof.total) / prof.requests:.1f} ms of profiled CPU per request)\n")
        print("| package | share |")
        print("|---|---:|")
        for name, seconds in prof.by_package[:12]:
            print(f"| {name} | {seconds / prof.total:.0%} |")
        print("\n| function (top by own time) | calls | own s | cumulative s |")
        print("|---|---:|---:|---:|")
        for name, calls, tottime, cumtime in prof.top[:10]:
            print(f"| {name} | {calls:,} | {tottime:.2f} | {cumtime:.2f} |")
        print("\n| database command (as the driver times it, profiled run) | per request | median ms | p95 ms |")
        print("|---|---:|---:|---:|")
        for shape, per, median, p95 in prof.commands[:10]:
            print(f"| {shape} | {per:.2f} | {median:.1f} | {p95:.1f} |")
    if explains:
        print("\nThe server side (explain of the same filters at the largest size):\n")
        print("| query | plan |")
        print("|---|---|")
        for query, plan in explains:
            print(f"| {query} | {plan} |")


if __name__ == "__main__":
    main()
