"""The caller and the registrars filed with the supervising level."""

from __future__ import annotations

from datetime import date

import strawberry

from domain import accounts as a
from domain.access import require_writer
from domain.errors import DomainError
from schema.context import Info
from schema.jurisdiction.types import Area, School

Role = strawberry.enum(a.Role, description="What an account may do; together with its scope it decides every access.")


@strawberry.type(description="Who you are: your role, your scope and whether you may write.")
class Viewer:
    login: str
    name: str
    role: Role  # type: ignore[valid-type]
    scope_code: str | None = strawberry.field(
        description="Your school identifier (registrars), your area code (departments, archivists, auditors), "
        "or null (the system admin)."
    )
    trained_on: date | None = strawberry.field(description="When your registrar training was recorded (Art. 22).")
    can_write: bool = strawberry.field(description="False for auditors and for registrars not yet trained.")

    @classmethod
    def of(cls, account: a.Account) -> Viewer:
        try:
            require_writer(account)
            can_write = True
        except DomainError:
            can_write = False
        return cls(
            login=account.login,
            name=account.name,
            role=account.role,
            scope_code=account.scope_code,
            trained_on=account.trained_on,
            can_write=can_write,
        )

    @strawberry.field(description="Your school, for school registrars.")
    async def school(self, info: Info) -> School | None:
        if self.role is not a.Role.SCHOOL_REGISTRAR or self.scope_code is None:
            return None
        found = await info.context.loaders.school.load(self.scope_code)
        return School.of(found) if found else None

    @strawberry.field(description="Your area, for departments, archivists and auditors.")
    async def area(self, info: Info) -> Area | None:
        if self.role is a.Role.SCHOOL_REGISTRAR or self.scope_code is None:
            return None
        found = await info.context.loaders.area.load(self.scope_code)
        return Area.of(found) if found else None


@strawberry.type(description="A school registrar (学籍管理员) as filed with the supervising level (Art. 22).")
class Registrar:
    login: str
    name: str
    school_code: str
    phone: str | None
    trained_on: date | None

    @classmethod
    def of(cls, account: a.Account) -> Registrar:
        return cls(
            login=account.login,
            name=account.name,
            school_code=account.scope_code or "",
            phone=account.phone,
            trained_on=account.trained_on,
        )
