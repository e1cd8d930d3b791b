"""Administering accounts (R-A4; Art. 3, 21, 22): the admin and each department create,
disable and re-enable accounts inside their own scope, and the level above records the
filing (备案) of an account holder's details. Rules: `domain/access.py`; use cases:
`application/accounts.py`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from domain.accounts import Account
from domain.jurisdiction import School
from application import accounts as usecases
from schema.accounts.types import ManagedAccount, Role
from schema.context import Info
from schema.docs import describe_error
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited

LOGIN = "The account's login."
REASON = "Why (left the post, lost the device, back at work); recorded in the account's log and the audit trail."


@strawberry.enum(description="Stable codes of createAccount errors: exactly the ones it can return.")
class CreateAccountErrorCode(ErrorCode, codes=(*usecases.CREATE_ACCOUNT_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of disableAccount errors: exactly the ones it can return.")
class DisableAccountErrorCode(ErrorCode, codes=(*usecases.SET_DISABLED_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of enableAccount errors: exactly the ones it can return.")
class EnableAccountErrorCode(ErrorCode, codes=(*usecases.SET_DISABLED_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="Stable codes of recordAccountFiling errors: exactly the ones it can return.")
class RecordAccountFilingErrorCode(ErrorCode, codes=(*usecases.RECORD_FILING_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="A new account: who, which role, which scope. It can sign in as soon as it exists.")
class CreateAccountInput:
    login: str = strawberry.field(
        description="The login its tokens will name (the configured claim, `sub` by default): 3-64 lower-case letters, "
        "digits, `.`, `_` or `-`."
    )
    name: str = strawberry.field(description="The holder's or office's name; one line, at most 200 characters.")
    role: Role = strawberry.field(description="The role; a department creates only roles below its own level.")  # type: ignore[valid-type]
    scope_code: str | None = strawberry.field(
        default=None,
        description="A school identifier for a registrar, an area code of the department's level for a department, "
        "any area code for an archivist or auditor; null for the admin.",
    )
    phone: str | None = strawberry.field(default=None, description="The contact phone, as filed (备案); at most 50 characters.")


@strawberry.input(description="An account to disable or re-enable.")
class SetAccountDisabledInput:
    login: str = strawberry.field(description=LOGIN)
    reason: str | None = strawberry.field(default=None, description=REASON)


@strawberry.input(description="The filing (备案) of an account holder's details with the level above (Art. 22).")
class RecordAccountFilingInput:
    login: str = strawberry.field(description=LOGIN)
    filed_on: date = strawberry.field(description="The day the details were filed (ISO 8601 date, not in the future).")
    reference: str = strawberry.field(description="The filing's reference (文号 or register number); at most 100 characters.")


@strawberry.type(description="The account exists and can sign in.")
class CreateAccountSuccess:
    account: ManagedAccount = strawberry.field(description="The new account.")


@strawberry.type(description="The account is disabled: its next request is refused (HTTP 401).")
class DisableAccountSuccess:
    account: ManagedAccount = strawberry.field(description="The account, with `disabled` true.")


@strawberry.type(description="The account is enabled again: its tokens are accepted from the next request.")
class EnableAccountSuccess:
    account: ManagedAccount = strawberry.field(description="The account, with `disabled` false.")


@strawberry.type(description="The filing is recorded.")
class RecordAccountFilingSuccess:
    account: ManagedAccount = strawberry.field(description="The account, with `filedOn` and `filingReference` set.")


@strawberry.type
class CreateAccountError:
    field: str | None
    message: str
    code: CreateAccountErrorCode


@strawberry.type
class DisableAccountError:
    field: str | None
    message: str
    code: DisableAccountErrorCode


@strawberry.type
class EnableAccountError:
    field: str | None
    message: str
    code: EnableAccountErrorCode


@strawberry.type
class RecordAccountFilingError:
    field: str | None
    message: str
    code: RecordAccountFilingErrorCode


CreateAccountResult = Annotated[
    CreateAccountSuccess | CreateAccountError,
    strawberry.union("CreateAccountResult", description="What `createAccount` returns: the new account, or the typed error."),
]
DisableAccountResult = Annotated[
    DisableAccountSuccess | DisableAccountError,
    strawberry.union("DisableAccountResult", description="What `disableAccount` returns: the account, or the typed error."),
]
EnableAccountResult = Annotated[
    EnableAccountSuccess | EnableAccountError,
    strawberry.union("EnableAccountResult", description="What `enableAccount` returns: the account, or the typed error."),
]
RecordAccountFilingResult = Annotated[
    RecordAccountFilingSuccess | RecordAccountFilingError,
    strawberry.union("RecordAccountFilingResult", description="What `recordAccountFiling` returns: the account, or the typed error."),
]
for error_type, mutation in (
    (CreateAccountError, "createAccount"),
    (DisableAccountError, "disableAccount"),
    (EnableAccountError, "enableAccount"),
    (RecordAccountFilingError, "recordAccountFiling"),
):
    describe_error(error_type, mutation)


def _outcome(result: Any, account: Account, school: School | None, **details: Any) -> Outcome[Any]:
    details = {"role": account.role.value, "scopeCode": account.scope_code, **details}
    return Outcome(result, school_code=school.code if school else None, details=details)


@strawberry.type
class AccountManagementMutations:
    @strawberry.mutation(
        description="The admin, or a department inside its own area, creates an account (R-A4): a county its schools' "
        "registrars and its county's archivists and auditors; a city also its counties' departments; the province "
        "also its cities'. Never an admin, never a department of the creator's level or above. Audited."
    )
    async def create_account(
        self, info: Info, input: Annotated[CreateAccountInput, strawberry.argument(description="The new account.")]
    ) -> CreateAccountResult:
        ctx = info.context

        async def body() -> Outcome[CreateAccountSuccess]:
            created, school = await usecases.create_account(ctx, input.login, input.name, input.role, input.scope_code, input.phone)
            return _outcome(CreateAccountSuccess(account=ManagedAccount.of(created)), created, school, name=created.name)

        return await audited(
            ctx,
            action="mutation:createAccount",
            target=("account", input.login),
            errors=(CreateAccountError, CreateAccountErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="Whoever may create the account disables it (never their own): its very next request is refused "
        "with HTTP 401, whatever tokens it holds. Nothing is deleted; enableAccount undoes it. Audited."
    )
    async def disable_account(
        self, info: Info, input: Annotated[SetAccountDisabledInput, strawberry.argument(description="Which, and why.")]
    ) -> DisableAccountResult:
        ctx = info.context

        async def body() -> Outcome[DisableAccountSuccess]:
            account, school = await usecases.set_disabled(ctx, input.login, True, input.reason)
            return _outcome(DisableAccountSuccess(account=ManagedAccount.of(account)), account, school, reason=input.reason)

        return await audited(
            ctx,
            action="mutation:disableAccount",
            target=("account", input.login),
            errors=(DisableAccountError, DisableAccountErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="Whoever may create the account re-enables it: a new version of the account, its tokens accepted "
        "again from the next request. Audited."
    )
    async def enable_account(
        self, info: Info, input: Annotated[SetAccountDisabledInput, strawberry.argument(description="Which, and why.")]
    ) -> EnableAccountResult:
        ctx = info.context

        async def body() -> Outcome[EnableAccountSuccess]:
            account, school = await usecases.set_disabled(ctx, input.login, False, input.reason)
            return _outcome(EnableAccountSuccess(account=ManagedAccount.of(account)), account, school, reason=input.reason)

        return await audited(
            ctx,
            action="mutation:enableAccount",
            target=("account", input.login),
            errors=(EnableAccountError, EnableAccountErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="The department one level above records that an account holder's details were filed with it (备案, "
        "Art. 22): a registrar's with the school's supervising department, a county's accounts with the city, a city's "
        "with the province; the admin records the province's. Recorded again, the newer filing replaces it in a new "
        "version. Audited."
    )
    async def record_account_filing(
        self, info: Info, input: Annotated[RecordAccountFilingInput, strawberry.argument(description="Whose filing, when, under which reference.")]
    ) -> RecordAccountFilingResult:
        ctx = info.context

        async def body() -> Outcome[RecordAccountFilingSuccess]:
            account, school = await usecases.record_filing(ctx, input.login, input.filed_on, input.reference)
            success = RecordAccountFilingSuccess(account=ManagedAccount.of(account))
            return _outcome(success, account, school, filedOn=input.filed_on.isoformat(), reference=account.filing_reference)

        return await audited(
            ctx,
            action="mutation:recordAccountFiling",
            target=("account", input.login),
            errors=(RecordAccountFilingError, RecordAccountFilingErrorCode),
            body=body,
        )
