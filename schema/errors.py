"""Typed mutation errors, Saleor style: each mutation has its own error type whose `code`
is an enum of exactly the stable codes that mutation can return. The enum is built from the
codes its use case declares (groups declared next to the rules that raise them, each code
described once in `domain/error_codes.py`); `tests/unit/test_error_codes.py` checks it
against what the code can raise, and `fail` refuses (loudly, in tests) a code the
mutation did not declare."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum, EnumType
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry

from domain.error_codes import DESCRIPTIONS, declared

__all__ = ["RACE_CODES", "Outcome", "ErrorCode", "audited", "fail"]
from domain.errors import DomainError
from application.audit import RACE_CODES, Outcome
from application.audit import audited as application_audited

if TYPE_CHECKING:
    from schema.context import Context



class _ErrorCodeType(EnumType):
    """Builds an error-code enum's members from its `codes` class keyword, each with its
    description from `domain/error_codes.py`."""

    @classmethod
    def __prepare__(  # type: ignore[override]
        metacls, cls: str, bases: tuple[type, ...], *, codes: tuple[str, ...] = (), **kwds: Any
    ) -> Any:
        namespace = super().__prepare__(cls, bases, **kwds)
        for code in sorted(declared(*codes)):  # stable whatever the order of composition
            namespace[code] = strawberry.enum_value(code, description=DESCRIPTIONS[code])
        return namespace

    def __new__(metacls, cls: str, bases: tuple[type, ...], classdict: Any, *, codes: tuple[str, ...] = (), **kwds: Any) -> Any:
        return super().__new__(metacls, cls, bases, classdict, **kwds)

    def __init__(cls, *args: Any, codes: tuple[str, ...] = (), **kwds: Any) -> None:
        super().__init__(*args, **kwds)


class ErrorCode(Enum, metaclass=_ErrorCodeType):
    """Base of the `…ErrorCode` enums: a static class per mutation, whose members are the
    codes given as its `codes` keyword, e.g.

        @strawberry.enum(description="…")
        class WithdrawCorrectionErrorCode(ErrorCode, codes=usecases.WITHDRAW_CORRECTION_CODES): ...
    """


E = TypeVar("E")


def fail(
    error_type: type[E],
    code_enum: type[Enum],
    error: DomainError,
    extra: Callable[[DomainError], dict[str, Any]] | None = None,
) -> E:
    try:
        code = code_enum[error.code]
    except KeyError as e:  # a rule raised a code this mutation does not declare
        raise RuntimeError(f"{error.code} is not declared in {code_enum.__name__}") from e
    kwargs: dict[str, Any] = {"field": error.field, "message": error.message, "code": code}
    if extra is not None:
        kwargs.update(extra(error))
    return error_type(**kwargs)


def open_business_fields(error: DomainError) -> dict[str, Any]:
    """`openBusinessId` / `openBusinessKind` of an ANOTHER_BUSINESS_OPEN error: set only
    when the caller may see that business (the error carries them only then)."""
    business_id = getattr(error, "business_id", None)
    kind = getattr(error, "business_kind", None)
    return {"open_business_id": strawberry.ID(business_id) if business_id else None, "open_business_kind": kind}


OPEN_BUSINESS_ID = "The open business (case or correction id) when the code is ANOTHER_BUSINESS_OPEN and you may see it; else null."
OPEN_BUSINESS_KIND = "Its kind: a CaseKind value or CORRECTION; null like openBusinessId."

S = TypeVar("S")


async def audited(
    ctx: Context,
    *,
    action: str,
    target: tuple[str, str],
    errors: tuple[type[E], type[Enum]],
    body: Callable[[], Awaitable[Outcome[S]]],
    extra: Callable[[DomainError], dict[str, Any]] | None = None,
) -> S | E:
    """Run a mutation body through the application's `audited` (the attempt goes to the
    audit trail either way); a refusal becomes the mutation's typed error."""
    try:
        outcome = await application_audited(ctx, action=action, target=target, body=body)
    except DomainError as e:
        return fail(errors[0], errors[1], e, extra)
    return outcome.result
