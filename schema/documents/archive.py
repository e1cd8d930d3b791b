"""What archivists answer for, and auditors check, in their area (R-E3, Art. 19): the
documents under legal hold or withdrawn, and the state of the archive."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError

from application import archive as usecases
from domain import evidence as e
from domain.errors import DomainError
from schema.context import Info
from schema.docs import describe_values
from schema.documents.queries import FixityRun
from schema.documents.types import Document
from schema.pagination import DEFAULT_PAGE_SIZE, FORWARD_ONLY, After, Connection, First, check_first, connection, decode_cursor

ArchiveListType = describe_values(
    strawberry.enum(e.ArchiveList, name="ArchiveList", description="Which documents of your area `archiveDocuments` lists."),
    {
        "LEGAL_HOLD": "Documents under an archivist's legal hold (`setLegalHold`, R-E3).",
        "WITHDRAWN": "Documents withdrawn from the dossier they were filed in by mistake (`withdrawDocument`), with "
        "who withdrew them, when and why.",
    },
)


@strawberry.type(
    description="One pass of the reconcile sweep (`scripts/evidence reconcile`): uploads left PENDING finished or "
    "forgotten, and the objects of the evidence store that no document's metadata names."
)
class ReconcileRun:
    id: strawberry.ID = strawberry.field(description="The run's id.")
    started_at: datetime = strawberry.field(description="When the run started (ISO 8601 date and time, UTC).")
    finished_at: datetime | None = strawberry.field(description="When it finished (ISO 8601 date and time, UTC).")
    completed: int = strawberry.field(description="PENDING uploads whose bytes were found in the store and marked stored.")
    forgotten: int = strawberry.field(description="PENDING uploads whose bytes never reached the store, forgotten.")
    objects_checked: int = strawberry.field(description="Object versions under `evidence/` the run listed, in every area.")
    orphans: int = strawberry.field(description="Object versions without metadata it found, in every area.")

    @classmethod
    def of(cls, r: e.ReconcileRun) -> ReconcileRun:
        return cls(
            id=strawberry.ID(r.id), started_at=r.started_at, finished_at=r.finished_at, completed=r.completed,
            forgotten=r.forgotten, objects_checked=r.objects_checked, orphans=r.orphans,
        )


@strawberry.type(
    description="The state of the evidence archive in your area (a province archivist's: the province), from the "
    "last runs of the archive sweeps and the documents' metadata."
)
class ArchiveStatus:
    status: strawberry.Private[usecases.ArchiveStatus]

    @strawberry.field(description="The last fixity run (it may still be running: `finishedAt` null); null before the first.")
    def last_fixity_run(self) -> FixityRun | None:
        run = self.status.last_fixity_run
        return None if run is None else FixityRun.of(run)

    @strawberry.field(
        description="Documents of your area with an upload stuck in PENDING (its metadata written, its object not "
        "confirmed) for longer than `stuckAfterMinutes`: the reconcile sweep finishes or forgets them."
    )
    def stuck_pending_documents(self) -> int:
        return self.status.stuck_pending

    @strawberry.field(description="After how many minutes a PENDING upload counts as stuck.")
    def stuck_after_minutes(self) -> int:
        return int(self.status.stuck_after.total_seconds() // 60)

    @strawberry.field(description="The last finished reconcile run; null before the first.")
    def last_reconcile_run(self) -> ReconcileRun | None:
        run = self.status.last_reconcile
        return None if run is None else ReconcileRun.of(run)

    @strawberry.field(
        description="Objects without metadata stored under the schools of your area, as the last reconcile run found "
        "them (they stay under their lock; nothing is deleted); null before the first run."
    )
    def orphan_objects(self) -> int | None:
        return self.status.orphans


def _forbidden(error: DomainError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": "FORBIDDEN"})


@strawberry.type
class ArchiveQueries:
    @strawberry.field(
        description="Documents of your area under legal hold, or withdrawn from their dossiers: those whose student "
        "you see (the dossier's school, and the schools keeping a copy), ordered by document id. Archivists and "
        "auditors only: anyone else gets a FORBIDDEN error. " + FORWARD_ONLY
    )
    async def archive_documents(
        self,
        info: Info,
        which: Annotated[
            ArchiveListType,  # type: ignore[valid-type]
            strawberry.argument(name="list", description="Which documents: held, or withdrawn."),
        ],
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Document]:
        ctx = info.context
        try:
            page = await usecases.archive_documents(
                ctx, e.ArchiveList(which), after=decode_cursor("document", after), first=check_first(first, ctx.page_size_max)
            )
        except DomainError as error:
            raise _forbidden(error) from error
        return connection("document", page.map(lambda d: Document(document=d)), after=after)

    @strawberry.field(
        description="The state of the evidence archive in your area: the last fixity run, uploads stuck in PENDING, "
        "objects without metadata. Archivists and auditors only: anyone else gets a FORBIDDEN error."
    )
    async def archive_status(self, info: Info) -> ArchiveStatus:
        try:
            return ArchiveStatus(status=await usecases.archive_status(info.context))
        except DomainError as error:
            raise _forbidden(error) from error
