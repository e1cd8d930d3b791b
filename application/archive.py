"""What archivists answer for, and auditors check, in their area (R-E3, Art. 19, 24): the
documents under legal hold or withdrawn from their dossiers, and the state of the archive
(the last fixity run, uploads stuck in PENDING, objects no metadata names). Each read is one
equality on a scope token, served by a declared index, or a record a sweep wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import PermissionDenied
from domain.evidence import STUCK_AFTER, ArchiveList, Document, FixityRun, ReconcileRun, may_read_fixity
from domain.ports import Page
from application.session import Session


def _reviewer_scope(ctx: Session) -> str:
    """The scope token of an archivist or auditor (a province one sees the province);
    anyone else is refused."""
    key = ctx.student_scope_key
    if not may_read_fixity(ctx.account) or key is None:
        raise PermissionDenied("the archive's state is for archivists and auditors")
    return key


async def archive_documents(ctx: Session, which: ArchiveList, *, after: str | None, first: int) -> Page[Document]:
    return await ctx.stores.documents.page(_reviewer_scope(ctx), which, after=after, first=first)


@dataclass(frozen=True)
class ArchiveStatus:
    scope_key: str
    last_fixity_run: FixityRun | None
    stuck_pending: int
    stuck_after: timedelta
    last_reconcile: ReconcileRun | None

    @property
    def orphans(self) -> int | None:
        """Objects without metadata in the scope, as the last reconcile run found them."""
        return None if self.last_reconcile is None else self.last_reconcile.orphans_in(self.scope_key)


async def archive_status(ctx: Session) -> ArchiveStatus:
    key = _reviewer_scope(ctx)
    runs = await ctx.stores.fixity.recent(1)
    return ArchiveStatus(
        scope_key=key,
        last_fixity_run=runs[0] if runs else None,
        stuck_pending=await ctx.stores.documents.count_stuck(key, datetime.now(UTC) - STUCK_AFTER),
        stuck_after=STUCK_AFTER,
        last_reconcile=await ctx.stores.fixity.last_reconcile(),
    )
