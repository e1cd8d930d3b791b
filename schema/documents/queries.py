from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from domain.errors import DomainError
from domain.evidence import may_read_fixity
from schema.context import Info
from schema.documents import usecases
from schema.documents.types import Document
from schema.students import usecases as students


@strawberry.type(description="One pass of the fixity audit (`scripts/evidence fixity`).")
class FixityRun:
    id: strawberry.ID
    started_at: datetime
    finished_at: datetime | None
    checked: int
    mismatches: JSON = strawberry.field(description="Files whose SHA-256 or size differ from the recorded ones.")
    missing: JSON = strawberry.field(description="Files the store no longer has.")


@strawberry.type
class DocumentQueries:
    @strawberry.field(description="Recent fixity audit runs, newest first (archivists and auditors).")
    async def fixity_runs(self, info: Info, first: int = 10) -> list[FixityRun]:
        if not may_read_fixity(info.context.account):
            raise GraphQLError("the fixity audit is for archivists and auditors", extensions={"code": "FORBIDDEN"})
        runs = await info.context.stores.fixity.recent(min(max(first, 1), 100))
        return [
            FixityRun(
                id=strawberry.ID(r.id),
                started_at=r.started_at,
                finished_at=r.finished_at,
                checked=r.checked,
                mismatches=cast(JSON, r.mismatches),
                missing=cast(JSON, r.missing),
            )
            for r in runs
        ]

    @strawberry.field(description="A document; null outside your scope.")
    async def document(self, info: Info, id: strawberry.ID) -> Document | None:
        try:
            return Document(document=await usecases.document_in_scope(info.context, str(id)))
        except DomainError:
            return None

    @strawberry.field(description="A student's documents, oldest first; null outside your scope.")
    async def documents(self, info: Info, number: str) -> list[Document] | None:
        try:
            row, _ = await students.student_in_scope(info.context, number)
        except DomainError:
            return None
        return [Document(document=d) for d in await info.context.stores.documents.for_dossier(row.dossier.id)]
