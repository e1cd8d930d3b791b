"""Reading the Art. 26 compliance report (R-F2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from graphql import GraphQLError

from application import compliance
from domain.errors import DomainError
from schema.compliance.types import ComplianceReport
from schema.context import Info
from schema.inputs import bad_input


@strawberry.type
class ComplianceQueries:
    @strawberry.field(
        description="The Art. 26 compliance report of an area for a period, for the departments over the area (Art. 25, "
        "26); anyone else gets a FORBIDDEN error. Each report read is audited."
    )
    async def compliance_report(
        self,
        info: Info,
        area_code: Annotated[str, strawberry.argument(description="The area: yours or one within it (6-digit code).")],
        start: Annotated[date, strawberry.argument(name="from", description="The first day of the period (ISO 8601).")],
        end: Annotated[date, strawberry.argument(name="to", description="The last day of the period, included (ISO 8601).")],
    ) -> ComplianceReport:
        try:
            report = await compliance.compliance_report(info.context, area_code, start, end)
        except DomainError as e:
            if e.code == "PERMISSION_DENIED":
                raise GraphQLError(e.message, extensions={"code": "FORBIDDEN"}) from e
            raise bad_input(e) from e
        return ComplianceReport.of(report)
