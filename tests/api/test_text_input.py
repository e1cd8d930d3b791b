"""Identity and text input through GraphQL (Art. 7, 8, 10): one spelling per identifier,
and every free-text input of every mutation refuses control characters and over-long text
with a typed error, storing nothing."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest

from domain.persisted import document_hash
from tests import scans
from tests.api.test_cases import FUNIU, enrol, open_case, upload
from tests.factories import COMPLETE_BASIC, ENROL, FATHER, enrolment, resident_id
from tests.reverification import TERM
from tests.support import GraphQLClient

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def test_a_full_width_spelling_of_an_enrolled_id_is_the_same_person(gql: GraphQLClient, db: Any) -> None:
    value = enrolment()
    number = value["idDocument"]["number"]
    assert gql(ENROL, {"input": value}, as_="weiwu.registrar")["enrollStudent"]["__typename"] == "EnrollStudentSuccess"
    for written in (number[:6] + number[6:].translate(FULL_WIDTH), number.translate(FULL_WIDTH), f"\u3000{number}\u3000"):
        again = enrolment("2141010201", idDocument={"kind": "RESIDENT_ID", "number": written}, basic=value["basic"])
        refused = gql(ENROL, {"input": again}, as_="funiu.registrar")["enrollStudent"]
        assert refused["code"] == "ENROLLED_ELSEWHERE", (written, refused)
        assert refused["enrolledAt"]["schoolCode"] == "2141010501"
    # one dossier for this identity (names repeat across the test session's students)
    assert db.students.count_documents({"id_document.number": number}) == 1
    # the student number typed in full-width finds the same dossier
    found = gql("query($n: String!) { student(number: $n) { number } }", {"n": "Ｇ" + number.translate(FULL_WIDTH)}, as_="weiwu.registrar")
    assert found["student"] == {"number": "G" + number}
    school = gql("query($c: String!) { school(code: $c) { code } }", {"c": "2141010501".translate(FULL_WIDTH)}, as_="weiwu.registrar")
    assert school["school"] == {"code": "2141010501"}


def test_an_all_full_width_id_is_enrolled_in_its_ascii_spelling(gql: GraphQLClient, db: Any) -> None:
    value = enrolment()
    number = value["idDocument"]["number"]
    father_id = resident_id(date(1990, 1, 1))
    wide = {
        **value,
        "idDocument": {"kind": "RESIDENT_ID", "number": number.translate(FULL_WIDTH)},
        "guardians": [{**FATHER, "idDocument": {"kind": "RESIDENT_ID", "number": father_id.translate(FULL_WIDTH)}}],
    }
    student = gql(ENROL, {"input": wide}, as_="weiwu.registrar")["enrollStudent"]["student"]
    assert student["number"] == "G" + number and student["number"].isascii()
    stored = db.students.find_one({"number": "G" + number})
    assert stored["guardians"][0]["id_document"]["number"] == father_id
    # a digit of another script is not a digit of an ID number
    arabic = number[:6] + number[6:].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    other = gql(ENROL, {"input": enrolment(idDocument={"kind": "RESIDENT_ID", "number": arabic})}, as_="weiwu.registrar")
    assert other["enrollStudent"]["code"] == "ID_FORMAT"


def test_a_trailing_newline_or_nul_is_not_stored_in_a_name_or_class(gql: GraphQLClient, db: Any) -> None:
    value = enrolment()
    before = db.students.count_documents({})
    for over in ({"className": "一(1)班\n"}, {"className": "一\x07班"}, {"basic": {**value["basic"], "name": value["basic"]["name"] + "\n"}}):
        refused = gql(ENROL, {"input": {**value, **over}}, as_="weiwu.registrar")["enrollStudent"]
        assert refused["code"] == "INVALID_VALUE", refused
    assert db.students.count_documents({}) == before


# -- every free-text input of every mutation ------------------------------------------------

TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"
INTROSPECT = (
    "{ __schema { mutationType { fields { name args { name type { %s } } type { %s } } } "
    "types { name kind inputFields { name type { %s } } possibleTypes { name } } } }" % (TYPE_REF, TYPE_REF, TYPE_REF)
)
SKIPPED_SCALARS = {"ID", "JSON", "Date", "DateTime", "Boolean", "Int", "Float"}
ME = "query Me { viewer { login } }"  # a registrable persisted document
BAD = {"control": "甲\x07乙", "newline": "甲\n乙\x1b", "long": "长" * 10_001}
NUL = "甲\x00乙"  # refused before execution, for every argument alike (schema/nul_guard.py)


def _named(t: dict[str, Any]) -> tuple[str, str, bool]:
    """(name, kind, is_list) of a type reference."""
    is_list = False
    while t["kind"] in ("NON_NULL", "LIST"):
        is_list = is_list or t["kind"] == "LIST"
        t = t["ofType"]
    return t["name"], t["kind"], is_list


def string_paths(types: dict[str, dict[str, Any]], type_name: str, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every String leaf of an input type, lists entered at index 0."""
    out: list[tuple[str | int, ...]] = []
    for f in types[type_name]["inputFields"]:
        name, kind, is_list = _named(f["type"])
        path = (*prefix, f["name"], *((0,) if is_list else ()))
        if kind == "INPUT_OBJECT":
            out += string_paths(types, name, path)
        elif name == "String":
            out.append(path)
        else:
            assert name in SKIPPED_SCALARS or kind == "ENUM", name
    return out


def put(value: dict[str, Any], path: tuple[str | int, ...], text: str) -> dict[str, Any]:
    changed = copy.deepcopy(value)
    node: Any = changed
    for key in path[:-1]:
        present = key < len(node) if isinstance(node, list) and isinstance(key, int) else isinstance(node, dict) and key in node
        assert present, f"the base input of this mutation lacks {'.'.join(map(str, path))}: give it every optional part"
        node = node[key]
    node[path[-1]] = text
    return changed


def snapshot(db: Any) -> dict[str, Any]:
    """What a refused mutation must leave as it was. Every change to a dossier, case,
    correction, document, school or account claims a version in the transition log, which
    only ever grows, so its size says whether any of them was written; the collections
    written outside the log are compared whole or by size."""
    state: dict[str, Any] = {c: db[c].count_documents({}) for c in ("transitions", "identities", "student_numbers", "section_entries", "reminders", "persisted_operations")}
    state.update({c: list(db[c].find({}, sort=[("_id", 1)])) for c in ("schools", "accounts")})
    return state


Base = tuple[str, dict[str, Any]]


def _bases(gql: GraphQLClient) -> dict[str, Base]:
    """A well-formed input for every mutation that takes text, with every optional part given."""
    value = enrolment(born=date(2017, 6, 6), grade=3, className="三(6)班", flags={"migrantChild": True})
    full_enrolment = {
        **value,
        "idDocument": value["idDocument"],
        "basic": {**value["basic"], **COMPLETE_BASIC, "formerName": "王二", "namePinyin": "Wang Er", "nationality": "CHN",
                  "overseasStatus": "00", "residenceAddress": "郑州市金水区纬五路 2 号"},
        "guardians": [{**FATHER, "employer": "郑州市某公司", "idDocument": {"kind": "RESIDENT_ID", "number": resident_id(date(1988, 8, 8))}}],
        "flags": {"leftBehind": "0", "disability": "1", "migrantChild": True},
        "ageApprovalReference": "金教学〔2026〕31号",
    }
    number = enrol(gql, grade=3, className="三(7)班", born=date(2017, 7, 7), flags={"migrantChild": True})
    proof = upload(gql, number, "HOUSEHOLD_REGISTER")
    correction = gql(
        """mutation($i: RequestCorrectionInput!) { requestCorrection(input: $i) { ... on RequestCorrectionSuccess { correction { id } } } }""",
        {"i": {"number": number, "changes": {"name": "王新名"}, "reason": "户口簿姓名变更", "evidence": [proof]}},
        as_="weiwu.registrar",
    )["requestCorrection"]["correction"]["id"]
    other = enrol(gql, grade=3, className="三(8)班", born=date(2017, 8, 8))
    app = upload(gql, other, "STATUS_APPLICATION")
    case = open_case(gql, "weiwu.registrar", kind="ABROAD", number=other, evidence=[app])["case"]["id"]
    third = enrol(gql, grade=3, className="三(9)班", born=date(2017, 9, 9))
    register = upload(gql, third, "HOUSEHOLD_REGISTER")
    until = (date.today() + timedelta(days=60)).isoformat()
    # Every probe of a re-verification mutation is refused before the campaign is looked up.
    campaign, discrepancy = f"{TERM}:410105", f"{TERM}:410105:2141010501:1"
    child = {"name": "赵小雨", "sex": "FEMALE", "birthDate": "2019-11-11", "note": "随父母来郑",
             "idDocument": {"kind": "PASSPORT", "number": "E12345678", "country": "USA"}}
    return {
        "enrollStudent": ("weiwu.registrar", full_enrolment),
        "updateDossier": ("weiwu.registrar", {
            "number": number, "basic": {k: v for k, v in full_enrolment["basic"].items()} | {"name": value["basic"]["name"]},
            "idDocument": full_enrolment["idDocument"], "guardians": full_enrolment["guardians"], "flags": full_enrolment["flags"],
            "className": "三(9)班", "studyMode": "1",
        }),
        "verifyDossier": ("jinshui.dept", {"number": number, "decision": "RETURN", "reason": "请补充材料"}),
        "requestCorrection": ("weiwu.registrar", {
            "number": third, "changes": {"name": "王新", "formerName": "王旧", "idDocument": {"kind": "RESIDENT_ID", "number": resident_id(date(2017, 9, 9))}},
            "reason": "户口簿变更", "evidence": [register],
        }),
        "decideCorrection": ("weiwu.registrar", {"id": correction, "decision": "REJECT", "comment": "材料不符"}),
        "openCase": ("weiwu.registrar", {
            "kind": "SANCTION_RECORD", "number": third, "grounds": "WARNING", "targetSchoolCode": FUNIU,
            "params": {"untilDate": until, "addressees": "纬五路街道", "sanctionReason": "打架"}, "comment": "说明",
        }),
        "decideCase": ("weiwu.registrar", {"id": case, "decision": "APPROVE", "comment": "同意", "overrideReason": "理由"}),
        "withdrawCase": ("weiwu.registrar", {"id": case, "reason": "撤回"}),
        "addSectionEntry": ("weiwu.registrar", {"number": number, "section": "AWARDS", "data": {"date": "2026-06-01", "title": "三好学生", "level": "SCHOOL"}}),
        "setLegalHold": ("zhengzhou.archivist", {"documentId": proof, "hold": True, "reason": "诉讼保全"}),
        "updatePaperLocation": ("weiwu.registrar", {"documentId": register, "paperLocation": "档案室 4 号柜", "reason": "搬迁"}),
        "withdrawDocument": ("weiwu.registrar", {"documentId": register, "reason": "误传"}),
        "updateSchoolContact": ("weiwu.registrar", {"code": "2141010501", "address": "纬五路 1 号", "phone": "0371-65000000", "paperArchiveLocation": "档案室 3 号柜"}),
        "recordRegistrarTraining": ("jinshui.dept", {"login": "weiwu.registrar", "completedOn": "2026-01-01"}),
        "registerPersistedOperations": ("admin", {"documents": [{"hash": "sha256:" + document_hash(ME), "document": ME}]}),
        "createAccount": ("admin", {"login": "probe.auditor", "name": "探针审计员", "role": "AUDITOR", "scopeCode": "410105",
                                    "phone": "0371-60000009"}),
        "disableAccount": ("admin", {"login": "zhongmou.dept", "reason": "调离"}),
        "enableAccount": ("admin", {"login": "zhongmou.dept", "reason": "返岗"}),
        "recordAccountFiling": ("jinshui.dept", {"login": "weiwu.registrar", "filedOn": "2026-03-05", "reference": "金教备1号"}),
        "importAreas": ("admin", {"rows": [{"code": "410105", "name": "金水区", "row": 2}], "effectiveOn": "2026-01-01",
                                  "source": "GB/T 2260"}),
        "openReverification": ("jinshui.dept", {"term": TERM, "schoolsDue": until, "departmentDue": (date.today() + timedelta(days=90)).isoformat()}),
        "raiseReverificationDiscrepancy": ("weiwu.registrar", {
            "campaignId": campaign, "schoolCode": "2141010501", "leftWithoutChange": {"number": number, "note": "两周未到校"},
            "presentWithoutDossier": child, "dataWrong": {"number": number, "field": "NAME", "correctValue": "王晓晨", "note": "户口簿"},
        }),
        "confirmReverificationRoster": ("weiwu.registrar", {"campaignId": campaign, "schoolCode": "2141010501"}),
        "decideReverificationSchool": ("jinshui.dept", {"campaignId": campaign, "schoolCode": "2141010501", "decision": "RETURN", "comment": "重做"}),
        "linkReverificationDiscrepancy": ("weiwu.registrar", {"id": discrepancy, "businessKind": "CASE", "businessId": case}),
        "waiveReverificationDiscrepancy": ("jinshui.dept", {"id": discrepancy, "reason": "学生已返校"}),
        "closeReverification": ("jinshui.dept", {"id": campaign, "note": "说明"}),
        "handOverArchive": ("weiwu.registrar", {"id": case, "parts": ["ELECTRONIC_DOSSIER", "PAPER_FILE"], "note": "随档案移交"}),
        "acknowledgeArchiveHandover": ("funiu.registrar", {"id": case, "note": "已收到"}),
        "recordPaperCopies": ("weiwu.registrar", {"id": case, "copies": [{"item": "学籍卡复印件", "location": "档案室 2 号柜"}]}),
        "requestExport": ("weiwu.registrar", {"purpose": "体检名单核对", "schoolCode": "2141010501", "fields": ["NAME"], "format": "XLSX"}),
        "approveExport": ("jinshui.dept", {"id": "missing-request", "approve": False, "reason": "不同意"}),
        "recordSchoolMerger": ("jinshui.dept", {"schoolCode": "2141019999", "intoSchoolCode": "2141019998",
                                                "legalBasis": "金教〔2026〕1号", "effectiveOn": "2026-09-01"}),
        "recordSchoolClosure": ("jinshui.dept", {"schoolCode": "2141019999", "archiveUnit": {"code": "410105DA", "name": "金水区档案馆"},
                                                 "legalBasis": "金教〔2026〕2号", "effectiveOn": "2026-09-01"}),
        "acknowledgeSchoolHandover": ("funiu.registrar", {"id": "2141019999", "manifestSha256": "0" * 64}),
        "planYearEnd": ("weiwu.registrar", {"effectiveDate": "2026-07-15", "schoolCodes": ["2141010501"], "grades": [3]}),
        "recordProgression": ("jinshui.dept", {"schoolCode": "2141010503", "entryDate": "2026-09-01",
                                               "placements": [{"number": number, "className": "初一(1)班"}]}),
        "importSchools": ("admin", {
            "rows": [{"code": "2141010501", "name": "金水区纬五路第一小学", "kind": "小学", "ownership": "公办",
                      "areaCode": "410105", "supervisorCode": "410105", "row": 2}],
            "effectiveOn": "2026-09-01", "source": "学校名录",
        }),
    }


def test_every_free_text_input_refuses_control_characters_and_over_long_text(gql: GraphQLClient, db: Any) -> None:
    schema = gql(INTROSPECT, as_="admin")["__schema"]
    types = {t["name"]: t for t in schema["types"]}
    bases = _bases(gql)
    probed = 0
    for mutation in schema["mutationType"]["fields"]:
        (arg,) = mutation["args"]
        assert types[_named(arg["type"])[0]]["kind"] == "INPUT_OBJECT", f"{mutation['name']} takes one input object, as every mutation"
        paths = string_paths(types, _named(arg["type"])[0])
        if not paths:
            continue
        assert mutation["name"] in bases, f"{mutation['name']} takes text: give it a base input here"
        login, base = bases[mutation["name"]]
        result_type = _named(mutation["type"])[0]
        (error_type,) = [t["name"] for t in types[result_type]["possibleTypes"] if t["name"].endswith("Error")]
        query = f"mutation($i: {_named(arg['type'])[0]}!) {{ {mutation['name']}(input: $i) {{ __typename ... on {error_type} {{ field code }} }} }}"
        # Every probe of this mutation is refused, so nothing may change across all of them
        # (compared once per mutation: the log's size is read by scanning it on FerretDB).
        before = snapshot(db)
        for path in paths:
            for label, bad in BAD.items():
                result = gql(query, {"i": put(base, path, bad)}, as_=login)[mutation["name"]]
                where = f"{mutation['name']}.{'.'.join(map(str, path))} ({label})"
                assert result["__typename"] == error_type, f"{where} was accepted"
                named = [p for p in path if isinstance(p, str)][-1]
                assert result["field"] and result["field"].split(".")[-1] in (named, str(path[-1])), (where, result)
                probed += 1
            errors = gql.errors(query, {"i": put(base, path, NUL)}, as_=login)
            assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", (mutation["name"], path, errors)
        assert snapshot(db) == before, f"a refused {mutation['name']} stored something"
    assert probed > 150


@pytest.mark.parametrize("param", ["filename", "paperLocation"])
def test_upload_text_parameters(gql: GraphQLClient, db: Any, param: str) -> None:
    number = enrol(gql, grade=2, className="二(6)班", born=date(2018, 6, 6))
    for bad in ("a\x00b.png" if param == "filename" else "柜\x00", "a\nb.png" if param == "filename" else "柜\n3", "长" * 300):
        before = db.documents.count_documents({})
        params: dict[str, str] = {"student": number, "kind": "HOUSEHOLD_REGISTER", "filename": "a.png", param: bad}
        response = gql.http.post(
            "/uploads", params=params, content=scans.png(),
            headers={"Authorization": f"Bearer {gql.token('weiwu.registrar')}", "Content-Type": "image/png"},
        )
        assert response.status_code >= 400, (param, bad[:10])
        assert response.json()["error"]["field"] == param
        assert db.documents.count_documents({}) == before



def test_nul_in_any_argument_or_literal_is_bad_input(gql: GraphQLClient) -> None:
    for query, variables in (
        ("query($n: String!) { student(number: $n) { number } }", {"n": "G4101\x00"}),
        ('{ student(number: "G4101\\u0000") { number } }', None),
        ("query($i: ID!) { case(id: $i) { id } }", {"i": "case-\x00"}),
        ("query($f: StudentFilterInput) { students(filter: $f) { totalCount } }", {"f": {"className": "一\x00班"}}),
    ):
        errors = gql.errors(query, variables, as_="weiwu.registrar")
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", errors


def test_nul_in_an_upload_parameter_is_refused(gql: GraphQLClient) -> None:
    for name in ("student", "kind", "replaces", "businessId"):
        params = {"student": "G410105201801010011", "kind": "HOUSEHOLD_REGISTER", name: "x\x00y"}
        response = gql.http.post(
            "/uploads", params=params, content=scans.png(),
            headers={"Authorization": f"Bearer {gql.token('weiwu.registrar')}", "Content-Type": "image/png"},
        )
        assert response.status_code == 422 and response.json()["error"] == {
            "code": "INVALID_VALUE", "field": name, "message": "text cannot contain the NUL character (U+0000)"
        }
