"""Uploads of 2 MB scanned JPEGs through the API vs raw minio-SDK PUTs of the same bytes
to the same SeaweedFS, in the same run, at concurrency 1 and 8. Prints a table of median
latency, throughput and the ratio to raw, and where the API's time goes.

    ./scripts/bench [--files 40]"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import secrets
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import uvicorn
from pydantic import SecretStr

from api.app import create_app, s3_client
from api.auth import mint_token
from api.logging import configure_logging
from api.settings import Settings
from domain.identity import mod11_check_digit
from storage.check_pool import default_workers
from storage.embedded import EmbeddedServices, free_port
from storage.setup import prepare


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
    with tempfile.TemporaryDirectory() as tmp, EmbeddedServices(Path(tmp)) as ep:
        settings = Settings(
            app_env="test",
            mongodb_uri=ep.mongodb_uri,
            s3_endpoint=ep.s3_endpoint,
            s3_access_key=ep.s3_access_key,
            s3_secret_key=SecretStr(ep.s3_secret_key),
            jwt_secret=SecretStr(secrets.token_urlsafe(48)),
            log_level="WARNING",
        )
        assert settings.mongodb_uri is not None
        asyncio.run(prepare(settings.mongodb_uri, settings.mongodb_database, s3_client(settings), settings.s3_evidence_bucket, demo=True))
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
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
        load_before = os.getloadavg()[0]
        for concurrency in (1, 8):
            current[0] = concurrency
            raw_lat: list[float] = []
            api_lat: list[float] = []
            raw_wall = api_wall = 0.0
            # Alternate raw and API batches, so that load from elsewhere on the machine
            # falls on both sides alike.
            for _ in range(args.rounds):
                lat, wall = run_parallel(raw, args.files // args.rounds, concurrency)
                raw_lat += lat
                raw_wall += wall
                lat, wall = run_parallel(via_api, args.files // args.rounds, concurrency)
                api_lat += lat
                api_wall += wall
            raw_tp, api_tp = len(raw_lat) * mb / raw_wall, len(api_lat) * mb / api_wall
            rows.append((concurrency, statistics.median(raw_lat) * 1000, raw_tp, statistics.median(api_lat) * 1000, api_tp, api_tp / raw_tp))
        server.should_exit = True
        thread.join(10)

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


if __name__ == "__main__":
    main()
