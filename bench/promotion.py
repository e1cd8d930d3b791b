"""The year-end change of a whole population (issue 10 §2, P4; Art. 17) through the job,
against a raw `update_many` of the same grade change on the same server and data.

The population is `bench/dossiers.py`'s (113 schools of every kind, seeded in bulk through
`StudentRepository.import_new`), every student ENROLLED. Each round, on the same data:

- **raw**: the last grade of each school kind graduates (`update_many` of `state`), then
  every ENROLLED student moves up a grade (`update_many` with `$inc`) — three statements;
  then, untimed, the same statements in reverse put the data back as it was;
- **job**: the plan over every school (`PromotionStore.school_dossiers` per school and
  `domain.promotion.make_plan`, what `planYearEnd` runs, and its moves stored), then
  `application.promotion.run_job`, what `runPromotion` starts: for each student a new
  version claimed in the transition log, its change-feed entry and its projection, in
  bulk `--batch` at a time, and its outcome.

Rounds move the population on by a year (a round's graduates stay graduated), so each round
changes fewer students; the table gives every round and the medians, with the ratios
job / raw (the run alone, and plan + run).

    ./scripts/bench promotion [--students 100000] [--rounds 3] [--batch 500]"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from api.app import s3_client, stores_of
from api.logging import configure_logging
from application import promotion
from bench.dossiers import Population, backing_services, bench_settings, say
from bench.population import schools
from domain import promotion as rules
from domain.dossier import Dossier
from domain.enrolment import GRADES
from domain.jurisdiction import School
from domain.ports import Stamp
from scripts.init_cmd import s3_admin_client
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect
from storage.setup import prepare

DAY = date(2027, 7, 1)


@dataclass
class Round:
    raw_s: float
    raw_changed: int
    plan_s: float
    run_s: float
    moved: int
    excepted: int


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _last_grades() -> dict[int, list[str]]:
    """The codes of the schools whose students graduate from each grade."""
    out: dict[int, list[str]] = {}
    for placed in schools():
        out.setdefault(GRADES[placed.school.kind].last, []).append(placed.school.code)
    return out


async def raw_round(uri: str, database: str) -> tuple[float, int]:
    client = connect(uri, serverSelectionTimeoutMS=120_000, socketTimeoutMS=0)
    try:
        students = client[database].students
        started = time.perf_counter()
        changed = 0
        for last, codes in _last_grades().items():
            result = await students.update_many(
                {"school_code": {"$in": codes}, "grade": last, "state": "ENROLLED"},
                {"$set": {"state": "GRADUATED", "graduated_on": datetime(2027, 7, 1, tzinfo=UTC), "bench_raw": True}},
            )
            changed += result.modified_count
        result = await students.update_many({"state": "ENROLLED"}, {"$inc": {"grade": 1}})
        changed += result.modified_count
        seconds = time.perf_counter() - started
        # untimed: back as it was, for the job's round on the same data
        await students.update_many({"state": "ENROLLED"}, {"$inc": {"grade": -1}})
        await students.update_many({"bench_raw": True}, {"$set": {"state": "ENROLLED", "graduated_on": None}, "$unset": {"bench_raw": ""}})
        return seconds, changed
    finally:
        await client.close()


async def job_round(settings_uri: str, database: str, archive: EvidenceArchive, batch: int) -> tuple[float, float, int, int]:
    client = connect(settings_uri, serverSelectionTimeoutMS=120_000, socketTimeoutMS=0)
    try:
        stores = stores_of(Collections.of(client[database]), archive)
        started = time.perf_counter()
        students: list[tuple[School, Dossier]] = []
        for placed in schools():
            students += [(placed.school, d) for d in await stores.promotion.school_dossiers(placed.school.code)]
        plan = rules.make_plan(f"bench{int(time.time())}", "system:bench", datetime.now(UTC), DAY, range(1, 10), students)
        await stores.promotion.save(plan)
        planned = time.perf_counter()
        await promotion.run_job(stores, plan.id, Stamp("system:bench", plan.request_id), batch=batch)
        ran = time.perf_counter()
        moved = await client[database].students.count_documents({"year_end_plan": plan.id})
        if moved != plan.total:
            raise RuntimeError(f"{plan.total} planned, {moved} moved")
        return planned - started, ran - planned, moved, len(plan.exceptions)
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=promotion.BATCH, help="students per bulk write of the job")
    parser.add_argument("--seed-workers", type=int, default=3, help="seeding processes")
    args = parser.parse_args()
    configure_logging("WARNING")
    signal.signal(signal.SIGTERM, _interrupt)
    started, load_before = time.perf_counter(), os.getloadavg()
    rounds: list[Round] = []
    seed_rate = 0.0
    interrupted = False
    try:
        with tempfile.TemporaryDirectory(prefix="xueji-bench-") as tmp_name:
            tmp = Path(tmp_name)
            tmp.chmod(0o711)
            with backing_services(tmp) as endpoints, contextlib.ExitStack() as stack:
                settings = bench_settings(endpoints)
                uri, database = settings.mongodb_uri or "", settings.mongodb_database
                asyncio.run(prepare(uri, database, s3_admin_client(settings), settings.s3_evidence_bucket, demo=True))
                population = Population(settings, batch=1000, in_flight=2, workers=args.seed_workers)
                stack.callback(population.close)
                asyncio.run(population.reference_data())
                say(f"seeding {args.students:,} dossiers")
                seed_rate = population.grow_to(args.students).rate
                archive = EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket)
                for r in range(args.rounds):
                    say(f"round {r + 1} of {args.rounds}: raw")
                    raw_s, raw_changed = asyncio.run(raw_round(uri, database))
                    say(f"  raw {raw_s:.1f} s ({raw_changed:,} changed); job")
                    plan_s, run_s, moved, excepted = asyncio.run(job_round(uri, database, archive, args.batch))
                    say(f"  plan {plan_s:.1f} s, run {run_s:.1f} s ({moved:,} moved)")
                    rounds.append(Round(raw_s, raw_changed, plan_s, run_s, moved, excepted))
    except KeyboardInterrupt:
        interrupted = True
        say("interrupted: the table holds what was measured until then")
    except Exception:  # noqa: BLE001 - report what was measured, then the failure
        interrupted = True
        traceback.print_exc()
    report(args, rounds, seed_rate, load_before, time.perf_counter() - started, interrupted)


def report(args: argparse.Namespace, rounds: list[Round], seed_rate: float, load_before: tuple[float, float, float], elapsed: float, interrupted: bool) -> None:
    load = os.getloadavg()
    if interrupted:
        print("\nINTERRUPTED: only what was measured before the interruption is below.")
    print(f"\n{os.cpu_count()} cores; load average {load_before[0]:.2f} at the start, {load[0]:.2f} / {load[1]:.2f} / "
          f"{load[2]:.2f} (1/5/15 min) at the end; {elapsed / 60:.1f} min in all.")
    print(f"{args.students:,} dossiers seeded at {seed_rate:,.0f}/s; job batches of {args.batch}.\n")
    print("| round | students changed | raw update_many s | job plan s | job run s | run / raw | plan + run / raw |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(rounds, 1):
        print(f"| {i} | {r.moved:,} (+{r.excepted:,} excepted) | {r.raw_s:.1f} | {r.plan_s:.1f} | {r.run_s:.1f} "
              f"| {r.run_s / r.raw_s:.2f}× | {(r.plan_s + r.run_s) / r.raw_s:.2f}× |")
    if rounds:
        raw = statistics.median(r.raw_s for r in rounds)
        plan = statistics.median(r.plan_s for r in rounds)
        run = statistics.median(r.run_s for r in rounds)
        print(f"| median | | {raw:.1f} | {plan:.1f} | {run:.1f} | {run / raw:.2f}× | {(plan + run) / raw:.2f}× |")


if __name__ == "__main__":
    main()
