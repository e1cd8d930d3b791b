"""Persisted operations (`persisted_operations`, `_id` = the document's SHA-256 hex):
inserted once, never updated, so a hash always names the text first registered."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from domain.persisted import PersistedOperation
from storage.mongo import Collections, Doc


def _from_doc(doc: Doc) -> PersistedOperation:
    return PersistedOperation(
        hash=doc["_id"],
        document=doc["document"],
        operation_names=tuple(doc.get("operation_names", ())),
        registered_by=doc["registered_by"],
        registered_at=doc["registered_at"],
        request_id=doc.get("request_id", ""),
    )


class PersistedOperationRepository:
    def __init__(self, collections: Collections) -> None:
        self.collection = collections.persisted_operations

    async def get(self, hash: str) -> PersistedOperation | None:
        doc = await self.collection.find_one({"_id": hash})
        return _from_doc(doc) if doc else None

    async def insert(self, operation: PersistedOperation) -> bool:
        try:
            await self.collection.insert_one(
                {
                    "_id": operation.hash,
                    "document": operation.document,
                    "operation_names": list(operation.operation_names),
                    "registered_by": operation.registered_by,
                    "registered_at": operation.registered_at,
                    "request_id": operation.request_id,
                }
            )
        except DuplicateKeyError:
            return False
        return True
