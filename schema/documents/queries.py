from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from domain.errors import DomainError
from domain.evidence import FixityRun as DomainFixityRun
from domain.evidence import may_read_fixity
from schema.context import Info
from schema.docs import STUDENT_NUMBER_ARG
from application import documents as usecases
from schema.documents.types import Document
from application import students as students


@strawberry.type(description="One pass of the fixity audit (`scripts/evidence fixity`) over every stored file.")
class FixityRun:
    id: strawberry.ID = strawberry.field(description="The run's id.")
    started_at: datetime = strawberry.field(description="When the run started (ISO 8601 date and time, UTC).")
    finished_at: datetime | None = strawberry.field(description="When it finished; null while running or interrupted.")
    checked: int = strawberry.field(description="How many files it has re-read so far.")
    mismatches: JSON = strawberry.field(
        description="Files whose SHA-256 or size differ from the recorded ones: a JSON list of objects with "
        "`documentId`, `version`, `part` (original or rendition), `key`, `versionId`, `expected`, `found` and `size`."
    )
    missing: JSON = strawberry.field(
        description="Files the store no longer has: a JSON list of objects with `documentId`, `version`, `part`, "
        "`key` and `versionId`."
    )

    @classmethod
    def of(cls, r: DomainFixityRun) -> FixityRun:
        return cls(
            id=strawberry.ID(r.id),
            started_at=r.started_at,
            finished_at=r.finished_at,
            checked=r.checked,
            mismatches=cast(JSON, r.mismatches),
            missing=cast(JSON, r.missing),
        )


@strawberry.type
class DocumentQueries:
    @strawberry.field(
        description="Recent fixity audit runs, newest first: archivists and auditors only (others get FORBIDDEN)."
    )
    async def fixity_runs(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="How many runs, 1 to 100 (others are clamped).")] = 10,
    ) -> list[FixityRun]:
        if not may_read_fixity(info.context.account):
            raise GraphQLError("the fixity audit is for archivists and auditors", extensions={"code": "FORBIDDEN"})
        runs = await info.context.stores.fixity.recent(min(max(first, 1), 100))
        return [FixityRun.of(r) for r in runs]

    @strawberry.field(description="A document by id; null when there is none or its student is outside your scope.")
    async def document(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The document's id.")]
    ) -> Document | None:
        try:
            return Document(document=await usecases.document_in_scope(info.context, str(id)))
        except DomainError:
            return None

    @strawberry.field(
        description="A student's documents, oldest first, as in `Student.documents` (withdrawn ones are not among "
        "them); null outside your scope."
    )
    async def documents(
        self, info: Info, number: Annotated[str, strawberry.argument(description=STUDENT_NUMBER_ARG)]
    ) -> list[Document] | None:
        try:
            row, _ = await students.student_in_scope(info.context, number)
        except DomainError:
            return None
        return [Document(document=d) for d in await info.context.stores.documents.for_dossier(row.dossier.id)]
