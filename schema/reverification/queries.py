"""Reading term re-verifications: the campaigns you see, one campaign, one school's part
(its progress, roster and discrepancies), and the overdue steps escalated to you."""

from __future__ import annotations

from typing import Annotated

import strawberry

from application import reverification as usecases
from domain.errors import DomainError
from domain.ports import Page
from schema.context import Info
from schema.docs import SCHOOL_CODE
from schema.inputs import bad_input
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor
from schema.reverification.types import ReverificationCampaign, ReverificationSchool, campaign_of


@strawberry.type
class ReverificationQueries:
    @strawberry.field(
        description="The term re-verifications you see (Art. 23): a registrar those of its school, a department or an "
        "auditor those of the departments in its area; none for other roles. By id. " + FORWARD_ONLY
    )
    async def reverification_campaigns(
        self,
        info: Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        term: Annotated[
            str | None, strawberry.argument(description="Only this term, coded like 2026-2027-1 (else BAD_USER_INPUT).")
        ] = None,
    ) -> Connection[ReverificationCampaign]:
        ctx = info.context
        try:
            page = await usecases.campaigns_page(
                ctx, term, after=decode_cursor("reverification", after), first=check_first(first, ctx.page_size_max)
            )
        except DomainError as e:
            raise bad_input(e) from e
        items = [await campaign_of(info, c) for c in page.items]
        return connection("reverification", Page(items, page.keys, page.has_next, page.total), after=after)

    @strawberry.field(description="A term re-verification by id; null when there is none or you do not see it.")
    async def reverification_campaign(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The campaign's id.")]
    ) -> ReverificationCampaign | None:
        try:
            campaign = await usecases.campaign_in_scope(info.context, str(id))
        except DomainError:
            return None
        return await campaign_of(info, campaign)

    @strawberry.field(
        description="One school's part of a re-verification: its progress, roster and discrepancies; null when you do "
        "not see it (a registrar sees its own school's only)."
    )
    async def reverification_school(
        self,
        info: Info,
        campaign_id: Annotated[strawberry.ID, strawberry.argument(description="The campaign's id.")],
        school_code: Annotated[str, strawberry.argument(description=SCHOOL_CODE)],
    ) -> ReverificationSchool | None:
        try:
            _, result = await usecases.result_in_scope(info.context, str(campaign_id), school_code)
        except DomainError:
            return None
        return ReverificationSchool(result=result)

    @strawberry.field(
        description="Your department's inbox of overdue re-verification steps escalated to it by the daily job: "
        "schools it supervises that did not confirm in time, and departments below it that did not decide in time "
        "(Art. 25, 26). Empty for other roles. By id. " + FORWARD_ONLY
    )
    async def reverification_escalations(
        self, info: Info, first: First = DEFAULT_PAGE_SIZE, after: After = None
    ) -> Connection[ReverificationSchool]:
        ctx = info.context
        page = await usecases.escalations_page(
            ctx, after=decode_cursor("reverification-school", after), first=check_first(first, ctx.page_size_max)
        )
        return connection("reverification-school", page.map(lambda x: ReverificationSchool(result=x)), after=after)
