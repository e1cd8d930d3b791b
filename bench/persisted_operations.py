"""Persisted operations vs the same query sent as text: req/s and latency in one run,
against one API process (its own, so that the load generator does not share its
interpreter), at the same concurrency, for two queries: a light one (one school by code)
and the README's dossier read.

    ./scripts/bench persisted_operations [--requests 800] [--concurrency 16] [--rounds 2]

Rounds alternate text and id so that drift of the shared machine hits both alike."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Mapping

import httpx

from api.auth import mint_token
from bench.api_process import running_api
from api.settings import Settings
from domain.identity import mod11_check_digit
from domain.persisted import document_hash

SCHOOL = "query School($code: String!) { school(code: $code) { code name kind ownership areaCode supervisorCode } }"
DOSSIER = """query Dossier($number: String!) {
  student(number: $number) {
    number aliases name sex birthDate idNumber state verification
    school { code name }
    grade className
    completeness { complete missing deadline overdue }
    openBusiness
    history { at actor action changes reason }
    cases { id kind state due overdue }
    documents { id kind retentionClass current { version filename } }
  }
}"""
REGISTER = """mutation R($documents: [PersistedOperationInput!]!) {
  registerPersistedOperations(input: { documents: $documents }) { __typename ... on RegisterPersistedOperationsSuccess { registered } }
}"""
ENROL = "mutation($i: EnrollStudentInput!) { enrollStudent(input: $i) { ... on EnrollStudentSuccess { student { number } } } }"


async def load(url: str, token: str, body: Mapping[str, object], count: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    remaining = count
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=concurrency)) as http:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                response = await http.post("/graphql", json=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200 and "errors" not in response.json(), response.text

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with running_api({"PERSISTED_OPERATIONS": "allow"}) as (url, settings):
        rows = run(url, settings, args)

    print(f"\n{args.requests} requests per run, concurrency {args.concurrency}, {args.rounds} runs per way, one API process\n")
    print("| query | sent as | req/s | median ms | p95 ms | id / text |")
    print("|---|---|---:|---:|---:|---:|")
    for name, text, by_id in rows:
        for label, (rate, median, p95) in (("text", text), ("documentId", by_id)):
            ratio = f"{by_id[0] / text[0]:.2f}×" if label == "documentId" else ""
            print(f"| {name} | {label} | {rate:.0f} | {median:.1f} | {p95:.1f} | {ratio} |")


def run(url: str, settings: Settings, args: argparse.Namespace) -> list[tuple[str, tuple[float, float, float], tuple[float, float, float]]]:
    registrar = mint_token(settings, "weiwu.registrar")
    admin = mint_token(settings, "admin")
    first17 = "41010520190903001"
    enrol = {
        "schoolCode": "2141010501",
        "idDocument": {"kind": "RESIDENT_ID", "number": first17 + mod11_check_digit(first17)},
        "basic": {"name": "王测试", "sex": "MALE", "birthDate": "2019-09-03"},
        "grade": 1, "className": "一(1)班", "entryDate": "2026-09-01", "entryWay": "1", "studyMode": "1",
    }
    with httpx.Client(base_url=url, timeout=60) as http:
        answer = http.post("/graphql", json={"query": ENROL, "variables": {"i": enrol}}, headers={"Authorization": f"Bearer {registrar}"}).json()
        number = answer["data"]["enrollStudent"]["student"]["number"]
        documents = [{"hash": "sha256:" + document_hash(q), "document": q} for q in (SCHOOL, DOSSIER)]
        registered = http.post("/graphql", json={"query": REGISTER, "variables": {"documents": documents}}, headers={"Authorization": f"Bearer {admin}"})
        assert registered.json()["data"]["registerPersistedOperations"]["registered"] == 2, registered.text

    rows = []
    for name, query, variables in (("school (light)", SCHOOL, {"code": "2141010501"}), ("dossier (README)", DOSSIER, {"number": number})):
        bodies = {
            "text": {"query": query, "variables": variables},
            "id": {"documentId": "sha256:" + document_hash(query), "variables": variables},
        }
        for body in bodies.values():  # warm up both ways (the first request by id fills the cache)
            asyncio.run(load(url, registrar, body, 50, args.concurrency))
        wall = {"text": 0.0, "id": 0.0}
        latencies: dict[str, list[float]] = {"text": [], "id": []}
        for _ in range(args.rounds):
            for way, body in bodies.items():
                seconds, lat = asyncio.run(load(url, registrar, body, args.requests, args.concurrency))
                wall[way] += seconds
                latencies[way] += lat

        def stats(way: str) -> tuple[float, float, float]:
            lat = sorted(latencies[way])
            return len(lat) / wall[way], statistics.median(lat) * 1000, lat[int(len(lat) * 0.95)] * 1000

        rows.append((name, stats("text"), stats("id")))
    return rows


if __name__ == "__main__":
    main()
