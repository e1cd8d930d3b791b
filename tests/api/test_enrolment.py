"""Enrolment through the API (Art. 4-8, R-B1..B5, R-G1)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.factories import ENROL, UPDATE, enrolment, resident_id, unique_name
from tests.support import GraphQLClient


def enrol(gql: GraphQLClient, value: dict[str, Any], as_: str = "weiwu.registrar") -> dict[str, Any]:
    result: dict[str, Any] = gql(ENROL, {"input": value}, as_=as_)["enrollStudent"]
    return result


def test_grade_one_enrolment_gets_the_g_number_and_an_unverified_incomplete_dossier(gql: GraphQLClient, db: Any) -> None:
    value = enrolment()
    result = enrol(gql, value)
    assert result["__typename"] == "EnrollStudentSuccess", result
    student = result["student"]
    id_number = value["idDocument"]["number"]
    assert student["number"] == "G" + id_number
    assert student["idNumber"] == id_number[:6] + "********" + id_number[-4:]
    assert student["idNumberFull"] == id_number  # the school's own registrar
    assert student["verification"] == "UNVERIFIED" and student["ageException"] == "NONE"
    assert student["completeness"]["complete"] is False
    assert student["completeness"]["deadline"] == "2026-10-01"  # Art. 6: one month
    assert "guardians" in student["completeness"]["missing"]
    history = gql('query($n: String!) { studentHistory(number: $n) { action actor } }', {"n": student["number"]}, as_="weiwu.registrar")
    assert history["studentHistory"] == [{"action": "ENROLLED", "actor": "weiwu.registrar"}]
    assert db.audit_events.count_documents({"action": "read:studentFull", "target_id": student["number"]}) == 1


def test_a_second_dossier_for_the_same_person_is_refused_and_says_where(gql: GraphQLClient, db: Any) -> None:
    value = enrolment()
    assert enrol(gql, value)["__typename"] == "EnrollStudentSuccess"
    again = enrolment("2141010201", idDocument=value["idDocument"], basic=value["basic"])
    refused = enrol(gql, again, as_="funiu.registrar")
    assert refused["code"] == "ENROLLED_ELSEWHERE"
    assert refused["enrolledAt"] == {"schoolCode": "2141010501", "schoolName": "金水区纬五路第一小学"}
    assert "transfer" in refused["message"]
    key = "RESIDENT_ID:" + value["idDocument"]["number"]
    assert db.students.count_documents({"identity_key": key}) == 1


def test_special_education_school_is_told_it_may_admit_without_transfer(gql: GraphQLClient) -> None:
    value = enrolment()
    assert enrol(gql, value)["__typename"] == "EnrollStudentSuccess"
    refused = enrol(gql, enrolment("2141010202", idDocument=value["idDocument"], basic=value["basic"]), as_="tejiao.registrar")
    assert refused["code"] == "ENROLLED_ELSEWHERE" and "Art. 8" in refused["message"] and "Art. 12" in refused["message"]


def test_age_rule_of_article_4(gql: GraphQLClient, db: Any) -> None:
    young = date(2020, 9, 1)  # not yet six on 31 August 2026
    value = enrolment(born=young)
    refused = enrol(gql, value)
    assert (refused["code"], refused["field"]) == ("UNDER_AGE_APPROVAL_REQUIRED", "ageApprovalReference")
    assert db.students.count_documents({"numbers": "G" + value["idDocument"]["number"]}) == 0
    admitted = enrol(gql, {**value, "ageApprovalReference": "金教学〔2026〕31号"})
    assert admitted["student"]["ageException"] == "UNDER_AGE"
    assert admitted["student"]["ageApprovalReference"] == "金教学〔2026〕31号"

    old = enrolment(born=date(2019, 8, 31))  # seven on 31 August 2026
    assert enrol(gql, old)["code"] == "DEFERRAL_APPROVAL_REQUIRED"
    assert enrol(gql, {**old, "ageApprovalReference": "金教学〔2025〕9号"})["student"]["ageException"] == "DEFERRED"


def test_the_age_rule_is_for_grade_one_only(gql: GraphQLClient) -> None:
    value = enrolment(born=date(2017, 5, 5), grade=3, className="三(2)班")
    assert enrol(gql, value)["__typename"] == "EnrollStudentSuccess"


def test_identity_errors_name_the_rule_and_store_nothing(gql: GraphQLClient, db: Any) -> None:
    value = enrolment()
    bad = value["idDocument"]["number"][:-1] + ("0" if value["idDocument"]["number"][-1] != "0" else "1")
    before = db.students.count_documents({})
    result = enrol(gql, {**value, "idDocument": {"kind": "RESIDENT_ID", "number": bad}})
    assert (result["code"], result["field"]) == ("ID_CHECK_DIGIT", "idDocument.number")
    female = enrolment(male=False)
    mismatch = enrol(gql, {**female, "basic": {**female["basic"], "sex": "MALE"}})
    assert mismatch["code"] == "ID_SEX_MISMATCH"
    born = enrolment()
    other_day = enrol(gql, {**born, "basic": {**born["basic"], "birthDate": "2020-01-01"}})
    assert other_day["code"] == "ID_BIRTH_DATE_MISMATCH"
    assert db.students.count_documents({}) == before


def test_who_may_enrol(gql: GraphQLClient) -> None:
    assert enrol(gql, enrolment("2141010503", grade=7, className="初一(1)班", born=date(2013, 5, 5)), as_="waiguoyu.registrar")["code"] == "REGISTRAR_NOT_TRAINED"
    assert enrol(gql, enrolment("2141010502"), as_="weiwu.registrar")["code"] == "NOT_FOUND"
    assert enrol(gql, enrolment(), as_="jinshui.dept")["code"] == "PERMISSION_DENIED"
    assert enrol(gql, enrolment(grade=7), as_="weiwu.registrar")["code"] == "GRADE_NOT_OFFERED"


def test_without_a_resident_id_a_temporary_l_number_then_the_g_number_with_the_alias_kept(gql: GraphQLClient) -> None:
    born = date(2020, 2, 2)
    value = enrolment(born=born, idDocument={"kind": "NONE_YET"})
    student = enrol(gql, value)["student"]
    assert student["number"].startswith("L41010520200202") and len(student["number"]) == 19
    assert student["idNumber"] is None
    l_number = student["number"]
    id_number = resident_id(born)
    updated = gql(UPDATE, {"input": {"number": l_number, "idDocument": {"kind": "RESIDENT_ID", "number": id_number}}}, as_="weiwu.registrar")["updateDossier"]
    assert updated["student"]["number"] == "G" + id_number and updated["student"]["aliases"] == [l_number]
    by_alias = gql('query($n: String!) { student(number: $n) { number } }', {"n": l_number}, as_="jinshui.dept")
    assert by_alias["student"] == {"number": "G" + id_number}
    # the ID is now claimed: nobody else can enrol with it
    assert enrol(gql, enrolment(idDocument={"kind": "RESIDENT_ID", "number": id_number}, basic=value["basic"]))["code"] == "ENROLLED_ELSEWHERE"


def test_foreign_student_with_a_passport(gql: GraphQLClient) -> None:
    value = enrolment(born=date(2020, 4, 4), idDocument={"kind": "PASSPORT", "number": "X1234567", "country": "KOR"})
    value["basic"] |= {"nationality": "KOR", "overseasStatus": "14"}
    student = enrol(gql, value)["student"]
    assert student["number"].startswith("L410105") and student["idNumber"] == "X*****67"
    assert enrol(gql, value)["code"] == "ENROLLED_ELSEWHERE"  # the passport is the identity


def test_without_any_identity_a_likely_duplicate_needs_confirmation(gql: GraphQLClient) -> None:
    born = date(2020, 6, 6)
    name = unique_name()
    first = enrolment(born=born, idDocument={"kind": "NONE_YET"})
    first["basic"]["name"] = name
    assert enrol(gql, first)["__typename"] == "EnrollStudentSuccess"
    second = {**first}
    refused = enrol(gql, second)
    assert (refused["code"], refused["field"]) == ("POSSIBLE_DUPLICATE", "confirmNotDuplicate")
    confirmed = enrol(gql, {**second, "confirmNotDuplicate": True})
    assert confirmed["__typename"] == "EnrollStudentSuccess"
    assert confirmed["duplicateCandidates"][0]["reasons"][0] == "SAME_NAME_BIRTH_DATE_SEX"


def test_home_teaching_needs_a_disability_type(gql: GraphQLClient) -> None:
    value = enrolment(flags={"homeTeaching": True}, entryWay="7")
    assert enrol(gql, value)["code"] == "DISABILITY_REQUIRED"
    ok = enrol(gql, {**value, "flags": {"homeTeaching": True, "disability": "4"}})
    assert ok["__typename"] == "EnrollStudentSuccess"


def test_code_tables_are_queryable(gql: GraphQLClient) -> None:
    tables = gql('{ codeTables(names: ["ethnicity", "relation"]) { name standard codes { code label } } }', as_="weiwu.registrar")["codeTables"]
    ethnicity = next(t for t in tables if t["name"] == "ethnicity")
    assert ethnicity["standard"] == "GB/T 3304" and {"code": "01", "label": "汉族"} in ethnicity["codes"]
    assert len(ethnicity["codes"]) == 58
