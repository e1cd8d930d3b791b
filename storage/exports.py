"""Export requests (Art. 24): the `export_requests` collection, the projection of each
request's transition log (aggregate "export_request"), and `export_links`, the short-lived
download links, read by `_id` only.

A request carries the area codes its approving department lies in (`area_keys`), so that
the departments and auditors above see it with one equality on one array element, and its
requester's login. A link is stored under the SHA-256 of its token: whoever reads the
database cannot use a link from it."""

from __future__ import annotations

import hashlib
from datetime import datetime

from domain.dossier import StudentState
from domain.exports import ExportField, ExportFormat, ExportLink, ExportRequest, ExportScope, ExportState
from domain.jurisdiction import area_lineage
from domain.ports import ConcurrentWrite, Page, Stamp
from storage.mongo import Collections, Doc
from storage.transitions import TransitionLog

AGGREGATE = "export_request"


def request_to_doc(r: ExportRequest) -> Doc:
    return {
        "_id": r.id,
        "requester": r.requester,
        "requester_role": r.requester_role,
        "purpose": r.purpose,
        "school_code": r.scope.school_code,
        "area_code": r.scope.area_code,
        "grade": r.scope.grade,
        "student_state": r.scope.state.value if r.scope.state else None,
        "department_code": r.department_code,
        "area_keys": area_lineage(r.department_code),
        "fields": [f.value for f in r.fields],
        "full_fields": [f.value for f in r.full_fields],
        "format": r.format.value,
        "state": r.state.value,
        "created_at": r.created_at,
        "approval_documents": list(r.approval_documents),
        "approved_fields": [f.value for f in r.approved_fields],
        "approved_full_fields": [f.value for f in r.approved_full_fields],
        "decided_by": r.decided_by,
        "decided_at": r.decided_at,
        "decision_reason": r.decision_reason,
    }


def request_from_doc(d: Doc) -> ExportRequest:
    return ExportRequest(
        id=d["_id"],
        requester=d["requester"],
        requester_role=d["requester_role"],
        purpose=d["purpose"],
        scope=ExportScope(
            d.get("school_code"), d.get("area_code"), d.get("grade"), StudentState(d["student_state"]) if d.get("student_state") else None
        ),
        department_code=d["department_code"],
        fields=tuple(ExportField(f) for f in d["fields"]),
        full_fields=tuple(ExportField(f) for f in d["full_fields"]),
        format=ExportFormat(d["format"]),
        state=ExportState(d["state"]),
        created_at=d["created_at"],
        approval_documents=tuple(d.get("approval_documents", [])),
        approved_fields=tuple(ExportField(f) for f in d.get("approved_fields", [])),
        approved_full_fields=tuple(ExportField(f) for f in d.get("approved_full_fields", [])),
        decided_by=d.get("decided_by"),
        decided_at=d.get("decided_at"),
        decision_reason=d.get("decision_reason"),
        revision=int(d.get("version", 1)),
    )


def link_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ExportRequestRepository:
    def __init__(self, collections: Collections, log: TransitionLog) -> None:
        self._c = collections.export_requests
        self._links = collections.export_links
        self._log = log

    async def create(self, request: ExportRequest, stamp: Stamp) -> None:
        await self._log.commit(AGGREGATE, self._c, request_to_doc(request), expected=0, prev_hash=None, stamp=stamp, action="REQUESTED")

    async def get(self, request_id: str) -> ExportRequest | None:
        doc = await self._log.current(AGGREGATE, self._c, await self._c.find_one({"_id": request_id}), request_id)
        return request_from_doc(doc) if doc else None

    async def replace(self, before: ExportRequest, after: ExportRequest, stamp: Stamp, *, action: str) -> None:
        """Claim the version after `before`; ConcurrentWrite when another change won it."""
        stored = await self._c.find_one({"_id": before.id}, {"log_hash": 1, "version": 1})
        if stored is None or int(stored.get("version", 0)) != before.revision:
            raise ConcurrentWrite(AGGREGATE, before.id, before.revision + 1)
        change = {"state": {"old": before.state.value, "new": after.state.value}} if before.state is not after.state else None
        await self._log.commit(
            AGGREGATE, self._c, request_to_doc(after), expected=before.revision, prev_hash=stored.get("log_hash"),
            stamp=stamp, action=action, change=change,
        )

    async def add_document(self, request_id: str, document_id: str, stamp: Stamp) -> ExportRequest | None:
        """Record an attached approval document (again after a concurrent change)."""

        def attached(doc: Doc) -> Doc | None:
            documents = list(doc.get("approval_documents", []))
            if document_id in documents:
                return None
            state = {k: v for k, v in doc.items() if k not in ("version", "log_hash")}
            return {**state, "approval_documents": [*documents, document_id]}

        doc = await self._log.update(AGGREGATE, self._c, request_id, attached, stamp=stamp, action="DOCUMENT_ATTACHED")
        return request_from_doc(doc) if doc else None

    async def page(self, *, requester: str | None, area_key: str | None, after: str | None, first: int) -> Page[ExportRequest]:
        """Requests of one requester, or those whose approving department lies in an area
        (exactly one of the two), in id order."""
        query: Doc = {"requester": requester} if requester is not None else {"area_keys": area_key}
        total = await self._c.count_documents(query)
        page_query = {**query, "_id": {"$gt": after}} if after is not None else query
        docs = await self._c.find(page_query).sort("_id", 1).limit(first + 1).to_list()
        requests = [request_from_doc(d) for d in docs[:first]]
        return Page(requests, [r.id for r in requests], len(docs) > first, total)

    async def add_link(self, token: str, link: ExportLink, at: datetime) -> None:
        await self._links.insert_one(
            {"_id": link_key(token), "request_id": link.request_id, "login": link.login, "expires_at": link.expires_at, "created_at": at}
        )

    async def link(self, token: str) -> ExportLink | None:
        doc = await self._links.find_one({"_id": link_key(token)})
        return ExportLink(doc["request_id"], doc["login"], doc["expires_at"]) if doc else None
