"""Enrolment, dossier upkeep, verification (Art. 4-8)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated

import strawberry

from domain.dossier import normalised_class_name
from domain.error_codes import declared
from domain.errors import DomainError
from domain.identity import ID_DOCUMENT_CODES
from domain.text import MULTI_LINE, TEXT_CODES, identifier, optional_text
from schema.context import Info
from schema.errors import RACE_CODES, ErrorCode, Outcome, audited
from application import students as usecases
from schema.students.inputs import BasicDataInput, FlagsInput, GuardianInput, IdDocumentInput
from schema.docs import describe_error
from schema.students.types import Student
from application.students import Candidate, EnrolledElsewhereError

# What reading a dossier's input refuses: the identity document, and the text fields.
DOSSIER_INPUT_CODES = declared(*ID_DOCUMENT_CODES, *TEXT_CODES)


@strawberry.type(
    description="A likely duplicate (Art. 8: one status per person), for a person to review. Outside your scope only "
    "a masked name is given."
)
class DuplicateCandidate:
    in_scope: bool = strawberry.field(description="True when the dossier is in your scope (then `student` is given).")
    name: str = strawberry.field(
        description="The student's name; masked (first character, then *) when the student is outside your scope."
    )
    reasons: list[str] = strawberry.field(
        description="Why it matches: SAME_NAME_BIRTH_DATE_SEX, SAME_PINYIN_BIRTH_DATE_SEX (a homophone name), "
        "SAME_PINYIN_BIRTH_DATE, SHARED_GUARDIAN_ID (a guardian's identity document in common)."
    )
    student: Student | None = strawberry.field(description="The dossier, when it is in your scope; else null.")

    @classmethod
    def of(cls, c: Candidate) -> DuplicateCandidate:
        return cls(in_scope=c.in_scope, name=c.name, reasons=c.reasons, student=Student.of(c.row) if c.row else None)


# -- enrollStudent -------------------------------------------------------------------------


@strawberry.enum(description="Stable codes of enrollStudent errors: exactly the ones it can return.")
class EnrollStudentErrorCode(ErrorCode, codes=(*usecases.ENROL_CODES, *DOSSIER_INPUT_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="A new student's status at your school (Art. 5, 6).")
class EnrollStudentInput:
    school_code: str = strawberry.field(description="Your school's 10-digit identifier (学校标识码).")
    id_document: IdDocumentInput = strawberry.field(
        description="The student's identity document; a resident ID gives the `G` number, else a temporary `L` number."
    )
    basic: BasicDataInput = strawberry.field(description="Basic data (基础信息).")
    guardians: list[GuardianInput] = strawberry.field(
        default_factory=list, description="Family members and guardians, at most 10 (completeness needs a guardian)."
    )
    flags: FlagsInput | None = strawberry.field(default=None, description="Auxiliary flags; null for the defaults.")
    grade: int = strawberry.field(description="The grade entered, one your school offers (1-6 primary, 7-9 junior).")
    class_name: str = strawberry.field(description="Class (班级), one line of at most 20 characters.")
    entry_date: date = strawberry.field(
        description="Date of entry (ISO 8601 date, at most 92 days ahead); for grade 1 it fixes the intake year (Art. 4)."
    )
    entry_way: str = strawberry.field(description="How the student entered: 入学方式 code (code table `entryWay`).")
    study_mode: str = strawberry.field(description="How the student attends: 就读方式 code (code table `studyMode`).")
    age_approval_reference: str | None = strawberry.field(
        default=None,
        description="Grade 1 outside the Art. 4 age rule: the approval (number of the approval letter, one line, "
        "at most 100 characters) for deferral to 7 (county level) or admission under 6 (supervising department).",
    )
    confirm_not_duplicate: bool = strawberry.field(
        default=False, description="Set after reviewing candidates when the student has no identity number yet."
    )


@strawberry.type(description="The student was enrolled: the new dossier, waiting for 核准.")
class EnrollStudentSuccess:
    student: Student = strawberry.field(description="The new dossier, with its student number.")
    duplicate_candidates: list[DuplicateCandidate] = strawberry.field(
        description="Likely duplicates for review (not blocking when the identity is unique)."
    )


@strawberry.type(description="Where the person already has status (ENROLLED_ELSEWHERE): bring them in by transfer.")
class EnrolledAt:
    school_code: str = strawberry.field(description="That school's 10-digit identifier (学校标识码).")
    school_name: str = strawberry.field(description="That school's name.")


@strawberry.type
class EnrollStudentError:
    field: str | None
    message: str
    code: EnrollStudentErrorCode
    enrolled_at: EnrolledAt | None = None


EnrollStudentResult = Annotated[EnrollStudentSuccess | EnrollStudentError, strawberry.union(
        "EnrollStudentResult", description="What `enrollStudent` returns: the new dossier, or the typed error."
    )]
describe_error(
    EnrollStudentError, "enrollStudent",
    enrolled_at="With ENROLLED_ELSEWHERE: the school where the person has status; else null.",
)


# -- updateDossier -------------------------------------------------------------------------


@strawberry.enum(description="Stable codes of updateDossier errors: exactly the ones it can return.")
class UpdateDossierErrorCode(ErrorCode, codes=(*usecases.UPDATE_CODES, *DOSSIER_INPUT_CODES, *RACE_CODES)):
    ...


@strawberry.input(description="Give only the parts that change; lists and groups are replaced whole.")
class UpdateDossierInput:
    number: str = strawberry.field(description="The student number (or an alias).")
    basic: BasicDataInput | None = strawberry.field(
        default=None, description="The whole basic data; once verified, key data must stay as it is (Art. 10)."
    )
    id_document: IdDocumentInput | None = strawberry.field(
        default=None, description="Record an ID obtained later: a resident ID replaces the L number by the G number."
    )
    guardians: list[GuardianInput] | None = strawberry.field(
        default=None, description="Every family member (the list replaces the current one)."
    )
    flags: FlagsInput | None = strawberry.field(default=None, description="Every auxiliary flag (replaces them all).")
    class_name: str | None = strawberry.field(default=None, description="The new class (班级), at most 20 characters.")
    study_mode: str | None = strawberry.field(default=None, description="The new 就读方式 code (`studyMode`).")


@strawberry.type(description="The dossier was updated; a RETURNED dossier goes back to the department (UNVERIFIED).")
class UpdateDossierSuccess:
    student: Student = strawberry.field(description="The dossier as it now is.")


@strawberry.type
class UpdateDossierError:
    field: str | None
    message: str
    code: UpdateDossierErrorCode


UpdateDossierResult = Annotated[UpdateDossierSuccess | UpdateDossierError, strawberry.union("UpdateDossierResult", description="What `updateDossier` returns: the updated dossier, or the typed error.")]
describe_error(UpdateDossierError, "updateDossier")


# -- verifyDossier -------------------------------------------------------------------------


@strawberry.enum(description="Stable codes of verifyDossier errors: exactly the ones it can return.")
class VerifyDossierErrorCode(ErrorCode, codes=(*usecases.VERIFY_CODES, *TEXT_CODES, *RACE_CODES)):
    ...


@strawberry.enum(description="The supervising department's decision on a new dossier (核准, Art. 6).")
class VerificationDecision(Enum):
    VERIFY = strawberry.enum_value("VERIFY", description="核准: the dossier is verified; its key data is now fixed.")
    RETURN = strawberry.enum_value("RETURN", description="Return it to the school to fix, saying what (`reason`).")


@strawberry.input(description="The supervising department's decision on a dossier waiting for 核准.")
class VerifyDossierInput:
    number: str = strawberry.field(description="The student number (or an alias).")
    decision: VerificationDecision = strawberry.field(description="Verify, or return to the school.")
    reason: str | None = strawberry.field(default=None, description="Required when returning: what to fix.")


@strawberry.type(description="The decision was recorded.")
class VerifyDossierSuccess:
    student: Student = strawberry.field(description="The dossier, VERIFIED or RETURNED.")


@strawberry.type
class VerifyDossierError:
    field: str | None
    message: str
    code: VerifyDossierErrorCode


VerifyDossierResult = Annotated[VerifyDossierSuccess | VerifyDossierError, strawberry.union("VerifyDossierResult", description="What `verifyDossier` returns: the dossier after the decision, or the typed error.")]
describe_error(VerifyDossierError, "verifyDossier")


@strawberry.type
class StudentMutations:
    @strawberry.mutation(
        description="Establish a new student's status (建立学籍, Art. 5-8), by the school's trained registrar: one "
        "dossier per person; a person with status elsewhere comes in only by transfer. Grade 1 follows the Art. 4 "
        "age rule."
    )
    async def enroll_student(
        self, info: Info, input: Annotated[EnrollStudentInput, strawberry.argument(description="The new student.")]
    ) -> EnrollStudentResult:
        ctx = info.context

        async def body() -> Outcome[EnrollStudentSuccess]:
            enrolment = usecases.enrolment(
                school_code=input.school_code,
                id_document=input.id_document.to_domain(),
                basic=input.basic.to_domain(),
                guardians=tuple(g.to_domain(i) for i, g in enumerate(input.guardians)),
                flags=input.flags.to_domain() if input.flags else FlagsInput().to_domain(),
                grade=input.grade,
                class_name=input.class_name,
                entry_date=input.entry_date,
                entry_way=input.entry_way,
                study_mode=input.study_mode,
                age_approval_reference=input.age_approval_reference,
                confirm_not_duplicate=input.confirm_not_duplicate,
            )
            row, candidates = await usecases.enrol(ctx, enrolment)
            return Outcome(
                EnrollStudentSuccess(
                    student=Student.of(row), duplicate_candidates=[DuplicateCandidate.of(c) for c in candidates]
                ),
                school_code=input.school_code,
                details={"number": row.dossier.number, "candidates": len(candidates)},
            )

        result = await audited(
            ctx,
            action="mutation:enrollStudent",
            target=("school", input.school_code),
            errors=(EnrollStudentError, EnrollStudentErrorCode),
            body=body,
            extra=lambda e: {"enrolled_at": enrolled_at(e)},
        )
        return result

    @strawberry.mutation(
        description="Complete or change a dossier (the school's registrar). Verified key data (name, sex, birth date, "
        "identity) changes only by a correction request (Art. 10)."
    )
    async def update_dossier(
        self, info: Info, input: Annotated[UpdateDossierInput, strawberry.argument(description="The parts that change.")]
    ) -> UpdateDossierResult:
        ctx = info.context

        async def body() -> Outcome[UpdateDossierSuccess]:
            row = await usecases.update(
                ctx,
                usecases.DossierUpdate(
                    number=input.number,
                    basic=input.basic.to_domain() if input.basic else None,
                    id_document=input.id_document.to_domain() if input.id_document else None,
                    guardians=(
                        tuple(g.to_domain(i) for i, g in enumerate(input.guardians)) if input.guardians is not None else None
                    ),
                    flags=input.flags.to_domain() if input.flags else None,
                    class_name=normalised_class_name(input.class_name) if input.class_name is not None else None,
                    study_mode=identifier(input.study_mode) if input.study_mode is not None else None,
                ),
            )
            return Outcome(UpdateDossierSuccess(student=Student.of(row)), school_code=row.dossier.status.school_code)

        return await audited(
            ctx,
            action="mutation:updateDossier",
            target=("student", input.number),
            errors=(UpdateDossierError, UpdateDossierErrorCode),
            body=body,
        )

    @strawberry.mutation(
        description="核准 (Art. 6): the school's supervising department (学籍主管部门) verifies a new dossier or returns it."
    )
    async def verify_dossier(
        self, info: Info, input: Annotated[VerifyDossierInput, strawberry.argument(description="The decision to record.")]
    ) -> VerifyDossierResult:
        ctx = info.context

        async def body() -> Outcome[VerifyDossierSuccess]:
            approve = input.decision == VerificationDecision.VERIFY
            reason = optional_text("reason", input.reason, max_length=MULTI_LINE, multi_line=True)
            row = await usecases.verify(ctx, input.number, approve, reason)
            return Outcome(VerifyDossierSuccess(student=Student.of(row)), school_code=row.dossier.status.school_code)

        return await audited(
            ctx,
            action="mutation:verifyDossier",
            target=("student", input.number),
            errors=(VerifyDossierError, VerifyDossierErrorCode),
            body=body,
        )


def enrolled_at(error: DomainError) -> EnrolledAt | None:
    if isinstance(error, EnrolledElsewhereError):
        return EnrolledAt(school_code=error.school.code, school_name=error.school.name)
    return None

