"""The enums of term re-verification (Art. 23) as the frontend sees them, each value
described (their members are defined in `domain/reverification/records.py`)."""

from __future__ import annotations

import strawberry

from domain.reverification import records as r
from schema.docs import describe_values

CampaignStateType = describe_values(
    strawberry.enum(r.CampaignState, name="ReverificationCampaignState", description="Whether a re-verification runs."),
    {
        "OPEN": "Running: schools confirm their rosters and the department decides them.",
        "CLOSED": "Closed by its department: nothing is confirmed or flagged any more; open tasks are still linked or "
        "waived.",
    },
)
ResultStateType = describe_values(
    strawberry.enum(r.ResultState, name="ReverificationSchoolState", description="Where one school's part stands."),
    {
        "NOT_STARTED": "The school has not confirmed its roster yet; it may be flagging discrepancies.",
        "SCHOOL_CONFIRMED": "The school confirmed its roster; waiting for its supervising department.",
        "DEPARTMENT_CONFIRMED": "The department confirmed the school's result: done. Its open discrepancies are tasks.",
        "RETURNED": "The department returned the result to the school, with the reason; the school confirms again.",
    },
)
DecisionType = describe_values(
    strawberry.enum(r.ResultDecision, name="ReverificationDecision", description="The department's decision on a school's result."),
    {
        "CONFIRM": "Confirm the school's result; its open discrepancies become tasks.",
        "RETURN": "Return it to the school to redo, with the reason in `comment`.",
    },
)
DiscrepancyKindType = describe_values(
    strawberry.enum(r.DiscrepancyKind, name="DiscrepancyKind", description="What a school found wrong while re-verifying."),
    {
        "LEFT_WITHOUT_CHANGE": "A student recorded as attending (ENROLLED) no longer attends and no change was recorded "
        "(Art. 26(3), (4)). Resolved by a status case: a dropout report, a transfer, …",
        "PRESENT_WITHOUT_DOSSIER": "A child attends without a dossier at this school (Art. 26(1); (5) when the status "
        "is elsewhere). Resolved by enrolling the child, or by a transfer or placement to this school.",
        "DATA_WRONG": "A field of a dossier is wrong. Resolved by an Art. 10 correction of that field, or by a dossier "
        "update that changed it.",
    },
)
DiscrepancyStateType = describe_values(
    strawberry.enum(r.DiscrepancyState, name="DiscrepancyState", description="Where a discrepancy stands."),
    {
        "OPEN": "Raised; a task once the department confirmed the school's result.",
        "WITHDRAWN": "Withdrawn by the school before its result was confirmed.",
        "LINKED": "Resolved: the business it calls for is opened, and linked (`resolution`).",
        "WAIVED": "Resolved: the department waived it, with the reason.",
    },
)
DossierFieldType = describe_values(
    strawberry.enum(r.DossierField, name="DossierField", description="A dossier field a school can flag as wrong."),
    {
        "NAME": "Full name (姓名); key data. The value: the name as in the household register.",
        "FORMER_NAME": "Former name (曾用名); key data.",
        "SEX": "Sex; key data. The value: MALE or FEMALE.",
        "BIRTH_DATE": "Date of birth; key data. The value: an ISO 8601 date, e.g. 2019-09-01.",
        "ID_NUMBER": "The identity document number; key data. The value: the number, 5-20 letters and digits.",
        "CLASS_NAME": "The class (班级), at most 20 characters.",
        "ETHNICITY": "Ethnic group (民族), a GB/T 3304 code, e.g. 01.",
        "HOUSEHOLD_PLACE": "Where the household is registered (户口所在地), a 6-digit division code.",
        "ADDRESS": "Current address (现住址), at most 200 characters.",
        "PHONE": "Contact phone, 5-20 digits, spaces, + and -.",
    },
)
FollowUpKindType = describe_values(
    strawberry.enum(r.FollowUpKind, name="FollowUpKind", description="The business that resolves a discrepancy."),
    {
        "CASE": "A status case (openCase), by its id: for LEFT_WITHOUT_CHANGE a case of the student that accounts for "
        "the absence (TRANSFER, DROPOUT_REPORT, SUSPENSION, ABROAD, SPECIAL_PLACEMENT, DEATH, MISSING_REPORT); for "
        "PRESENT_WITHOUT_DOSSIER a TRANSFER or SPECIAL_PLACEMENT of the child to this school.",
        "CORRECTION": "An Art. 10 correction request (requestCorrection) of the flagged key field, by its id.",
        "DOSSIER_UPDATE": "The dossier, by its student number, whose flagged field no longer has the wrong value "
        "(updateDossier); the dossier's version is recorded.",
        "ENROLMENT": "The child's new dossier at this school (enrollStudent), by its student number, established "
        "after the re-verification opened.",
    },
)
