"""Withdrawing a scan filed under the wrong student (Art. 6 (2), 20, 24): the rules are in
`domain/withdrawal.py`; here the document, its student and the businesses that may cite it
are loaded, and the withdrawal is claimed as the document's next version."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from domain import access
from domain.access import ROLE_CODES
from domain.error_codes import declared
from domain.errors import DomainError
from domain.evidence import Document
from domain.text import MULTI_LINE, TEXT_CODES, clean_text
from domain.withdrawal import WITHDRAW_RULE_CODES, withdraw
from application.documents import DOCUMENT_LOOKUP_CODES, document_and_student
from application.session import Session

WITHDRAW_DOCUMENT_CODES = declared(*DOCUMENT_LOOKUP_CODES, *ROLE_CODES, *TEXT_CODES, *WITHDRAW_RULE_CODES, "CONFLICT")


async def withdraw_document(ctx: Session, document_id: str, reason: str) -> tuple[Document, str]:
    """The registrar of the school that holds the dossier files its evidence (Art. 6, 20)
    and so takes a misfiled scan out of it. The document and the school it is audited
    under; refused, changing nothing, when a business cites it or it changed meanwhile."""
    document, row = await document_and_student(ctx, document_id, withdrawn_too=True)
    school = await ctx.loaders.school.load(row.dossier.status.school_code)
    assert school is not None
    access.require_school_registrar(ctx.account, school)
    reason = clean_text("reason", reason, max_length=MULTI_LINE, multi_line=True)
    withdrawn = withdraw(
        document,
        by=ctx.account.login,
        at=datetime.now(UTC),
        reason=reason,
        cases=await ctx.stores.cases.for_dossier(document.dossier_id),
        corrections=await ctx.stores.corrections.for_dossier(document.dossier_id),
    )
    if not await ctx.stores.documents.withdraw(document, withdrawn, ctx.stamp()):
        raise DomainError("documentId", "the document changed meanwhile; reload it and try again", "CONFLICT")
    return replace(withdrawn, revision=document.revision + 1), school.code
