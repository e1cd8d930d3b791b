"""The GraphQL schema: thin types, queries and mutations over `domain/`, grouped by area
of the domain (jurisdiction, accounts, audit)."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from graphql import ASTValidationRule, GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule

from schema.accounts.mutations import AccountMutations
from schema.accounts.queries import AccountQueries
from schema.audit.queries import AuditQueries
from schema.jurisdiction.mutations import JurisdictionMutations
from schema.jurisdiction.queries import JurisdictionQueries
from schema.cases.mutations import CaseMutations
from schema.cases.queries import CaseQueries
from schema.corrections.mutations import CorrectionMutations
from schema.corrections.queries import CorrectionQueries
from schema.documents.mutations import DocumentMutations
from schema.documents.queries import DocumentQueries
from schema.documents.types import UploadErrorCode
from schema.students.mutations import StudentMutations
from schema.students.queries import StudentQueries
from schema.students.sections import SectionMutations

EXPOSED_ERROR_CODES = frozenset({"BAD_USER_INPUT", "FORBIDDEN", "UNAUTHENTICATED"})
# Parsed and validated documents are cached for the whole process (LRU by query text and
# by document and rules), so a frontend's fixed set of operations is parsed and validated
# once. Both caches are shared by every schema built with these sizes.
PARSE_CACHE_SIZE = 512
VALIDATION_CACHE_SIZE = 512


@strawberry.type
class Query(
    AccountQueries, JurisdictionQueries, StudentQueries, CorrectionQueries, CaseQueries, DocumentQueries, AuditQueries
):
    pass


@strawberry.type
class Mutation(
    AccountMutations,
    JurisdictionMutations,
    StudentMutations,
    CorrectionMutations,
    CaseMutations,
    SectionMutations,
    DocumentMutations,
):
    pass


def _is_internal(error: GraphQLError) -> bool:
    """Validation errors and our coded errors are shown; anything else is masked."""
    if error.original_error is None:
        return False
    return (error.extensions or {}).get("code") not in EXPOSED_ERROR_CODES


def build_schema(
    *, max_depth: int = 12, max_tokens: int = 4000, max_aliases: int = 15, introspection: bool = True
) -> strawberry.Schema:
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
        lambda: MaskErrors(should_mask_error=_is_internal, error_message="internal error; quote the request id"),
    ]
    # UploadErrorCode documents the REST upload's codes; no field returns it.
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions, types=[UploadErrorCode])
