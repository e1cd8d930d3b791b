"""The README's worked examples, run in order against a fresh deployment: every GraphQL
operation and HTTP request of *Worked examples (tested)* with the step that follows it (who
sends it, its variables, what it must answer, what later steps reuse)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from domain.identity import mod11_check_digit
from domain.intake import INTAKE_COLUMNS
from storage.embedded import Endpoints
from tests import scans
from tests.sheets import xlsx
from tests.support import ApiServer, GraphQLClient, settings_for

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Worked examples (tested)"
BLOCK = re.compile(r"^```(graphql|http|json)\n(.*?)^```", re.MULTILINE | re.DOTALL)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass
class Step:
    kind: str  # "graphql" or "http"
    text: str  # the operation, or the request line and headers
    name: str  # the operation's name, or the request line
    spec: dict[str, Any]


def steps() -> Iterator[Step]:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    section = text[start : text.index("\n## ", start + len(SECTION))]
    operations: dict[str, str] = {}
    last: tuple[str, str, str] | None = None
    for m in BLOCK.finditer(section):
        kind, body = m[1], m[2]
        if kind == "graphql":
            name = re.search(r"^(?:query|mutation)\s+(\w+)", body, re.MULTILINE)
            assert name, f"every README operation is named: {body[:60]}"
            operations[name[1]] = body
            last = ("graphql", body, name[1])
        elif kind == "http":
            last = ("http", body, body.splitlines()[0])
        else:
            spec = json.loads(body)
            if "operation" in spec:
                yield Step("graphql", operations[spec["operation"]], spec["operation"], spec)
            else:
                assert last is not None, "a step follows the operation it runs"
                yield Step(*last, spec)
                last = None


def fill(value: Any, kept: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return kept[whole[1]]
        return PLACEHOLDER.sub(lambda m: str(kept[m[1]]), value)
    if isinstance(value, list):
        return [fill(v, kept) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, kept) for k, v in value.items()}
    return value


def at(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def intake_file() -> bytes:
    headers = {c.key: c.headers[0] for c in INTAKE_COLUMNS}
    keys = ["name", "sex", "birth_date", "id_number", "grade", "class_name", "entry_date", "entry_way", "study_mode"]
    rows: list[list[object]] = [[headers[k] for k in keys]]
    for i, (name, day) in enumerate((("李一", 3), ("李二", 4), ("李三", 5))):
        first17 = f"410105201910{day:02d}00{i * 2 + 1}"
        number = first17 + mod11_check_digit(first17)
        if i == 2:  # a mistyped last character
            number = number[:-1] + ("1" if number[-1] != "1" else "2")
        rows.append([name, "男", f"2019-10-{day:02d}", number, "1", "一(2)班", "2026-09-01", "1", "1"])
    return xlsx(rows)


BODIES = {"scan.png": (scans.png, "image/png"), "intake.xlsx": (intake_file, None)}


def run_http(client: GraphQLClient, step: Step, kept: dict[str, Any]) -> dict[str, Any]:
    head = fill(step.text, kept).split("\n\n", 1)[0].split("\n")  # the body's description follows a blank line
    method, target = head[0].split(" ", 1)
    headers = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in head[1:])}
    make, _ = BODIES[step.spec["body"]]
    headers["Authorization"] = f"Bearer {client.token(step.spec['as'])}"
    response = client.http.request(method, target, content=make(), headers=headers)
    answer: dict[str, Any] = response.json()
    answer["status"] = response.status_code
    return answer


def test_every_worked_example_runs_as_the_readme_says(endpoints: Endpoints) -> None:
    found = list(steps())
    assert len(found) >= 15 and {s.kind for s in found} == {"graphql", "http"}
    server = ApiServer(settings_for(endpoints)).start()
    kept: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as http:
            client = GraphQLClient(http, server.settings)
            for step in found:
                spec = step.spec
                deadline = time.monotonic() + 60
                while True:
                    if step.kind == "http":
                        answer = run_http(client, step, kept)
                    else:
                        answer = client(step.text, fill(spec.get("variables", {}), kept), as_=spec["as"])
                    until = spec.get("until", {})
                    if all(at(answer, p) == v for p, v in until.items()) or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                for path, expected in fill(spec.get("expect", {}), kept).items():
                    assert at(answer, path) == expected, (step.name, path, answer)
                for name, path in spec.get("keep", {}).items():
                    kept[name] = at(answer, path)
                    assert kept[name] is not None, (step.name, name)
                if "download" in spec:  # the link opens as it is and gives the file it names
                    link = at(answer, spec["download"])
                    body = httpx.get(link["url"], timeout=30).content
                    assert hashlib.sha256(body).hexdigest() == link["sha256"]
    finally:
        server.stop()
