"""Term re-verification against the clock and against itself (Art. 23, 25, 26): the daily
job sends an overdue school to its department and an overdue department to the one above,
once each, and a school still unconfirmed past the department's date above it too; two clicks on a confirmation, or eight, confirm once; discrepancies raised at
the same moment are all kept. On an API of its own (its own database)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from scripts.workflows_cmd import daily
from storage.embedded import Endpoints
from tests.api.test_concurrency import at_once
from tests.reverification import (
    ESCALATIONS,
    PREVIOUS_TERM,
    client_of,
    confirm,
    decide,
    enrol,
    open_campaign,
    own_api,
    part,
    raise_,
)
from tests.support import ApiServer, GraphQLClient

FUNIU, XIGUAN, HONGQI = "2141010201", "2141030201", "2141070201"


@pytest.fixture(scope="module")
def deployment(endpoints: Endpoints) -> Iterator[tuple[ApiServer, Any]]:
    with own_api(endpoints) as found:
        yield found


@pytest.fixture
def client(deployment: tuple[ApiServer, Any]) -> Iterator[GraphQLClient]:
    with client_of(deployment[0]) as gql:
        yield gql


def job(server: ApiServer, day: date) -> int:
    """`./scripts/workflows daily` as run on `day` (late in the evening): the number of
    re-verification steps it escalated."""
    return asyncio.run(daily(server.settings, datetime.combine(day, time(22), UTC)))[3]


def inbox(gql: GraphQLClient, login: str) -> list[dict[str, Any]]:
    return [e["node"] for e in gql(ESCALATIONS, as_=login)["reverificationEscalations"]["edges"]]


def test_an_overdue_school_goes_to_its_department_and_an_overdue_department_to_the_city(
    client: GraphQLClient, deployment: tuple[ApiServer, Any]
) -> None:
    server, store = deployment
    gql = client
    enrol(gql, FUNIU, "funiu.registrar")
    campaign = open_campaign(gql, "zhongyuan.dept")["campaign"]
    cid, schools_due, department_due = campaign["id"], date.fromisoformat(campaign["schoolsDue"]), date.fromisoformat(campaign["departmentDue"])

    assert job(server, schools_due) == 0  # due that day: not overdue yet
    assert inbox(gql, "zhongyuan.dept") == []
    assert job(server, schools_due + timedelta(days=1)) == 1
    late = part(gql, cid, FUNIU, "funiu.registrar")
    assert late is not None and late["escalatedTo"] == "410102"
    assert late["timeline"][-1]["action"] == "ESCALATED" and late["timeline"][-1]["actor"] == "system"
    assert [x["schoolCode"] for x in inbox(gql, "zhongyuan.dept")] == [FUNIU]
    assert inbox(gql, "zhengzhou.dept") == [] and inbox(gql, "funiu.registrar") == []
    assert job(server, schools_due + timedelta(days=2)) == 0  # once
    entries = store.transitions.count_documents({"aggregate": "reverification_school", "action": "ESCALATED"})
    assert entries == 1

    # the school confirms late: the department's step starts unescalated
    assert confirm(gql, cid, FUNIU, "funiu.registrar")["school"]["escalatedTo"] is None
    assert inbox(gql, "zhongyuan.dept") == []
    assert job(server, department_due) == 0
    assert job(server, department_due + timedelta(days=1)) == 1
    assert [(x["schoolCode"], x["escalatedTo"]) for x in inbox(gql, "zhengzhou.dept")] == [(FUNIU, "410100")]
    assert inbox(gql, "zhongyuan.dept") == [] and inbox(gql, "henan.dept") == []

    # the department decides late; nothing is due any more
    assert decide(gql, cid, FUNIU, "zhongyuan.dept")["school"]["state"] == "DEPARTMENT_CONFIRMED"
    assert inbox(gql, "zhengzhou.dept") == []
    assert job(server, department_due + timedelta(days=60)) == 0


def outcome(result: dict[str, Any]) -> str:
    return str(result.get("code") or result["__typename"])


def test_two_clicks_confirm_once_and_concurrent_discrepancies_are_all_kept(
    client: GraphQLClient, deployment: tuple[ApiServer, Any]
) -> None:
    server, store = deployment
    gql = client
    numbers = [enrol(gql, XIGUAN, "xiguan.registrar") for _ in range(4)]

    # eight openings of the same campaign at once: one campaign, one result per school
    opened = at_once(server.settings, server.base_url, lambda c, i: open_campaign(c, "laocheng.dept", term=PREVIOUS_TERM))
    counts = Counter(outcome(x) for x in opened)
    assert counts["OpenReverificationSuccess"] == 1 and set(counts) <= {"OpenReverificationSuccess", "CAMPAIGN_EXISTS", "CONFLICT"}
    cid = f"{PREVIOUS_TERM}:410302"
    assert store.reverifications.count_documents({"_id": cid}) == 1
    assert store.transitions.count_documents({"aggregate": "reverification_school", "aggregate_id": f"{cid}:{XIGUAN}"}) == 1

    # four students flagged at the same moment: each is kept, each with its own id
    raised = at_once(
        server.settings, server.base_url,
        lambda c, i: raise_(c, cid, XIGUAN, "xiguan.registrar", leftWithoutChange={"number": numbers[i]}), writers=4,
    )
    assert [outcome(x) for x in raised] == ["RaiseReverificationDiscrepancySuccess"] * 4, raised
    school = part(gql, cid, XIGUAN, "xiguan.registrar")
    assert school is not None
    assert sorted(d["number"] for d in school["discrepancies"]) == sorted(numbers)
    assert len({d["id"] for d in school["discrepancies"]}) == 4

    # two clicks (eight, here) on confirm: one confirmation
    clicks = at_once(server.settings, server.base_url, lambda c, i: confirm(c, cid, XIGUAN, "xiguan.registrar"))
    counts = Counter(outcome(x) for x in clicks)
    assert counts["ConfirmReverificationRosterSuccess"] == 1, counts
    assert set(counts) <= {"ConfirmReverificationRosterSuccess", "ALREADY_CONFIRMED", "CONFLICT"}
    log = {"aggregate": "reverification_school", "aggregate_id": f"{cid}:{XIGUAN}"}
    assert store.transitions.count_documents({**log, "action": "SCHOOL_CONFIRMED"}) == 1

    decisions = at_once(server.settings, server.base_url, lambda c, i: decide(c, cid, XIGUAN, "laocheng.dept"))
    assert Counter(outcome(x) for x in decisions)["DecideReverificationSchoolSuccess"] == 1
    assert store.transitions.count_documents({**log, "action": "DEPARTMENT_CONFIRMED"}) == 1
    final = part(gql, cid, XIGUAN, "laocheng.dept")
    assert final is not None and [e["action"] for e in final["timeline"]] == ["SCHOOL_CONFIRMED", "DEPARTMENT_CONFIRMED"]
    assert len(final["tasks"]) == 4


def test_a_school_that_never_confirms_goes_to_its_department_then_past_the_departments_date_above_it(
    client: GraphQLClient, deployment: tuple[ApiServer, Any]
) -> None:
    server, _ = deployment
    gql = client
    campaign = open_campaign(gql, "hongqi.dept")["campaign"]  # its one school has no registrar yet
    cid, schools_due, department_due = campaign["id"], date.fromisoformat(campaign["schoolsDue"]), date.fromisoformat(campaign["departmentDue"])
    assert job(server, schools_due + timedelta(days=1)) == 1
    assert [x["escalatedTo"] for x in inbox(gql, "hongqi.dept")] == ["410702"]
    assert job(server, department_due) == 0
    assert job(server, department_due + timedelta(days=1)) == 1  # the county let it run past its own date (Art. 25)
    assert inbox(gql, "hongqi.dept") == []
    school = part(gql, cid, HONGQI, "henan.dept")
    assert school is not None and school["state"] == "NOT_STARTED" and school["escalatedTo"] == "410700"
    assert [e["comment"] for e in school["timeline"]] == [
        f"STUDENT_SCHOOL overdue since {schools_due.isoformat()}; escalated to 410702",
        f"STUDENT_SUPERVISOR overdue since {department_due.isoformat()}; escalated to 410700",
    ]
    assert job(server, department_due + timedelta(days=30)) == 0
