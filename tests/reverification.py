"""Test support for term re-verification (Art. 23): the GraphQL documents and small helpers
that run them, and an API of its own (its own database), so that rosters count exactly the
students a test enrols."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from pymongo import MongoClient

from domain.terms import term_of
from storage.embedded import Endpoints
from tests.factories import ENROL, enrolment
from tests.support import ApiServer, GraphQLClient, settings_for

TODAY = datetime.now(UTC).date()
TERM = term_of(TODAY).code
PREVIOUS_TERM = term_of(TODAY).previous().code

DISCREPANCY = """fragment D on ReverificationDiscrepancy { id kind state schoolCode number field recordedValue correctValue
  child { name sex birthDate idNumber enrolledAtSchoolCode } expectedFollowUps isTask
  resolution { state by businessKind businessId businessVersion reason } }"""
SCHOOL = """fragment S on ReverificationSchool { id schoolCode state due overdue escalatedTo closed rosterSize rosterDigest
  schoolConfirmedBy departmentConfirmedBy returnReason timeline { action actor role comment } }"""
CAMPAIGN = """fragment C on ReverificationCampaign { id term { code startsOn endsOn } departmentCode schoolsDue departmentDue
  state closedBy closeNote progress { schools notStarted schoolConfirmed departmentConfirmed returned overdue openTasks }
  schools { schoolCode state } tasks { id kind } }"""

OPEN = """mutation($input: OpenReverificationInput!) { openReverification(input: $input) { __typename
  ... on OpenReverificationSuccess { campaign { ...C } } ... on OpenReverificationError { field message code } } }""" + CAMPAIGN
CONFIRM = """mutation($input: ReverificationSchoolInput!) { confirmReverificationRoster(input: $input) { __typename
  ... on ConfirmReverificationRosterSuccess { school { ...S } }
  ... on ConfirmReverificationRosterError { field message code } } }""" + SCHOOL
DECIDE = """mutation($input: DecideReverificationSchoolInput!) { decideReverificationSchool(input: $input) { __typename
  ... on DecideReverificationSchoolSuccess { school { ...S tasks { id } } }
  ... on DecideReverificationSchoolError { field message code } } }""" + SCHOOL
CLOSE = """mutation($input: CloseReverificationInput!) { closeReverification(input: $input) { __typename
  ... on CloseReverificationSuccess { campaign { ...C } } ... on CloseReverificationError { field message code } } }""" + CAMPAIGN
RAISE = """mutation($input: RaiseReverificationDiscrepancyInput!) { raiseReverificationDiscrepancy(input: $input) { __typename
  ... on RaiseReverificationDiscrepancySuccess { discrepancy { ...D } school { state } }
  ... on RaiseReverificationDiscrepancyError { field message code } } }""" + DISCREPANCY
WITHDRAW = """mutation($id: ID!) { withdrawReverificationDiscrepancy(input: {id: $id}) { __typename
  ... on WithdrawReverificationDiscrepancySuccess { discrepancy { ...D } }
  ... on WithdrawReverificationDiscrepancyError { field message code } } }""" + DISCREPANCY
LINK = """mutation($input: LinkReverificationDiscrepancyInput!) { linkReverificationDiscrepancy(input: $input) { __typename
  ... on LinkReverificationDiscrepancySuccess { discrepancy { ...D } }
  ... on LinkReverificationDiscrepancyError { field message code } } }""" + DISCREPANCY
WAIVE = """mutation($input: WaiveReverificationDiscrepancyInput!) { waiveReverificationDiscrepancy(input: $input) {
  __typename ... on WaiveReverificationDiscrepancySuccess { discrepancy { ...D } }
  ... on WaiveReverificationDiscrepancyError { field message code } } }""" + DISCREPANCY
PART = """query($c: ID!, $s: String!, $after: String) { reverificationSchool(campaignId: $c, schoolCode: $s) { ...S
  roster(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { number state } } }
  discrepancies { ...D } tasks { id } } }""" + SCHOOL + DISCREPANCY
ROSTER = """query($c: ID!, $s: String!, $grade: Int, $className: String) { reverificationSchool(campaignId: $c, schoolCode: $s) {
  roster(first: 10, grade: $grade, className: $className) { totalCount edges { node { number } } } } }"""
CAMPAIGN_QUERY = "query($id: ID!) { reverificationCampaign(id: $id) { ...C } }" + CAMPAIGN
CAMPAIGNS = """query($term: String) { reverificationCampaigns(term: $term) { totalCount edges { node { id } } } }"""
ESCALATIONS = "{ reverificationEscalations { totalCount edges { node { id schoolCode state escalatedTo } } } }"


@contextmanager
def own_api(endpoints: Endpoints) -> Iterator[tuple[ApiServer, Any]]:
    server = ApiServer(settings_for(endpoints)).start()
    assert server.settings.mongodb_uri is not None
    mongo: MongoClient[dict[str, Any]] = MongoClient(server.settings.mongodb_uri, tz_aware=True)
    try:
        yield server, mongo[server.settings.mongodb_database]
    finally:
        mongo.close()
        server.stop()


@contextmanager
def client_of(server: ApiServer) -> Iterator[GraphQLClient]:
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        yield GraphQLClient(http, server.settings)


def run(gql: GraphQLClient, document: str, name: str, as_: str, **variables: Any) -> dict[str, Any]:
    """The result of one mutation (its Success or its Error)."""
    result: dict[str, Any] = gql(document, variables, as_=as_)[name]
    return result


def open_campaign(gql: GraphQLClient, as_: str, term: str = TERM, **due: str) -> dict[str, Any]:
    return run(gql, OPEN, "openReverification", as_, input={"term": term, **due})


def confirm(gql: GraphQLClient, campaign: str, school: str, as_: str) -> dict[str, Any]:
    return run(gql, CONFIRM, "confirmReverificationRoster", as_, input={"campaignId": campaign, "schoolCode": school})


def decide(gql: GraphQLClient, campaign: str, school: str, as_: str, decision: str = "CONFIRM", comment: str | None = None) -> dict[str, Any]:
    payload = {"campaignId": campaign, "schoolCode": school, "decision": decision, "comment": comment}
    return run(gql, DECIDE, "decideReverificationSchool", as_, input=payload)


def raise_(gql: GraphQLClient, campaign: str, school: str, as_: str, **report: Any) -> dict[str, Any]:
    return run(gql, RAISE, "raiseReverificationDiscrepancy", as_, input={"campaignId": campaign, "schoolCode": school, **report})


def link(gql: GraphQLClient, discrepancy: str, kind: str, business: str, as_: str) -> dict[str, Any]:
    payload = {"id": discrepancy, "businessKind": kind, "businessId": business}
    return run(gql, LINK, "linkReverificationDiscrepancy", as_, input=payload)


def part(gql: GraphQLClient, campaign: str, school: str, as_: str, after: str | None = None) -> dict[str, Any] | None:
    found: dict[str, Any] | None = gql(PART, {"c": campaign, "s": school, "after": after}, as_=as_)["reverificationSchool"]
    return found


def enrol(gql: GraphQLClient, school: str, as_: str, **over: Any) -> str:
    number: str = gql(ENROL, {"input": enrolment(school, **over)}, as_=as_)["enrollStudent"]["student"]["number"]
    return number
