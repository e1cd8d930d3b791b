"""The rules of approved exports (Art. 24, R-A6), without servers: who may request and
decide, what an approval may name, what a row carries and how it is masked, links."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from api.exports import _csv
from domain.accounts import Account, Role
from domain.dossier import BasicData, Dossier, Flags, SchoolStatus
from domain.errors import DomainError
from domain.exports import (
    ExportField,
    ExportFormat,
    ExportLink,
    ExportRequest,
    ExportScope,
    ExportState,
    check_link,
    check_request,
    decide,
    row,
)
from domain.identity import IdDocKind, IdDocument, Sex

NOW = datetime(2026, 11, 28, tzinfo=UTC)
DEPT = Account("jinshui.dept", "金水区", Role.COUNTY_DEPARTMENT, "410105")
OTHER_DEPT = Account("jinshui.dept2", "金水区（二）", Role.COUNTY_DEPARTMENT, "410105")
REGISTRAR = Account("weiwu.registrar", "纬五路", Role.SCHOOL_REGISTRAR, "2141010501", date(2026, 1, 1))
F = ExportField


def request(**over: object) -> ExportRequest:
    values: dict[str, object] = dict(
        id="r1", requester="weiwu.registrar", requester_role="SCHOOL_REGISTRAR", purpose="体检",
        scope=ExportScope("2141010501", None), department_code="410105", fields=(F.NAME, F.ID_NUMBER, F.PHONE),
        full_fields=(F.ID_NUMBER,), format=ExportFormat.XLSX, state=ExportState.REQUESTED, created_at=NOW,
        approval_documents=("d1",),
    )
    values.update(over)
    return ExportRequest(**values)  # type: ignore[arg-type]


def codes(call: object) -> str:
    assert callable(call)
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


def test_a_request_names_one_scope_fields_and_only_identifiers_in_full() -> None:
    school = ExportScope("2141010501", None)
    assert codes(lambda: check_request(REGISTRAR, ExportScope("2141010502", None), None, [F.NAME], [])) == "PERMISSION_DENIED"
    assert codes(lambda: check_request(REGISTRAR, ExportScope(None, None), None, [F.NAME], [])) == "INVALID_VALUE"
    assert codes(lambda: check_request(REGISTRAR, school, None, [], [])) == "INVALID_VALUE"
    assert codes(lambda: check_request(REGISTRAR, school, None, [F.NAME], [F.NAME])) == "INVALID_VALUE"
    assert codes(lambda: check_request(REGISTRAR, school, None, [F.NAME], [F.PHONE])) == "INVALID_VALUE"
    assert codes(lambda: check_request(DEPT, ExportScope(None, "410102"), None, [F.NAME], [])) == "PERMISSION_DENIED"
    check_request(REGISTRAR, school, None, [F.NAME, F.PHONE], [F.PHONE])
    check_request(DEPT, ExportScope(None, "410105"), None, [F.NAME], [])


def test_only_another_official_of_the_department_decides_with_the_approval_attached() -> None:
    assert codes(lambda: decide(REGISTRAR, request(), approve=True, fields=None, full_fields=None, reason=None, now=NOW)) == "OWN_EXPORT_REQUEST"
    mine = request(requester="jinshui.dept")
    assert codes(lambda: decide(DEPT, mine, approve=True, fields=None, full_fields=None, reason=None, now=NOW)) == "OWN_EXPORT_REQUEST"
    assert decide(OTHER_DEPT, mine, approve=True, fields=None, full_fields=None, reason=None, now=NOW).state is ExportState.APPROVED
    bare = request(approval_documents=())
    assert codes(lambda: decide(DEPT, bare, approve=True, fields=None, full_fields=None, reason=None, now=NOW)) == "APPROVAL_DOCUMENT_MISSING"
    assert decide(DEPT, bare, approve=False, fields=None, full_fields=None, reason="用途不明", now=NOW).state is ExportState.REFUSED
    assert codes(lambda: decide(DEPT, bare, approve=False, fields=None, full_fields=None, reason=None, now=NOW)) == "REASON_REQUIRED"
    assert codes(lambda: decide(DEPT, request(), approve=True, fields=[F.SEX], full_fields=None, reason=None, now=NOW)) == "FIELD_NOT_REQUESTED"
    assert codes(lambda: decide(DEPT, request(), approve=True, fields=None, full_fields=[F.PHONE], reason=None, now=NOW)) == "FIELD_NOT_REQUESTED"
    approved = decide(DEPT, request(), approve=True, fields=[F.NAME, F.ID_NUMBER], full_fields=None, reason=None, now=NOW)
    assert approved.approved_fields == (F.NAME, F.ID_NUMBER) and approved.approved_full_fields == ()
    assert codes(lambda: decide(DEPT, approved, approve=True, fields=None, full_fields=None, reason=None, now=NOW)) == "ALREADY_DECIDED"


def test_a_row_carries_exactly_its_fields_with_identifiers_masked_unless_given_in_full() -> None:
    dossier = Dossier(
        id="d", number="G410105201909010019", aliases=(), id_document=IdDocument(IdDocKind.RESIDENT_ID, "410105201909010019"),
        basic=BasicData("王明华", Sex.MALE, date(2019, 9, 1), address="郑州市金水区纬五路 1 号", phone="13800000000"),
        guardians=(), flags=Flags(), status=SchoolStatus("2141010501", 1, "一(1)班", date(2026, 9, 1), "1", "1"),
    )
    masked = row(dossier, [F.NUMBER, F.NAME, F.ID_NUMBER, F.ADDRESS, F.PHONE], frozenset())
    assert masked == ["G410105********0019", "王明华", "410105********0019", "郑州市" + "*" * 10, "138********"]
    full = row(dossier, [F.ID_NUMBER, F.PHONE], frozenset({F.ID_NUMBER, F.PHONE}))
    assert full == ["410105201909010019", "13800000000"]


def test_a_link_works_for_its_account_until_it_expires() -> None:
    link = ExportLink("r1", "weiwu.registrar", NOW + timedelta(minutes=5))
    assert check_link(link, REGISTRAR, NOW) == link
    assert codes(lambda: check_link(link, DEPT, NOW)) == "PERMISSION_DENIED"
    assert codes(lambda: check_link(link, REGISTRAR, NOW + timedelta(minutes=5))) == "LINK_EXPIRED"
    assert codes(lambda: check_link(None, REGISTRAR, NOW)) == "NOT_FOUND"


def test_a_csv_cell_never_starts_a_formula() -> None:
    text = _csv(["姓名", "现住址"], [["王明华", "=HYPERLINK(\"x\")"], ["李四", None]]).decode("utf-8")
    assert text.startswith("\ufeff姓名,现住址")
    assert "'=HYPERLINK" in text and "李四," in text
