"""Bulk intake (issue 11 §2): rows per second of one spreadsheet of new entrants through
POST /intake (upload, then poll `intakeJob` until done), against the same rows sent one by
one through `enrollStudent` over HTTP, as a registrar's form would, on the same API process
and database, in one run. Each round uses fresh identities so that both ways do real
enrolments; rounds alternate the two ways so that drift of the shared machine hits both.

    ./scripts/bench intake [--rows 2000] [--rounds 2] [--concurrency 4]"""

from __future__ import annotations

import argparse
import io
import itertools
import statistics
import time
from datetime import date, timedelta
from typing import Any

import httpx
import openpyxl

from api.auth import mint_token
from bench.api_process import running_api
from domain.identity import mod11_check_digit
from domain.intake import INTAKE_COLUMNS

SCHOOL = "2141010501"
ENROL = "mutation($i: EnrollStudentInput!) { enrollStudent(input: $i) { __typename ... on EnrollStudentError { code message } } }"
JOB = "query($id: ID!) { intakeJob(id: $id) { state processed counts { enrolled } } }"
_serial = itertools.count(1)
GIVEN = "明华强丽军芳伟娜静磊洋艳勇杰娟涛超秀霞平刚桂英"


def person() -> dict[str, Any]:
    n = next(_serial)
    born = date(2019, 9, 1) + timedelta(days=n % 365)
    # distinct numbers: the day and the sequence together are unique for n < 365,000
    first17 = f"4101{(n // 365_000) % 100:02d}{born:%Y%m%d}{(n // 365) % 1000:03d}"
    return {
        "name": "王" + GIVEN[n % len(GIVEN)] + GIVEN[(n // len(GIVEN)) % len(GIVEN)] + GIVEN[(n // 529) % len(GIVEN)],
        "born": born,
        "id": first17 + mod11_check_digit(first17),
        "male": int(first17[-1]) % 2 == 1,
    }


def workbook(people: list[dict[str, Any]]) -> bytes:
    headers = {c.key: c.headers[0] for c in INTAKE_COLUMNS}
    keys = ["name", "sex", "birth_date", "id_number", "grade", "class_name", "entry_date", "entry_way", "study_mode"]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([headers[k] for k in keys])
    for p in people:
        sheet.append([p["name"], "男" if p["male"] else "女", p["born"].isoformat(), p["id"], "1", "一(1)班", "2026-09-01", "1", "1"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def by_intake(http: httpx.Client, token: str, people: list[dict[str, Any]]) -> tuple[float, int]:
    data = workbook(people)
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    response = http.post("/intake", params={"school": SCHOOL, "filename": "bench.xlsx"}, content=data, headers=headers)
    assert response.status_code == 202, response.text
    job_id = response.json()["job"]["id"]
    while True:
        job = http.post("/graphql", json={"query": JOB, "variables": {"id": job_id}}, headers=headers).json()["data"]["intakeJob"]
        if job["state"] != "RUNNING":
            break
        time.sleep(1.0)  # as a page polls
    return time.perf_counter() - started, job["counts"]["enrolled"]


def by_mutation(http: httpx.Client, token: str, people: list[dict[str, Any]]) -> tuple[float, int]:
    headers = {"Authorization": f"Bearer {token}"}
    enrolled = 0
    started = time.perf_counter()
    for p in people:
        given = {
            "schoolCode": SCHOOL,
            "idDocument": {"kind": "RESIDENT_ID", "number": p["id"]},
            "basic": {"name": p["name"], "sex": "MALE" if p["male"] else "FEMALE", "birthDate": p["born"].isoformat()},
            "grade": 1, "className": "一(1)班", "entryDate": "2026-09-01", "entryWay": "1", "studyMode": "1",
        }
        answer = http.post("/graphql", json={"query": ENROL, "variables": {"i": given}}, headers=headers).json()
        enrolled += answer["data"]["enrollStudent"]["__typename"] == "EnrollStudentSuccess"
    return time.perf_counter() - started, enrolled


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"enrollStudent, one by one": [], "POST /intake": []}
    enrolled: dict[str, int] = dict.fromkeys(rates, 0)
    with running_api({"INTAKE_CONCURRENCY": str(args.concurrency)}) as (url, settings):
        token = mint_token(settings, "weiwu.registrar")
        with httpx.Client(base_url=url, timeout=600) as http:
            for _ in range(args.rounds):
                for way, run in (("enrollStudent, one by one", by_mutation), ("POST /intake", by_intake)):
                    seconds, count = run(http, token, [person() for _ in range(args.rows)])
                    rates[way].append(args.rows / seconds)
                    enrolled[way] += count
    base = statistics.median(rates["enrollStudent, one by one"])
    print(f"\n{args.rows} new entrants per run, {args.rounds} runs per way, intake concurrency {args.concurrency}, one API process\n")
    print("| way | rows/s (median) | runs | enrolled | vs one by one |")
    print("|---|---:|---|---:|---:|")
    for way, values in rates.items():
        print(f"| {way} | {statistics.median(values):.1f} | {', '.join(f'{v:.1f}' for v in values)} | {enrolled[way]} | {statistics.median(values) / base:.2f}× |")


if __name__ == "__main__":
    main()
