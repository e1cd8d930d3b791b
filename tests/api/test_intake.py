"""Bulk intake from spreadsheets (Art. 5, 6) through HTTP and GraphQL against the real
servers: the template, per-row results decided by exactly the rules of `enrollStudent`,
the same file twice, the report and its round trip, who may do it, hostile files, and a
run stopped half-way and resumed."""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from datetime import UTC, date, datetime, timedelta
from collections.abc import Callable
from typing import Any

import httpx
import openpyxl
import pytest

from api.app import s3_client, stores_of
from api.settings import Settings
from application import intake
from application.session import Actor, Session
from domain.intake import INTAKE_COLUMNS
from storage.evidence_store import EvidenceArchive
from storage.mongo import Collections, connect
from storage.spreadsheets import read_table
from tests.factories import ENROL, enrolment, resident_id, school_age_birth, unique_name
from storage.embedded import Endpoints
from tests.sheets import xlsx
from tests.support import ApiServer, GraphQLClient, settings_for

WEIWU = "2141010501"  # a primary school in 金水区; weiwu.registrar keys in its students
FUNIU = "2141010201"
HEADERS = {c.key: c.headers[0] for c in INTAKE_COLUMNS}
JOB = """query($id: ID!) { intakeJob(id: $id) {
  id schoolCode total processed state reportPath counts { enrolled alreadyEnrolled refused needsReview }
  rows(first: 100) { totalCount edges { node { row outcome number problems { column header code message } candidates } } }
} }"""


def row(**over: Any) -> dict[str, Any]:
    born = over.pop("born", None) or school_age_birth()
    value: dict[str, Any] = {
        "name": unique_name(),
        "sex": "男",
        "birth_date": born.isoformat(),
        "id_number": resident_id(born, male=True),
        "grade": "一年级",
        "class_name": "一(1)班",
        "entry_date": "2026-09-01",
        "entry_way": "1",
        "study_mode": "走读",
        "ethnicity": "汉族",
    }
    value.update(over)
    return value


def workbook(rows: list[dict[str, Any]], keys: list[str] | None = None) -> bytes:
    keys = keys or sorted({k for r in rows for k in r}, key=list(HEADERS).index)
    return xlsx([[HEADERS[k] for k in keys], *([r.get(k) for k in keys] for r in rows)])


def post(gql: GraphQLClient, data: bytes, *, as_: str = "weiwu.registrar", school: str = WEIWU, name: str = "新生.xlsx") -> Any:
    return gql.http.post(
        "/intake", params={"school": school, "filename": name}, content=data, headers={"Authorization": f"Bearer {gql.token(as_)}"}
    )


def finished(gql: GraphQLClient, job_id: str, *, as_: str = "weiwu.registrar", timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = gql(JOB, {"id": job_id}, as_=as_)["intakeJob"]
        if job["state"] != "RUNNING" or time.monotonic() > deadline:
            assert job["state"] == "DONE", job
            return job
        time.sleep(0.2)


def outcomes(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["node"] for e in job["rows"]["edges"]]


def run_intake(gql: GraphQLClient, rows: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    response = post(gql, workbook(rows), **kw)
    assert response.status_code == 202, response.text
    return finished(gql, response.json()["job"]["id"])


def test_the_template_names_every_column_and_reads_back_through_the_intake(gql: GraphQLClient) -> None:
    response = gql.http.get("/intake/template.xlsx", headers={"Authorization": f"Bearer {gql.token('weiwu.registrar')}"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["新生名单", "填表说明", "代码表"]
    headers = [c.value for c in book["新生名单"][1]]
    assert "姓名*" in headers and "身份证件号" in headers and "学籍号" not in headers
    assert any(r[0].value == "ethnicity" and r[3].value == "汉族" for r in book["代码表"].iter_rows(min_row=2))
    # the template itself, filled in, is an acceptable intake file
    sheet = book["新生名单"]
    filled = row()
    sheet.append([filled.get(next(k for k, h in HEADERS.items() if h == str(header).rstrip("*")), None) for header in headers])
    out = io.BytesIO()
    book.save(out)
    accepted = post(gql, out.getvalue())
    assert accepted.status_code == 202, accepted.text
    job = finished(gql, accepted.json()["job"]["id"])
    assert [r["outcome"] for r in outcomes(job)] == ["ENROLLED"]
    assert gql.http.get("/intake/template.xlsx").status_code == 401


# Each case: one bad value, keyed in once as a spreadsheet row and once as the same
# enrollStudent input; the intake refuses the row with the code the mutation returns.
def _bad_check_digit() -> tuple[dict[str, Any], dict[str, Any]]:
    born = school_age_birth()
    good = resident_id(born)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    return {"id_number": bad, "born": born}, {"idDocument": {"kind": "RESIDENT_ID", "number": bad}}


def _too_young() -> tuple[dict[str, Any], dict[str, Any]]:
    born = date(2021, 3, 1)
    number = resident_id(born)
    return {"born": born, "id_number": number}, {"idDocument": {"kind": "RESIDENT_ID", "number": number}, "born": born}


def _birth_mismatch() -> tuple[dict[str, Any], dict[str, Any]]:
    born = school_age_birth()
    number = resident_id(born + timedelta(days=1))
    return {"born": born, "id_number": number}, {"idDocument": {"kind": "RESIDENT_ID", "number": number}, "born": born}


CASES: dict[str, Callable[[], tuple[dict[str, Any], dict[str, Any]]]] = {
    "check digit": _bad_check_digit,
    "too young for grade 1": _too_young,
    "birth date differs from the ID": _birth_mismatch,
    "grade 7 at a primary school": lambda: ({"grade": "7"}, {"grade": 7}),
    "unknown ethnicity": lambda: ({"ethnicity": "99"}, {"basic": {"ethnicity": "99"}}),
    "zero-width character in the name": lambda: ({"name": "王\u200b明"}, {"basic": {"name": "王\u200b明"}}),
    "unknown entry way": lambda: ({"entry_way": "8"}, {"entryWay": "8"}),
    "class name too long": lambda: ({"class_name": "班" * 30}, {"className": "班" * 30}),
}


@pytest.mark.parametrize("case", CASES)
def test_a_row_is_refused_with_the_code_enroll_student_returns_for_the_same_value(gql: GraphQLClient, case: str) -> None:
    cells, mutation = CASES[case]()
    born = cells.pop("born", None) or mutation.pop("born", None) or school_age_birth()
    mutation.pop("born", None)
    sheet_row = row(born=born, **cells)
    basic = {"name": sheet_row["name"], "sex": "MALE", "birthDate": born.isoformat(), "ethnicity": "01", **mutation.pop("basic", {})}
    given = enrolment(WEIWU, born=born, basic=basic, **{"idDocument": {"kind": "RESIDENT_ID", "number": sheet_row["id_number"]}, **mutation})
    expected = gql(ENROL, {"input": given}, as_="weiwu.registrar")["enrollStudent"]
    assert expected["__typename"] == "EnrollStudentError"
    result = outcomes(run_intake(gql, [sheet_row]))
    assert [r["outcome"] for r in result] == ["REFUSED"]
    assert [p["code"] for p in result[0]["problems"]] == [expected["code"]], (result, expected)
    assert result[0]["number"] is None


def test_every_row_gets_its_result_and_only_passing_rows_are_enrolled(gql: GraphQLClient, db: Any) -> None:
    before = db.students.count_documents({"school_code": WEIWU})
    elsewhere = enrolment(FUNIU)
    assert gql(ENROL, {"input": elsewhere}, as_="funiu.registrar")["enrollStudent"]["__typename"] == "EnrollStudentSuccess"
    twin_born = school_age_birth()
    twin_name = unique_name()
    rows = [
        row(),  # 2: enrolled
        row(id_number=float(resident_id(school_age_birth()))),  # 3: Excel turned the ID into a float
        row(name=""),  # 4: a required cell left empty
        row(id_number=elsewhere["idDocument"]["number"], born=date.fromisoformat(elsewhere["basic"]["birthDate"]), name=elsewhere["basic"]["name"]),  # 5
        row(id_kind="无", id_number="", name=twin_name, born=twin_born),  # 6: enrolled with an L number
        row(id_kind="无", id_number="", name=twin_name, born=twin_born),  # 7: the same child again: review
        row(guardian1_name="王大明", guardian1_relation="父亲", guardian1_phone="13900000000", only_child="是"),  # 8
    ]
    job = run_intake(gql, rows)
    got = {r["row"]: r for r in outcomes(job)}
    assert job["total"] == job["processed"] == 7
    assert [got[n]["outcome"] for n in range(2, 9)] == ["ENROLLED", "REFUSED", "REFUSED", "REFUSED", "ENROLLED", "NEEDS_REVIEW", "ENROLLED"]
    assert got[3]["problems"][0]["column"] == "id_number" and "text" in got[3]["problems"][0]["message"]
    assert got[4]["problems"][0]["header"] == "姓名"
    assert got[5]["problems"][0]["code"] == "ENROLLED_ELSEWHERE"
    assert got[6]["number"].startswith("L")
    assert got[7]["problems"][0]["code"] == "POSSIBLE_DUPLICATE" and got[6]["number"] in got[7]["candidates"][0]
    assert job["counts"] == {"enrolled": 3, "alreadyEnrolled": 0, "refused": 3, "needsReview": 1}
    assert db.students.count_documents({"school_code": WEIWU}) == before + 3
    # what the intake enrolled reads back like any dossier, as the registrar who uploaded it
    student = gql('query($n: String!) { student(number: $n) { name school { code } guardians { name relation } flags { onlyChild } } }', {"n": got[8]["number"]}, as_="weiwu.registrar")["student"]
    assert student["school"]["code"] == WEIWU and student["guardians"] == [{"name": "王大明", "relation": "51"}] and student["flags"]["onlyChild"]
    history = db.transitions.find_one({"_id": f"student:{got[8]['number']}:0000000001"})
    assert history["actor"] == "weiwu.registrar" and history["request_id"].startswith("intake-")


def test_the_same_file_twice_is_the_same_job_and_enrols_nothing_twice(gql: GraphQLClient, db: Any) -> None:
    data = workbook([row(), row(id_kind="无", id_number="")])
    first = post(gql, data)
    job = finished(gql, first.json()["job"]["id"])
    count = db.students.count_documents({"school_code": WEIWU})
    again = post(gql, data)
    assert again.status_code == 202 and again.json()["job"] == {**first.json()["job"], "created": False, "state": "DONE"}
    assert finished(gql, again.json()["job"]["id"])["counts"] == job["counts"]
    assert db.students.count_documents({"school_code": WEIWU}) == count


def test_the_report_highlights_refused_rows_and_fixed_and_uploaded_again_enrols_only_them(gql: GraphQLClient, db: Any) -> None:
    good, bad = row(), row(grade="十")
    job = run_intake(gql, [good, bad])
    response = gql.http.get(job["reportPath"], headers={"Authorization": f"Bearer {gql.token('weiwu.registrar')}"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    lines = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    assert [line["处理结果"] for line in lines] == ["已建籍", "未通过"]
    assert lines[0]["学籍号"] == outcomes(job)[0]["number"] and not lines[1]["学籍号"]
    assert sheet.cell(3, 1).fill.start_color.rgb == "FFF4CCCC" and sheet.cell(2, 1).fill.start_color.rgb != "FFF4CCCC"
    assert "年级" in str(lines[1]["说明"])
    # the registrar fixes the grade in the report itself and uploads it again
    grade_column = header.index("年级") + 1
    sheet.cell(3, grade_column).value = "1"
    out = io.BytesIO()
    book.save(out)
    count = db.students.count_documents({"school_code": WEIWU})
    second = post(gql, out.getvalue(), name="新生-结果.xlsx")
    redone = finished(gql, second.json()["job"]["id"])
    assert [r["outcome"] for r in outcomes(redone)] == ["ALREADY_ENROLLED", "ENROLLED"]
    assert db.students.count_documents({"school_code": WEIWU}) == count + 1
    audited = db.audit_events.find_one({"action": "download:intake_report", "target_id": job["id"], "outcome": "ok"})
    assert audited is not None and audited["actor"] == "weiwu.registrar"


@pytest.mark.parametrize(
    ("as_", "school", "status", "code"),
    [
        ("jinshui.dept", WEIWU, 403, "PERMISSION_DENIED"),  # departments verify; registrars key in (Art. 6)
        ("funiu.registrar", WEIWU, 404, "NOT_FOUND"),  # another school's registrar does not see it
        ("waiguoyu.registrar", "2141010503", 403, "REGISTRAR_NOT_TRAINED"),  # Art. 22
        ("henan.auditor", WEIWU, 403, "READ_ONLY_ROLE"),
        ("zhengzhou.archivist", WEIWU, 403, "PERMISSION_DENIED"),
    ],
)
def test_only_the_schools_trained_registrar_starts_an_intake(gql: GraphQLClient, db: Any, as_: str, school: str, status: int, code: str) -> None:
    jobs = db.intake_jobs.count_documents({})
    response = post(gql, workbook([row()]), as_=as_, school=school)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert db.intake_jobs.count_documents({}) == jobs


@pytest.mark.parametrize(
    ("as_", "sees"),
    [
        ("weiwu.registrar", True),
        ("jinshui.dept", True),  # the supervising county
        ("funiu.registrar", False),
        ("zhengzhou.dept", False),  # the city sees the school, not its children's unmasked rows (Art. 24)
        ("henan.dept", False),
        ("henan.auditor", False),
        ("zhengzhou.archivist", False),
        ("admin", False),  # no dossiers for the system admin
    ],
)
def test_a_job_and_its_report_are_for_who_may_read_the_rows_unmasked(gql: GraphQLClient, as_: str, sees: bool) -> None:
    """The rows are every cell as keyed in (ID numbers, guardians, children never enrolled):
    only the school's registrar and its supervising department read them."""
    job = run_intake(gql, [row()])
    found = gql(JOB, {"id": job["id"]}, as_=as_)["intakeJob"]
    assert (found is not None) == sees
    response = gql.http.get(job["reportPath"], headers={"Authorization": f"Bearer {gql.token(as_)}"})
    assert response.status_code == (200 if sees else 404)
    assert gql.http.post("/intake", params={"school": WEIWU}, content=workbook([row()])).status_code == 401


def test_one_child_twice_with_the_birth_date_spelt_two_ways_is_enrolled_once(gql: GraphQLClient) -> None:
    rows = []
    for _ in range(6):
        born = school_age_birth()
        name = unique_name()
        rows += [
            row(id_kind="无", id_number="", name=name, born=born),
            row(id_kind="无", id_number="", name=name, birth_date=f"{born.year}/{born.month}/{born.day}"),
        ]
    counts = run_intake(gql, rows)["counts"]
    assert counts == {"enrolled": 6, "alreadyEnrolled": 0, "refused": 0, "needsReview": 6}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"school": "21410105\x0001"}, "school"), ({"school": WEIWU, "filename": "a\x00.xlsx"}, "filename")],
)
def test_nul_in_a_parameter_is_refused_before_anything_is_read(gql: GraphQLClient, params: dict[str, str], field: str) -> None:
    response = gql.http.post("/intake", params=params, content=workbook([row()]), headers={"Authorization": f"Bearer {gql.token('weiwu.registrar')}"})
    assert (response.status_code, response.json()["error"]["code"], response.json()["error"]["field"]) == (422, "INVALID_VALUE", field)
    report = gql.http.get("/intake/report.xlsx", params={"job": "a\x00b"}, headers={"Authorization": f"Bearer {gql.token('weiwu.registrar')}"})
    assert (report.status_code, report.json()["error"]["field"]) == (422, "job")


def test_a_kind_of_no_document_with_a_number_is_refused_not_dropped(gql: GraphQLClient) -> None:
    result = outcomes(run_intake(gql, [row(id_kind="无")]))
    assert result[0]["outcome"] == "REFUSED" and result[0]["problems"][0]["column"] == "id_number"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "EMPTY_FILE"),
        (b"PK\x03\x04not really a zip", "SPREADSHEET_UNREADABLE"),
        ("身份证件号,年级\n1,1\n".encode(), "SPREADSHEET_COLUMNS"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "SPREADSHEET_UNREADABLE"),
    ],
)
def test_unreadable_files_are_refused_and_change_nothing(gql: GraphQLClient, db: Any, data: bytes, code: str) -> None:
    jobs, rows = db.intake_jobs.count_documents({}), db.intake_rows.count_documents({})
    response = post(gql, data)
    assert response.status_code in (400, 413, 422) and response.json()["error"]["code"] == code
    assert (db.intake_jobs.count_documents({}), db.intake_rows.count_documents({})) == (jobs, rows)


def test_a_run_stopped_half_way_resumes_and_enrols_every_row_exactly_once(settings: Settings, db: Any, gql: GraphQLClient) -> None:
    """The run is cancelled at an arbitrary await (as a killed process stops), possibly
    between a dossier's write and its row's result; the next run finishes the job, and the
    interrupted rows are recognised as enrolled, never enrolled twice nor held for review."""
    rows = [row() if i % 2 else row(id_kind="无", id_number="") for i in range(60)]
    data = workbook(rows)
    job_id = f"{WEIWU}:{hashlib.sha256(data).hexdigest()}"

    async def scenario() -> None:
        assert settings.mongodb_uri is not None
        client = connect(settings.mongodb_uri)
        try:
            stores = stores_of(Collections.of(client[settings.mongodb_database]), EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket))
            account = await stores.accounts.get("weiwu.registrar")
            assert account is not None
            session = Session.open(Actor(account, "test-intake-upload"), stores)
            # started here rather than through POST /intake, so that only these runs work on it
            await intake.start(session, WEIWU, "新生.xlsx", hashlib.sha256(data).hexdigest(), read_table(data, INTAKE_COLUMNS, max_rows=100))
            interrupted = 0
            for stop_at in (10, 30):  # two runs stopped after that many results, then one that finishes
                task = asyncio.create_task(intake.run(stores, job_id, stale_after=timedelta(milliseconds=1), concurrency=4))
                while len(await stores.intake.results(job_id)) < stop_at:
                    await asyncio.sleep(0.005)
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                interrupted += len(await stores.intake.claimed_rows(job_id)) - len(await stores.intake.results(job_id))
            assert interrupted > 0  # rows were stopped between their claim and their result
            await asyncio.sleep(0.01)
            while (await stores.intake.get(job_id)).state.value == "RUNNING":  # type: ignore[union-attr]
                await intake.run(stores, job_id, stale_after=timedelta(milliseconds=1), concurrency=4)
        finally:
            await client.close()

    asyncio.run(scenario())
    job = finished(gql, job_id)
    assert db.intake_runs.count_documents({"job_id": job_id}) >= 3
    results = list(db.intake_results.find({"job_id": job_id}))
    assert len(results) == 60 and {r["outcome"] for r in results} == {"ENROLLED"}, [r for r in results if r["outcome"] != "ENROLLED"]
    numbers = [r["number"] for r in results]
    assert len(set(numbers)) == 60
    created = db.transitions.count_documents({"aggregate": "student", "version": 1, "request_id": {"$regex": "^intake-" + job_id.split(":")[1][:16]}})
    assert created == 60 and job["counts"]["enrolled"] == 60


def test_a_job_whose_run_stopped_is_taken_over_by_the_watchdog_of_a_running_api(endpoints: Endpoints) -> None:
    """A job left RUNNING with a silent run (its process was killed) is finished by any
    API process's watchdog once the run is stale."""
    server = ApiServer(settings_for(endpoints, intake_watch_seconds=0.2, intake_stale_seconds=0.5)).start()
    try:
        settings = server.settings
        data = workbook([row(), row()])
        sha = hashlib.sha256(data).hexdigest()

        async def abandoned() -> None:
            assert settings.mongodb_uri is not None
            client = connect(settings.mongodb_uri)
            try:
                stores = stores_of(Collections.of(client[settings.mongodb_database]), EvidenceArchive(s3_client(settings), settings.s3_evidence_bucket))
                account = await stores.accounts.get("weiwu.registrar")
                assert account is not None
                job, _ = await intake.start(Session.open(Actor(account, "test"), stores), WEIWU, "a.xlsx", sha, read_table(data, INTAKE_COLUMNS, max_rows=10))
                assert await stores.intake.claim_run(job.id, 1, datetime.now(UTC))  # a run that then died
            finally:
                await client.close()

        asyncio.run(abandoned())
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            job = finished(GraphQLClient(http, settings), f"{WEIWU}:{sha}", timeout=60)
        assert job["counts"]["enrolled"] == 2
    finally:
        server.stop()
