"""The caller and the registrars filed with the supervising level."""

from __future__ import annotations

from datetime import date

import strawberry

from domain import accounts as a
from domain.access import require_writer
from domain.errors import DomainError
from schema.context import Info
from schema.docs import describe_values
from schema.jurisdiction.types import Area, School

Role = describe_values(
    strawberry.enum(a.Role, description="What an account may do; together with its scope it decides every access."),
    {
        "SCHOOL_REGISTRAR": "学校学籍管理员: keys in and keeps the dossiers of one school, once trained (Art. 22); reads "
        "its students' personal data.",
        "COUNTY_DEPARTMENT": "县级教育行政部门: supervises (学籍主管部门) the schools of its county, except the city's or "
        "province's 直管学校; verifies (核准) and decides their cases and corrections.",
        "CITY_DEPARTMENT": "省辖市教育行政部门: sees every school in the city; supervises its own 直管学校.",
        "PROVINCE_DEPARTMENT": "省级教育行政部门: sees every school; supervises its own 直管学校 and publishes the archive "
        "section schemas (Art. 3).",
        "ARCHIVIST": "Archive duties (Art. 19) for the schools located in its area: legal holds, downloads of the "
        "untouched originals; and the fixity audit.",
        "AUDITOR": "Read-only: the schools and dossiers of its area and their audit trail; writes nothing.",
        "ADMIN": "System administration (the working calendar); sees every school as reference data, but no dossiers.",
    },
)


FILED_ON = (
    "When the holder's details were filed (报送备案) with the education department one level up (Art. 22); null: "
    "not recorded yet."
)
FILING_REFERENCE = "The filing's reference (文号 or register number), as recorded with `filedOn`."


@strawberry.type(description="Who you are: your role, your scope and whether you may write.")
class Viewer:
    login: str = strawberry.field(description="Your login (lower-case letters, digits, `.`, `_`, `-`).")
    name: str = strawberry.field(description="Your name, as the account shows it.")
    role: Role = strawberry.field(description="Your role; with `scopeCode` it decides what you see and do.")  # type: ignore[valid-type]
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


@strawberry.type(description="A school registrar (学籍管理员) as filed with the supervising level (备案, Art. 22).")
class Registrar:
    login: str = strawberry.field(description="The registrar's login; give it to `recordRegistrarTraining`.")
    name: str = strawberry.field(description="The registrar's name.")
    school_code: str = strawberry.field(description="The registrar's school (学校标识码).")
    phone: str | None = strawberry.field(description="The registrar's phone, as filed (备案); null when none.")
    trained_on: date | None = strawberry.field(
        description="When the training was completed (ISO 8601 date); null: not trained yet, so reads only (Art. 22)."
    )
    filed_on: date | None = strawberry.field(description=FILED_ON)
    filing_reference: str | None = strawberry.field(description=FILING_REFERENCE)

    @classmethod
    def of(cls, account: a.Account) -> Registrar:
        return cls(
            login=account.login,
            name=account.name,
            school_code=account.scope_code or "",
            phone=account.phone,
            trained_on=account.trained_on,
            filed_on=account.filed_on,
            filing_reference=account.filing_reference,
        )


@strawberry.type(
    name="Account",
    description="An account as the admin or the department administering it sees it (R-A4): role, scope, "
    "training, filing and whether it may sign in.",
)
class ManagedAccount:
    login: str = strawberry.field(description="The login a token names (lower-case letters, digits, `.`, `_`, `-`).")
    name: str = strawberry.field(description="The account holder's or office's name.")
    role: Role = strawberry.field(description="The account's role; with `scopeCode` it decides what it sees and does.")  # type: ignore[valid-type]
    scope_code: str | None = strawberry.field(
        description="A school identifier (registrars), an area code (departments, archivists, auditors), or null (admin)."
    )
    phone: str | None = strawberry.field(description="The contact phone, as filed (备案); null when none.")
    disabled: bool = strawberry.field(description="True: every request with a token for it is refused (HTTP 401).")
    trained_on: date | None = strawberry.field(description="When a registrar's training was recorded (Art. 22).")
    filed_on: date | None = strawberry.field(description=FILED_ON)
    filing_reference: str | None = strawberry.field(description=FILING_REFERENCE)

    @classmethod
    def of(cls, account: a.Account) -> ManagedAccount:
        return cls(
            login=account.login,
            name=account.name,
            role=account.role,
            scope_code=account.scope_code,
            phone=account.phone,
            disabled=account.disabled,
            trained_on=account.trained_on,
            filed_on=account.filed_on,
            filing_reference=account.filing_reference,
        )
