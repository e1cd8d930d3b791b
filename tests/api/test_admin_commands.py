"""`scripts/admin create-admin | import-areas | import-schools`, run as processes against the
test servers: a fresh deployment gets its first admin and its lists, a second run changes
nothing and says so, and a refused file writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from pymongo import MongoClient

from storage.embedded import PROJECT_ROOT, Endpoints
from tests.sheets import xlsx
from tests.support import ApiServer, GraphQLClient, settings_for

AREAS_CSV = "行政区划代码,单位名称\n411000,许昌市\n411002,魏都区\n411003,建安区\n"
SCHOOL_HEADERS: list[object] = ["学校标识码", "学校名称", "办学类型", "办学性质", "所在地行政区划代码", "学籍主管部门代码"]
SCHOOL_ROWS: list[list[object]] = [
    ["2141100201", "魏都区实验小学", "小学", "公办", "411002", None],
    ["2141100301", "建安区育英学校", "九年一贯制学校", "民办", "411003", ""],
    ["2141100202", "许昌市特殊教育学校", "特殊教育学校", "公办", "411002", "411000"],
]
HISTORY = """query($c: String!) { school(code: $c) { name history { version action effectiveOn actor } } }"""


@pytest.fixture(scope="module")
def fresh_api(endpoints: Endpoints) -> Iterator[ApiServer]:
    """A deployment with indexes and no demo data: no areas, no schools, no accounts."""
    server = ApiServer(settings_for(endpoints)).start(seed=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def store(fresh_api: ApiServer) -> Iterator[Any]:
    assert fresh_api.settings.mongodb_uri is not None
    mongo: MongoClient[dict[str, Any]] = MongoClient(fresh_api.settings.mongodb_uri, tz_aware=True)
    yield mongo[fresh_api.settings.mongodb_database]
    mongo.close()


@pytest.fixture
def client(fresh_api: ApiServer) -> Iterator[GraphQLClient]:
    with httpx.Client(base_url=fresh_api.base_url, timeout=60) as http:
        yield GraphQLClient(http, fresh_api.settings)


def run(api: ApiServer, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`scripts/admin` as a process, configured for the test deployment's database."""
    assert api.settings.mongodb_uri is not None
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "APP_ENV": "test",
        "JWT_SECRET": "unused-by-these-commands-" + "x" * 20,
        "MONGODB_URI": api.settings.mongodb_uri,
        "MONGODB_DATABASE": api.settings.mongodb_database,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "scripts.admin_cmd", *args], cwd=PROJECT_ROOT, env=environment,
        capture_output=True, text=True, timeout=120,
    )




def logged(store: Any, aggregate: str) -> int:
    return int(store.transitions.count_documents({"aggregate": aggregate}))


def test_create_admin_refuses_without_its_variables(fresh_api: ApiServer, store: Any) -> None:
    for env in ({}, {"ADMIN_LOGIN": "wang.admin"}, {"ADMIN_NAME": "王管理员"}):
        done = run(fresh_api, "create-admin", **env)
        assert done.returncode == 2 and "set ADMIN_LOGIN" in done.stdout, done
    bad = run(fresh_api, "create-admin", ADMIN_LOGIN="Wang Admin", ADMIN_NAME="王管理员")
    assert bad.returncode == 2 and "ADMIN_LOGIN: INVALID_LOGIN" in bad.stdout
    assert store.accounts.count_documents({}) == 0


def test_create_admin_once_then_it_signs_in(fresh_api: ApiServer, store: Any, client: GraphQLClient) -> None:
    env = {"ADMIN_LOGIN": "wang.admin", "ADMIN_NAME": "王管理员"}
    first = run(fresh_api, "create-admin", **env)
    assert first.returncode == 0 and "created the admin wang.admin" in first.stdout, first
    assert client("{ viewer { login role scopeCode canWrite } }", as_="wang.admin")["viewer"] == {
        "login": "wang.admin", "role": "ADMIN", "scopeCode": None, "canWrite": True,
    }
    entry = store.transitions.find_one({"_id": "account:wang.admin:0000000001"})
    assert entry["action"] == "ACCOUNT_CREATED" and entry["actor"] == "system:admin-cli"
    event = store.audit_events.find_one({"action": "command:createAdmin", "target_id": "wang.admin"})
    assert event["outcome"] == "ok" and event["role"] == "SYSTEM" and event["details"]["osUser"]

    before = (list(store.accounts.find()), logged(store, "account"), store.audit_events.count_documents({}))
    again = run(fresh_api, "create-admin", **env)
    assert again.returncode == 0 and "exists already; nothing changed" in again.stdout
    assert (list(store.accounts.find()), logged(store, "account"), store.audit_events.count_documents({})) == before

    # Nothing is created before the areas are loaded; a login held by another role is not taken over.
    created = client("""mutation { createAccount(input: {login: "xuchang.dept", name: "许昌市教育局", role: CITY_DEPARTMENT,
      scopeCode: "411000"}) { __typename ... on CreateAccountError { code } } }""", as_="wang.admin")["createAccount"]
    assert created == {"__typename": "CreateAccountError", "code": "NOT_FOUND"}
    store.accounts.insert_one({"_id": "zhao.auditor", "name": "审计", "role": "AUDITOR", "scope_code": "410000", "disabled": False})
    taken = run(fresh_api, "create-admin", ADMIN_LOGIN="zhao.auditor", ADMIN_NAME="赵")
    assert taken.returncode == 1 and "belongs to an account of role AUDITOR; nothing changed" in taken.stdout
    assert store.accounts.find_one({"_id": "zhao.auditor"})["role"] == "AUDITOR"


def test_a_token_from_scripts_token_for_the_new_admin(fresh_api: ApiServer, client: GraphQLClient) -> None:
    assert run(fresh_api, "create-admin", ADMIN_LOGIN="li.admin", ADMIN_NAME="李管理员").returncode == 0
    secret = fresh_api.settings.jwt_secret
    assert secret is not None
    env = {"PATH": os.environ.get("PATH", ""), "APP_ENV": "test", "JWT_SECRET": secret.get_secret_value()}
    minted = subprocess.run(
        [sys.executable, "-m", "scripts.token_cmd", "li.admin"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )
    answer = client.http.post("/graphql", json={"query": "{ viewer { login role } }"},
                              headers={"Authorization": f"Bearer {minted.stdout.strip()}"})
    assert answer.json() == {"data": {"viewer": {"login": "li.admin", "role": "ADMIN"}}}


def test_lists_load_from_files_and_a_second_run_changes_nothing(
    fresh_api: ApiServer, store: Any, client: GraphQLClient, tmp_path: Path
) -> None:
    areas = tmp_path / "gbt2260.csv"
    areas.write_text(AREAS_CSV, encoding="gb18030")
    done = run(fresh_api, "import-areas", str(areas), "--effective-on", "2026-01-01")
    assert done.returncode == 0, done
    assert "3 rows, effective 2026-01-01: 3 created, 0 changed, 0 unchanged, 0 refused" in done.stdout

    schools = tmp_path / "学校名录.xlsx"
    schools.write_bytes(xlsx([SCHOOL_HEADERS, *SCHOOL_ROWS]))
    first = run(fresh_api, "import-schools", str(schools), "--effective-on", "2026-09-01")
    assert first.returncode == 0 and "3 created" in first.stdout, first
    before = (logged(store, "school"), logged(store, "area"), list(store.schools.find(sort=[("_id", 1)])))
    again = run(fresh_api, "import-schools", str(schools), "--effective-on", "2026-09-01")
    assert again.returncode == 0 and "0 created, 0 changed, 3 unchanged, 0 refused" in again.stdout
    assert run(fresh_api, "import-areas", str(areas)).returncode == 0
    assert (logged(store, "school"), logged(store, "area"), list(store.schools.find(sort=[("_id", 1)]))) == before

    renamed: list[list[object]] = [["2141100201", "魏都区实验小学（东校区）", "小学", "公办", "411002", None], *SCHOOL_ROWS[1:]]
    schools.write_bytes(xlsx([SCHOOL_HEADERS, *renamed]))
    report = tmp_path / "report.xlsx"
    changed = run(fresh_api, "import-schools", str(schools), "--effective-on", "2026-10-08", "--report", str(report))
    assert changed.returncode == 0, changed
    assert "changed  row 2  2141100201  name: 魏都区实验小学 → 魏都区实验小学（东校区）" in changed.stdout
    assert logged(store, "school") == before[0] + 1
    sheet = openpyxl.load_workbook(report).active
    assert sheet is not None and [c.value for c in sheet[2]][:3] == [2, "2141100201", "CHANGED"]

    history = client(HISTORY, {"c": "2141100201"}, as_="wang.admin")["school"]
    assert history["name"] == "魏都区实验小学（东校区）"
    assert [(v["version"], v["action"], v["effectiveOn"], v["actor"]) for v in history["history"]] == [
        (1, "SCHOOL_CREATED", "2026-09-01", "system:admin-cli"),
        (2, "SCHOOL_RENAMED", "2026-10-08", "system:admin-cli"),
    ]
    events = {e["action"]: e for e in store.audit_events.find({"actor": "system:admin-cli"})}
    assert events["command:importSchools"]["target_id"] == "学校名录.xlsx"


def test_a_refused_row_or_file_writes_nothing_and_fails(fresh_api: ApiServer, store: Any, tmp_path: Path) -> None:
    schools = tmp_path / "schools.csv"
    schools.write_text(
        "school code,name,kind,ownership,area code\n"
        "2141100299,魏都区新建小学,小学,公办,411002\n"
        "2141100298,魏都区完全中学,完全中学,公办,411002\n",
        encoding="utf-8",
    )
    before = (logged(store, "school"), store.schools.count_documents({}))
    refused = run(fresh_api, "import-schools", str(schools))
    assert refused.returncode == 1
    assert "refused  row 3  2141100298  kind UNKNOWN_SCHOOL_KIND" in refused.stdout
    assert "nothing was written" in refused.stdout
    assert (logged(store, "school"), store.schools.count_documents({})) == before
    event = store.audit_events.find_one({"action": "command:importSchools", "outcome": "ROWS_REFUSED"})
    assert event["details"]["refused"] == 1

    missing = tmp_path / "no-kind.csv"
    missing.write_text("学校标识码,学校名称,办学性质,所在地行政区划代码\n2141100299,x,公办,411002\n", encoding="utf-8")
    columns = run(fresh_api, "import-schools", str(missing))
    assert columns.returncode == 1 and "SPREADSHEET_COLUMNS" in columns.stdout
    future = run(fresh_api, "import-areas", str(missing), "--effective-on", "2999-01-01")
    assert future.returncode == 1 and "SPREADSHEET_COLUMNS" in future.stdout  # the file is read first
    assert (logged(store, "school"), store.schools.count_documents({})) == before
