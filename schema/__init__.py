"""The GraphQL schema: thin types, queries and mutations over `domain/`, grouped by area
of the domain (jurisdiction, accounts, audit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from schema import outcomes
from schema.accounts.management import AccountManagementMutations
from schema.accounts.mutations import AccountMutations
from schema.accounts.queries import AccountQueries
from schema.audit.queries import AuditQueries
from schema.nul_guard import RefuseNul
from schema.intake.queries import IntakeQueries
from schema.jurisdiction.list_mutations import ListMutations
from schema.jurisdiction.mutations import JurisdictionMutations
from schema.jurisdiction.queries import JurisdictionQueries
from schema.cases.mutations import CaseMutations
from schema.cases.queries import CaseQueries
from schema.changes.queries import ChangeQueries
from schema.corrections.mutations import CorrectionMutations
from schema.corrections.queries import CorrectionQueries
from schema.documents.archive import ArchiveQueries
from schema.documents.mutations import DocumentMutations
from schema.documents.queries import DocumentQueries
from schema.documents.types import UploadErrorCode
from schema.operations.mutations import PersistedOperationMutations
from schema.persisted import PersistedDocumentCache
from schema.reverification.mutations import ReverificationMutations
from schema.reverification.queries import ReverificationQueries
from schema.reverification.task_mutations import ReverificationTaskMutations
from schema.students.mutations import StudentMutations
from schema.students.queries import StudentQueries
from schema.students.sections import SectionMutations
from schema.promotion.mutations import PromotionMutations
from schema.promotion.queries import PromotionQueries
from schema.archive_handovers.mutations import ArchiveHandoverMutations
from schema.archive_handovers.queries import ArchiveHandoverQueries
from schema.exports.mutations import ExportMutations
from schema.exports.queries import ExportQueries
from schema.compliance.queries import ComplianceQueries
from schema.school_handover.mutations import SchoolHandoverMutations
from schema.school_handover.queries import SchoolHandoverQueries

# Parsed and validated documents are cached for the whole process (LRU by query text and
# by document and rules), so a frontend's fixed set of operations is parsed and validated
# once. Both caches are shared by every schema built with these sizes.
PARSE_CACHE_SIZE = 512
VALIDATION_CACHE_SIZE = 512


@strawberry.type(
    description="Reads. Everything is filtered by your role and scope (README access table): what is outside it is "
    "null or absent, exactly as if it did not exist."
)
class Query(
    AccountQueries,
    JurisdictionQueries,
    StudentQueries,
    CorrectionQueries,
    CaseQueries,
    DocumentQueries,
    ArchiveQueries,
    AuditQueries,
    IntakeQueries,
    ChangeQueries,
    ReverificationQueries,
    PromotionQueries,
    ArchiveHandoverQueries,
    ExportQueries,
    ComplianceQueries,
    SchoolHandoverQueries,
):
    pass


@strawberry.type(
    description="Writes. Each returns a union of its `…Success` and its typed `…Error` (with a stable `code`); every "
    "attempt, accepted or refused, is written to the audit trail."
)
class Mutation(
    AccountMutations,
    AccountManagementMutations,
    JurisdictionMutations,
    ListMutations,
    StudentMutations,
    CorrectionMutations,
    CaseMutations,
    SectionMutations,
    DocumentMutations,
    PersistedOperationMutations,
    ReverificationMutations,
    ReverificationTaskMutations,
    PromotionMutations,
    ArchiveHandoverMutations,
    ExportMutations,
    SchoolHandoverMutations,
):
    pass


class XuejiSchema(strawberry.Schema):
    """Logs every error once, by class, and gives it its stable code (schema/outcomes.py)."""

    def __init__(
        self, *args: Any, hide_suggestions: bool, unavailable: Callable[[BaseException], bool], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.hide_suggestions = hide_suggestions
        self.unavailable = unavailable

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        outcomes.present(errors, hide_suggestions=self.hide_suggestions, unavailable=self.unavailable)


def build_schema(
    *,
    max_depth: int = 12,
    max_tokens: int = 4000,
    max_aliases: int = 15,
    introspection: bool = True,
    unavailable: Callable[[BaseException], bool] = outcomes.never,
) -> strawberry.Schema:
    """Without introspection (production) "Did you mean …?" suggestions are hidden too, so
    that error messages do not reveal the schema. `unavailable` tells which exceptions mean
    the database did not answer (their errors get DATABASE_UNAVAILABLE)."""
    # The rules are built once: QueryDepthLimiter and MaxAliasesLimiter make a new rule
    # class per instance, and the validation cache is keyed by the rule classes.
    rules: list[type[ASTValidationRule]] = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    # Factories, so that each request gets fresh extension instances; MaskErrors last.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: ParserCache(maxsize=PARSE_CACHE_SIZE),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=VALIDATION_CACHE_SIZE),
        PersistedDocumentCache,  # after the caches: a known persisted document skips parsing and validation
        RefuseNul,
        lambda: outcomes.MaskInternalErrors(unavailable),
    ]
    # UploadErrorCode documents the REST upload's codes; no field returns it.
    return XuejiSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        types=[UploadErrorCode],
        execution_context_class=outcomes.executor_class(hide_suggestions=not introspection),
        hide_suggestions=not introspection,
        unavailable=unavailable,
    )
