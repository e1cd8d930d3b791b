"""Uploads of 2 MB scanned JPEGs through the API vs raw minio-SDK PUTs of the same bytes
to the same SeaweedFS, in the same run, at concurrency 1 and 8. Prints a table of median
latency, throughput and the ratio to raw, and where the API's time goes.

    ./scripts/bench [--files 40]"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from api.app import s3_client
from api.auth import mint_token
from api.logging import configure_logging
from api.settings import Settings
from bench.api_process import prepared_services
from domain.identity import mod11_check_digit
from storage.check_pool import default_workers
from storage.embedded import free_port


def scanned_jpeg(target: int = 2 * 1024 * 1024) -> bytes:
    from PIL import Image
    import random

    rnd = random.Random(7)
    side = 1000
    while True:
        img = Image.frombytes("RGB", (side, side), rnd.randbytes(side * side * 3))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=75)
        if out.tell() >= target:
            return out.getvalue()
        side += 50


def start_api(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    """The API in its own process, as deployed (uvicorn), so that it does not share an
    interpreter (and its GIL) with the load generator."""
    assert settings.s3_secret_key is not None and settings.jwt_secret is not None
    env = {
        **os.environ,
        "APP_ENV": "test",
        "MONGODB_URI": settings.mongodb_uri or "",
        "MONGODB_DATABASE": settings.mongodb_database,
        "S3_ENDPOINT": settings.s3_endpoint or "",
        "S3_ACCESS_KEY": settings.s3_access_key or "",
        "S3_SECRET_KEY": settings.s3_secret_key.get_secret_value(),
        "JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.main:app_from_env", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the API did not start")


def cpu_by_process() -> dict[str, float]:
    """CPU seconds used so far by this process and its descendants, by kind."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    me = os.getpid()
    totals: dict[str, float] = {}
    for pid, seconds in used.items():
        chain, p = [], pid
        while p in parents and p not in (me, 0, 1):
            chain.append(p)
            p = parents[p]
        if p != me and pid != me:
            continue
        command = commands.get(pid, "")
        if pid == me:
            kind = "load generator"
        elif "weed" in command:
            kind = "SeaweedFS"
        elif "ferretdb" in command:
            kind = "FerretDB"
        elif "uvicorn" in command:
            kind = "API"
        elif "forkserver" in command or "resource_tracker" in command:
            kind = "check workers"
        else:
            kind = "other"
        totals[kind] = totals.get(kind, 0.0) + seconds
    return totals


def run_parallel(work, count: int, concurrency: int) -> tuple[list[float], float]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []

    def one(i: int) -> None:
        started = time.perf_counter()
        work(i)
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    return latencies, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=4, help="raw and API batches alternate this many times")
    args = parser.parse_args()
    configure_logging("WARNING")
    body = scanned_jpeg()
    mb = len(body) / 1e6
    with prepared_services(log_level="WARNING") as settings:
        port = free_port()
        api = start_api(settings, port)
        token = mint_token(settings, "weiwu.registrar")
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120, limits=httpx.Limits(max_connections=16))
        first17 = "41010520190903001"
        enrol = {
            "schoolCode": "2141010501",
            "idDocument": {"kind": "RESIDENT_ID", "number": first17 + mod11_check_digit(first17)},
            "basic": {"name": "王测试", "sex": "MALE", "birthDate": "2019-09-03"},
            "grade": 1, "className": "一(1)班", "entryDate": "2026-09-01", "entryWay": "1", "studyMode": "1",
        }
        q = "mutation($i: EnrollStudentInput!) { enrollStudent(input: $i) { ... on EnrollStudentSuccess { student { number } } } }"
        number = http.post("/graphql", json={"query": q, "variables": {"i": enrol}}, headers={"Authorization": f"Bearer {token}"}).json()["data"]["enrollStudent"]["student"]["number"]
        phases: dict[int, dict[str, list[float]]] = {1: {}, 8: {}}
        current = [1]

        def via_api(_: int) -> None:
            r = http.post(
                "/uploads",
                params={"student": number, "kind": "HOUSEHOLD_REGISTER", "filename": "scan.jpg"},
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"},
            )
            assert r.status_code == 201, r.text
            for part in r.headers["server-timing"].split(", "):
                name, dur = part.split(";dur=")
                phases[current[0]].setdefault(name, []).append(float(dur))

        s3 = s3_client(settings)

        def raw(i: int) -> None:
            s3.put_object(settings.s3_evidence_bucket, f"bench/raw-{secrets.token_hex(6)}", io.BytesIO(body), len(body), content_type="image/jpeg")

        for _ in range(4):  # warm both paths (and start every check worker)
            via_api(0)
            raw(0)
        for found in phases.values():
            found.clear()
        rows = []
        cpu: dict[tuple[str, int], dict[str, float]] = {(side, c): {} for side in ("raw", "API") for c in (1, 8)}
        load_before = os.getloadavg()[0]
        for concurrency in (1, 8):
            current[0] = concurrency
            raw_lat: list[float] = []
            api_lat: list[float] = []
            raw_wall = api_wall = 0.0
            # Alternate raw and API batches, so that load from elsewhere on the machine
            # falls on both sides alike.
            for _ in range(args.rounds):
                before = cpu_by_process()
                lat, wall = run_parallel(raw, args.files // args.rounds, concurrency)
                raw_lat += lat
                raw_wall += wall
                middle = cpu_by_process()
                lat, wall = run_parallel(via_api, args.files // args.rounds, concurrency)
                api_lat += lat
                api_wall += wall
                after = cpu_by_process()
                for name in after:
                    cpu[("raw", concurrency)][name] = cpu[("raw", concurrency)].get(name, 0.0) + middle.get(name, 0.0) - before.get(name, 0.0)
                    cpu[("API", concurrency)][name] = cpu[("API", concurrency)].get(name, 0.0) + after[name] - middle.get(name, 0.0)
            raw_tp, api_tp = len(raw_lat) * mb / raw_wall, len(api_lat) * mb / api_wall
            rows.append((concurrency, statistics.median(raw_lat) * 1000, raw_tp, statistics.median(api_lat) * 1000, api_tp, api_tp / raw_tp))
        api.terminate()
        api.wait(30)

    print(
        f"\n{args.files} uploads of a {mb:.2f} MB JPEG per row (median latency, throughput); "
        f"{os.cpu_count()} cores, {settings.upload_check_workers or default_workers()} check workers, "
        f"load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after\n"
    )
    print("| concurrency | raw PUT ms | raw MB/s | API ms | API MB/s | API / raw |")
    print("|---:|---:|---:|---:|---:|---:|")
    for c, rl, rt, al, at, ratio in rows:
        print(f"| {c} | {rl:.1f} | {rt:.1f} | {al:.1f} | {at:.1f} | {ratio:.2f}× |")
    print("\nwhere the API's time goes (median ms per upload; Server-Timing of each response):\n")
    names = list(phases[1])
    print("| concurrency | " + " | ".join(names) + " |")
    print("|---:|" + "---:|" * len(names))
    for c in (1, 8):
        print(f"| {c} | " + " | ".join(f"{statistics.median(phases[c][n]):.1f}" for n in names) + " |")
    print("\nCPU per upload by process (ms; the cores' time, from /proc, over the same batches):\n")
    kinds = ["load generator", "API", "check workers", "SeaweedFS", "FerretDB"]
    print("| path | concurrency | " + " | ".join(kinds) + " | total |")
    print("|---|---:|" + "---:|" * (len(kinds) + 1))
    per_side = args.files // args.rounds * args.rounds
    for (side, c), used in cpu.items():
        cells = [used.get(k, 0.0) * 1000 / per_side for k in kinds]
        print(f"| {side} | {c} | " + " | ".join(f"{v:.1f}" for v in cells) + f" | {sum(cells):.1f} |")


if __name__ == "__main__":
    main()
