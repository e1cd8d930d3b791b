"""Valid inputs for scenario tests: distinct identity numbers, names and enrolments."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from domain.identity import mod11_check_digit

_serial = itertools.count(1)
GIVEN = "明华强丽军芳伟娜静磊洋艳勇杰娟涛超秀霞平刚桂英"


def resident_id(born: date, *, male: bool = True, prefix: str = "410105") -> str:
    """A valid resident ID number, distinct on every call (sequence from a counter)."""
    n = next(_serial)
    seq = (n * 2 + (1 if male else 0)) % 1000
    seq = seq if seq % 2 == (1 if male else 0) else seq + 1
    first17 = f"{prefix}{born:%Y%m%d}{seq:03d}"
    return first17 + mod11_check_digit(first17)


def school_age_birth(offset: int | None = None) -> date:
    """A birth date inside the 2026 grade-1 window (6 years old on 31 August 2026)."""
    n = next(_serial) if offset is None else offset
    return date(2019, 9, 1) + timedelta(days=n % 365)


def unique_name() -> str:
    n = next(_serial)
    return "王" + GIVEN[n % len(GIVEN)] + GIVEN[(n // len(GIVEN)) % len(GIVEN)]


def enrolment(school: str = "2141010501", *, male: bool = True, born: date | None = None, **over: Any) -> dict[str, Any]:
    born = born or school_age_birth()
    value: dict[str, Any] = {
        "schoolCode": school,
        "idDocument": {"kind": "RESIDENT_ID", "number": resident_id(born, male=male)},
        "basic": {"name": unique_name(), "sex": "MALE" if male else "FEMALE", "birthDate": born.isoformat()},
        "guardians": [],
        "grade": 1,
        "className": "一(1)班",
        "entryDate": "2026-09-01",
        "entryWay": "1",
        "studyMode": "1",
    }
    value.update(over)
    return value


COMPLETE_BASIC = {
    "birthPlace": "410105",
    "nativePlace": "410105",
    "ethnicity": "01",
    "health": "1",
    "householdPlace": "410105",
    "householdKind": "3",
    "address": "郑州市金水区纬五路 1 号",
    "phone": "13800000000",
}

FATHER = {"name": "王大明", "relation": "51", "isGuardian": True, "phone": "13900000000"}

ENROL = """mutation($input: EnrollStudentInput!) {
  enrollStudent(input: $input) {
    __typename
    ... on EnrollStudentSuccess {
      student { number aliases name idNumber idNumberFull verification ageException ageApprovalReference
                school { code } completeness { complete missing deadline overdue } }
      duplicateCandidates { inScope name reasons student { number } }
    }
    ... on EnrollStudentError { field message code enrolledAt { schoolCode schoolName } }
  }
}"""

UPDATE = """mutation($input: UpdateDossierInput!) {
  updateDossier(input: $input) {
    __typename
    ... on UpdateDossierSuccess { student { number aliases name verification completeness { complete missing } } }
    ... on UpdateDossierError { field message code }
  }
}"""

VERIFY = """mutation($input: VerifyDossierInput!) {
  verifyDossier(input: $input) {
    __typename
    ... on VerifyDossierSuccess { student { number verification verificationNote } }
    ... on VerifyDossierError { field message code }
  }
}"""


def basic_of(enrol_input: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**enrol_input["basic"], **COMPLETE_BASIC, **extra}
