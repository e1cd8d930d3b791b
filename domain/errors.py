"""Domain errors: each carries the input field it concerns, a message for people and a
stable machine code that frontends switch on, one of those declared in
`domain/error_codes.py`. The GraphQL layer turns them into typed errors in mutation results."""

from __future__ import annotations

from domain.error_codes import DESCRIPTIONS


class DomainError(Exception):
    def __init__(self, field: str | None, message: str, code: str) -> None:
        if code not in DESCRIPTIONS:  # a typo or a new code: declare it with its description
            raise ValueError(f"{code!r} is not declared in domain/error_codes.py")
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"DomainError({self.field!r}, {self.message!r}, {self.code!r})"


class PermissionDenied(DomainError):
    """The caller's role or scope does not allow this (R-A4)."""

    def __init__(self, message: str, code: str = "PERMISSION_DENIED", field: str | None = None) -> None:
        super().__init__(field, message, code)


class NotFound(DomainError):
    """Nothing the caller may see answers to this key. Out-of-scope objects are reported
    exactly like missing ones, so that a probe learns nothing about them (Art. 24)."""

    def __init__(self, field: str, what: str) -> None:
        super().__init__(field, f"no {what} with this key in your scope", "NOT_FOUND")
