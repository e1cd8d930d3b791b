"""The stable error codes, each declared once with what it tells a frontend: when it
happens and what the user should do. A `DomainError` carries one of these codes (a unit
test reads every construction of one in the source); the rules group the codes they raise
next to themselves (e.g. `domain.identity.ID_DOCUMENT_CODES`), and each mutation's
`…ErrorCode` enum is built from the groups of what its use case calls, with these
descriptions (`schema/errors.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

DESCRIPTIONS: Final[Mapping[str, str]] = {
    # -- who may act (domain/access.py, R-A4, R-A5, Art. 22) --------------------------------
    "PERMISSION_DENIED": "Your role or scope does not allow this action on this record. Nothing was changed; "
    "ask the school's registrar or its supervising department, whoever the action belongs to.",
    "READ_ONLY_ROLE": "Auditors have read-only access; no change is possible with this account.",
    "REGISTRAR_NOT_TRAINED": "This registrar has no recorded training yet (Art. 22: 先培训后上岗). The supervising "
    "department records it (recordRegistrarTraining); writes are allowed after that.",
    "ACCOUNT_DISABLED": "This account is disabled; sign in with an active account.",
    "NOT_FOUND": "Nothing in your scope answers to the key in `field` (records outside your scope are reported the "
    "same way, Art. 24). Check the number or id.",
    "CONFLICT": "Someone changed the same record at the same moment and their change was kept. Reload the record "
    "and try again.",
    "WRONG_OPENER": "This kind of case is opened by another party (a transfer by the receiving school, Art. 11(2); "
    "the others by the student's school). Ask that school to open it.",
    "WRONG_ACTOR": "The current step belongs to another party (the message names it), or only the level above may "
    "force an overdue step. Leave it to that party.",
    # -- text and codes (domain/text.py, domain/codes.py) ----------------------------------
    "INVALID_VALUE": "The value in `field` is not acceptable: too long, control characters, out of range, or not "
    "what the rule asks (the message says which). Correct that field.",
    "VALUE_TOO_LONG": "The text in `field` is over 200 characters; shorten it.",
    "INVALID_CODE": "The value in `field` is not a code of its national code table (see the `codeTables` query). "
    "Pick one from the table.",
    "INVALID_AREA_CODE": "Not a 6-digit administrative division code (GB/T 2260) of the required level.",
    "INVALID_SCHOOL_CODE": "Not a 10-digit school identifier (学校标识码).",
    "INVALID_SUPERVISOR": "The supervising department is not the school's county, its city or its province (Art. 3).",
    "INVALID_LOGIN": "A login is 3-64 lower-case letters, digits, '.', '_' or '-'.",
    "INVALID_SCOPE": "The scope does not fit the role (a school for registrars, an area of the role's level for "
    "departments, none for the admin).",
    # -- identity documents (domain/identity.py, Art. 7, 28) -------------------------------
    "ID_REQUIRED": "The identity document number is missing; enter it, or choose NONE_YET when the child has none.",
    "ID_FORMAT": "The number does not have the form of this kind of document (the message gives the form); check "
    "the kind and the number.",
    "ID_DIVISION_CODE": "The division code in the number (its first digits) is not a valid region or permit prefix; "
    "a digit is probably mistyped.",
    "ID_BIRTH_DATE_INVALID": "The birth date inside the number is not a real or plausible date; a digit is probably "
    "mistyped.",
    "ID_CHECK_DIGIT": "The last character does not match the others (GB 11643 MOD 11-2); a digit is mistyped. "
    "Compare with the card.",
    "ID_COUNTRY": "The issuing country is missing or is not a 3-letter ISO 3166 code (passports), or was given for "
    "a document that has none.",
    "ID_BIRTH_DATE_MISMATCH": "The birth date differs from the one the ID number encodes; correct whichever is wrong.",
    "ID_SEX_MISMATCH": "The sex differs from the one the ID number encodes; correct whichever is wrong.",
    # -- enrolment and dossiers (domain/enrolment.py, domain/dossier.py, Art. 4-8) ----------
    "INVALID_STUDENT_NUMBER": "Not a student number: G + 18 ID characters, or L + 18 digits. Check the number.",
    "ENROLLED_ELSEWHERE": "The person already has a status at another school (named in enrolledAt, and in the "
    "message); one person has one status (Art. 8). Admit the student by transfer (openCase TRANSFER, Art. 11).",
    "POSSIBLE_DUPLICATE": "A student with the same name, birth date and sex exists and the new one has no identity "
    "number. Review the duplicateCandidates, then enrol again with confirmNotDuplicate if it is another person.",
    "UNDER_AGE_APPROVAL_REQUIRED": "The child is not yet 6 on 31 August of the intake (Art. 4); give the supervising "
    "department's approval in ageApprovalReference.",
    "DEFERRAL_APPROVAL_REQUIRED": "The child is already 7 on 31 August of the intake (Art. 4); give the county-level "
    "approval of the deferral in ageApprovalReference.",
    "GRADE_NOT_OFFERED": "The school has no such grade (its kind fixes its grades), or the grade does not continue "
    "the student's studies. Choose a grade the message allows.",
    "NUMBERS_EXHAUSTED": "No temporary (L) student numbers are left for this school and birth date; record the "
    "resident ID so the student gets a G number, or ask the administrator.",
    "DISABILITY_REQUIRED": "随班就读 and 送教上门 students, and special-education placements, need the disability type "
    "(flags.disability, Art. 8, 12). Record it first.",
    "KEY_DATA_NEEDS_CORRECTION": "The dossier is verified: its key data (name, sex, birth date, identity) changes "
    "only by a correction request (requestCorrection, Art. 10).",
    "NOTHING_TO_CHANGE": "The request changes nothing (no field given, or every value equals the current one).",
    "ALREADY_VERIFIED": "The dossier is verified already; nothing to do.",
    "INCOMPLETE": "The dossier lacks data required for verification (the message lists it, Art. 6); return it to "
    "the school instead.",
    "REASON_REQUIRED": "This action needs a written reason or comment (to return, reject, force, release or "
    "correct); fill it in.",
    "ANOTHER_BUSINESS_OPEN": "Another case or correction is open for this student (openBusinessId and "
    "openBusinessKind name it when you may see it); one business at a time. Finish or withdraw it first.",
    # -- corrections and cases (domain/corrections.py, domain/workflows/, Art. 10-16) ------
    "EVIDENCE_REQUIRED": "A required scan is missing or is not a stored document of this student (the message "
    "names the kind). Upload it (POST /uploads) and pass its id.",
    "NOT_OPEN": "The case or correction is no longer open (completed, rejected or withdrawn); nothing awaits a "
    "decision. Reload it.",
    "INVALID_GROUNDS": "The grounds are not one of this kind's grounds (the message lists them), or the kind takes "
    "none.",
    "TARGET_REQUIRED": "This kind of case needs the other school (targetSchoolCode).",
    "OTHER_SCHOOL": "This kind of case stays within the student's school; leave targetSchoolCode empty.",
    "WRONG_STATE": "The student's status does not allow this change (e.g. only an enrolled student transfers); the "
    "message gives the status needed.",
    "SUSPENDED": "No transfer while the student is suspended (Art. 11(4)); resume first.",
    "UNDER_SANCTION": "No transfer while a disciplinary sanction lasts (Art. 11(4)); wait for it to end or record "
    "its end (SANCTION_END).",
    "SAME_SCHOOL": "The target school is the student's own school; name another school.",
    "INVALID_TARGET": "The target school's kind does not fit the placement grounds (Art. 12): special education, "
    "regular or work-study as the grounds say.",
    "DECISION_REQUIRED": "Say whether the status moves to the new school or stays (params.moveStatus, Art. 12).",
    "TOO_LONG": "The period is too long: a suspension at most one year (extend it by a new application, Art. "
    "13(3)), a sanction at most a year.",
    "NOT_AN_EXTENSION": "An extension must end after the current suspension does (Art. 13(3)).",
    "CROSSES_STAGE": "Skipping a grade never crosses from primary to junior secondary (Art. 15).",
    "HOUSEHOLD_PLACE_REQUIRED": "A migrant child's dropout is handed over to the household-registration county "
    "(Art. 14(2)); record the household place in the dossier first.",
    "NOT_SANCTIONED": "The student is under no sanction; there is nothing to end.",
    "NOT_ESCALATED": "Only an overdue step escalated to the level above can be forced; approve or wait instead.",
    "CANNOT_RETURN": "This step cannot go back (it is the first, or the business was released when it was "
    "reached); reject it instead.",
    "OVERRIDE_REQUIRED": "The case has warnings (e.g. outside the transfer window); approving at this step needs "
    "an overrideReason.",
    # -- withdrawn evidence (domain/withdrawal.py, Art. 6 (2), 20, 24) ----------------------
    "DOCUMENT_WITHDRAWN": "The document was withdrawn from its dossier (filed under the wrong student, "
    "withdrawDocument): it is evidence of nothing and takes no new version or location. Upload the scan to the right "
    "student and use that document.",
    "CITED_AS_EVIDENCE": "A case or correction of this student cites the document (the message names it). An open one "
    "is withdrawn or rejected first; a completed case or an applied correction rests on it, so the document stays "
    "(put a wrong decision right with a new case or correction).",
    # -- sections and accounts (domain/sections.py, Art. 6, 22) ----------------------------
    "INVALID_SCHEMA": "Not a valid JSON Schema (draft 2020-12) describing an object; fix the schema.",
    "NO_SCHEMA": "The province has not published a schema for this section yet; no entries until it does.",
    "SECTION_ENTRY_INVALID": "The entry does not satisfy the section's current schema (the message gives the first "
    "problem and `field` its path).",
    "TRAINING_DATE_IN_FUTURE": "The training completion date is in the future; give the day it was completed.",
    # -- uploads (POST /uploads, storage/scan_checks.py, R-E2) ------------------------------
    "UNAUTHENTICATED": "No valid bearer token (HTTP 401); sign in again.",
    "INVALID_KIND": "Not an evidence kind, or not the kind of the document this upload is a new version of.",
    "EMPTY_FILE": "The file is empty; send the scan again.",
    "TOO_LARGE": "The file is over the size limit (the message gives it); scan at a lower resolution or split it.",
    "TYPE_NOT_ALLOWED": "Only JPEG, PNG, TIFF and PDF scans are accepted (judged by the bytes, not the name).",
    "NAME_TYPE_MISMATCH": "The file name's extension does not match the bytes (e.g. a PDF named .jpg); rename it.",
    "DECLARED_TYPE_MISMATCH": "The Content-Type header does not match the bytes; send the file's real type or "
    "application/octet-stream.",
    "CORRUPT_IMAGE": "The image cannot be read completely (truncated or damaged); scan it again.",
    "IMAGE_TOO_LARGE": "The image has too many pixels (or is a decompression bomb); scan at a lower resolution.",
    "TOO_MANY_PAGES": "The scan has more pages than allowed (the message gives the limit); split it.",
    "CORRUPT_PDF": "The PDF cannot be read or has no pages; export it again.",
    "PDF_ENCRYPTED": "Encrypted PDFs cannot be checked; send an unprotected scan.",
    "PDF_ACTIVE_CONTENT": "PDFs with JavaScript, launch actions or embedded files are refused; print it to a plain "
    "PDF or scan the paper.",
    "STORE_UNAVAILABLE": "The evidence store did not take the file and nothing was kept; try again later.",
    "PDF_TOO_COMPLEX": "The PDF has more objects than the checker walks (or pypdf's own limits); scan the paper again "
    "or print it to a plain PDF.",
    "PDF_TRAILING_DATA": "The PDF has data after its last %%EOF (something appended to it); send the file as issued, "
    "or print it to a plain PDF.",
    "HASH_MISMATCH": "The document id is not the SHA-256 of the document's text (the message gives the right one); "
    "register the manifest exactly as the build emitted it.",
    "INVALID_DOCUMENT": "The document does not parse, has no operation, or is not valid against this schema (the "
    "message says why); fix the operation in the frontend and build again.",
    # -- spreadsheets (storage/spreadsheets.py: school lists, bulk intake) --------------------
    "SPREADSHEET_UNREADABLE": "The file is not an XLSX workbook or CSV text we can read (damaged, encrypted, too "
    "large when unpacked, or another format; the message says which). Save it again as XLSX or CSV.",
    "SPREADSHEET_COLUMNS": "A required column is missing or a column is named twice (`field` names it); use the "
    "headers of the template.",
    "SPREADSHEET_TOO_MANY_ROWS": "The file has more rows than one upload takes (the message gives the limit); split "
    "it into several files.",
    # -- official lists and accounts (domain/reference_lists.py, domain/access.py, Art. 2, 3, 21, 22)
    "ROWS_REFUSED": "Some rows of the list are refused (`refusedList.rows` gives each one's column, code and message; "
    "`field` names the first); nothing was written. Correct those rows and import the list again.",
    "DUPLICATE_ROW": "The list names this code on an earlier row already; keep one row per code.",
    "UNKNOWN_SCHOOL_KIND": "Not a kind of school these rules apply to (Art. 2): 小学, 初级中学, 九年一贯制学校, "
    "十二年一贯制学校, 特殊教育学校 or 工读学校 (or the SchoolKind value).",
    "UNKNOWN_OWNERSHIP": "Neither 公办 (public) nor 民办 (private) (or the Ownership value).",
    "UNKNOWN_AREA": "The area code is valid but not loaded; import the GB/T 2260 list (importAreas) first.",
    "PLACEMENT_LOCKED": "Records are filed under the school with its present county and supervising department; a "
    "list cannot move it. Moving a school's supervision is a handover of its archive (Art. 19).",
    "LOGIN_TAKEN": "An account with this login exists already (enabled or disabled); choose another login.",
    "DATE_IN_FUTURE": "The date is in the future; give the day it happened (or took effect).",
    # -- term re-verification (domain/reverification/, Art. 23) -----------------------------
    "INVALID_TERM": "Not a term code: a term is coded `2026-2027-1` (the school year, then 1 for the autumn term or 2 "
    "for the spring term).",
    "TERM_NOT_OPEN": "A re-verification is opened for the current term or the one just ended only (Art. 23: every "
    "term); choose one of those.",
    "CAMPAIGN_EXISTS": "Your department has a re-verification for this term already (one per term and department); "
    "find it with reverificationCampaigns and carry on there.",
    "NO_SCHOOLS": "Your department supervises no school (学籍主管部门, Art. 3), so there is no roster to re-verify.",
    "CAMPAIGN_CLOSED": "The re-verification is closed: rosters are no longer confirmed, decided or changed. Its "
    "open tasks can still be linked to their business or waived.",
    "ALREADY_CONFIRMED": "The school's result is confirmed already (by the school and waiting for the department, or "
    "by the department): it is not confirmed again and its discrepancies do not change unless the department returns "
    "it.",
    "AWAITING_SCHOOL": "The school has not confirmed its roster yet (or its result was returned to it); the "
    "department decides only a result the school has confirmed.",
    "NOT_ON_ROSTER": "The student does not hold a status at this school in a state on the roster (ENROLLED, "
    "SUSPENDED, ABROAD, DROPPED_OUT); only the roster's students are flagged.",
    "ALREADY_RAISED": "This discrepancy is raised already for this school in this re-verification (the same student "
    "and kind, the same field, or the same child); change that one instead.",
    "HAS_DOSSIER": "The child has a dossier at this school already (the message gives its number): it is on the "
    "roster, not a child without a dossier.",
    "NOT_YET_A_TASK": "A discrepancy becomes a task when the department confirms the school's result; link or "
    "waive it after that.",
    "ALREADY_RESOLVED": "The discrepancy is not open: it was linked to its business, waived or withdrawn already.",
    "WRONG_FOLLOW_UP": "That business does not resolve this discrepancy: it is of a kind that does not fit (the "
    "message lists those that do), about another student or field, ended without effect, or predates the "
    "re-verification.",
    # -- approved exports (domain/exports.py, Art. 24, R-A6) -----------------------------------
    "ALREADY_DECIDED": "The export request is approved or refused already: it is not decided again and takes no more "
    "documents. Make a new request if something else is needed.",
    "OWN_EXPORT_REQUEST": "An export request is never decided by the account that made it (Art. 24: the written "
    "approval comes from the department in charge); another official of that department decides it.",
    "APPROVAL_DOCUMENT_MISSING": "The written approval (书面批准, Art. 24) is not attached yet: upload it with POST "
    "/uploads?exportRequest=ID&kind=APPROVAL_LETTER, then approve.",
    "FIELD_NOT_REQUESTED": "An approval names only fields the request asked for, and gives in full only identifiers "
    "the request asked for in full; remove the others.",
    "LINK_EXPIRED": "The download link has expired (links last a few minutes); ask for a new one through "
    "ExportRequest.downloadUrl.",
    # -- school merger and closure (domain/school_handover.py, Art. 19, R-D4) ---------------
    "SCHOOL_CLOSED": "The school merged into another or closed (Art. 19): it takes no new student, transfer or intake "
    "row, and is merged or closed once. Enrol or transfer the student at the school that received its archive.",
    "RECEIVER_IS_SENDER": "The archive of a merging or closing school goes to another school; name the receiver.",
    "HANDOVER_NOT_READY": "The handover job has not archived its manifest yet (or the handover is acknowledged "
    "already); wait until its state is BAGGED.",
    "HANDOVER_NOT_VERIFIED": "The manifest has not been verified, or its last verification failed; run "
    "verifySchoolHandover and acknowledge only a valid manifest.",
    "MANIFEST_MISMATCH": "The SHA-256 given is not that of the archived manifest (manifest-sha256.txt); acknowledge "
    "the manifest you verified.",
    "DATABASE_UNAVAILABLE": "The database did not answer in time (HTTP 503); nothing was changed. Try again shortly.",
    "INTERNAL_SERVER_ERROR": "An unexpected failure (HTTP 500); quote the response's X-Request-ID when reporting it.",
    # -- the year-end change and progression (domain/promotion.py, Art. 17, 19) --------------
    "NOT_YEAR_END": "The year-end change takes effect at the end of a school year: choose an effective date from June "
    "to August.",
    "NOT_AWAITING_PLACEMENT": "The student (named in the message) is not a primary graduate awaiting placement: not "
    "graduated from grade 6, or placed at another school already. Remove the student from the list and send it again.",
    # -- archive handover after a transfer (domain/archive_handovers.py, Art. 18, 19) --------
    "ALREADY_HANDED_OVER": "The sending school has recorded this archive's handover already; the receiving school "
    "acknowledges it next.",
    "INCOMPLETE_HANDOVER": "A handover sends the whole archive (Art. 18): the electronic dossier and the paper file "
    "at least; list both in `parts` (and the evidence originals if any were sent).",
    "NOT_HANDED_OVER": "The sending school has not recorded the handover yet: receipt is acknowledged after the "
    "archive was sent.",
    "ALREADY_RECEIVED": "The receiving school has acknowledged receipt of this archive already; the handover is done.",
}


def declared(*codes: str) -> tuple[str, ...]:
    """A group of codes, each declared above; repeats dropped, order kept."""
    unknown = [code for code in codes if code not in DESCRIPTIONS]
    if unknown:
        raise KeyError(f"undeclared error codes {unknown}: declare them in domain/error_codes.py")
    return tuple(dict.fromkeys(codes))
