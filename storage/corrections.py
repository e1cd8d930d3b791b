"""Correction requests (Art. 10). Each decision claims the correction's next version in
the transition log, so two people deciding at once cannot both move the same step."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

from domain.corrections import Correction, CorrectionChanges, CorrectionState, Decision, DecisionRecord
from domain.identity import Sex
from domain.ports import ConcurrentWrite, Stamp
from storage.mongo import Collections, Doc
from storage.transitions import TransitionLog
from storage.students import id_doc_from_doc, id_doc_to_doc


def _changes_to_doc(c: CorrectionChanges) -> Doc:
    return {
        "name": c.name,
        "former_name": c.former_name,
        "sex": c.sex.value if c.sex else None,
        "birth_date": datetime.combine(c.birth_date, time(), UTC) if c.birth_date else None,
        "id_document": id_doc_to_doc(c.id_document),
    }


def _changes_from_doc(d: Doc) -> CorrectionChanges:
    return CorrectionChanges(
        name=d.get("name"),
        former_name=d.get("former_name"),
        sex=Sex(d["sex"]) if d.get("sex") else None,
        birth_date=d["birth_date"].date() if d.get("birth_date") else None,
        id_document=id_doc_from_doc(d.get("id_document")),
    )


def _record_to_doc(r: DecisionRecord) -> Doc:
    return {"step": r.step, "decision": r.decision.value, "by": r.by, "role": r.role, "at": r.at, "comment": r.comment}


def _from_doc(d: Doc) -> Correction:
    return Correction(
        id=d["_id"],
        dossier_id=d["dossier_id"],
        number=d["number"],
        school_code=d["school_code"],
        changes=_changes_from_doc(d["changes"]),
        reason=d["reason"],
        evidence=tuple(d.get("evidence", [])),
        state=CorrectionState(d["state"]),
        requested_by=d["requested_by"],
        requested_at=d["requested_at"],
        decisions=tuple(
            DecisionRecord(x["step"], Decision(x["decision"]), x["by"], x["role"], x["at"], x.get("comment"))
            for x in d.get("decisions", [])
        ),
        version=d.get("version", 1),
    )


def _to_doc(c: Correction) -> Doc:
    return {
        "_id": c.id,
        "dossier_id": c.dossier_id,
        "number": c.number,
        "school_code": c.school_code,
        "changes": _changes_to_doc(c.changes),
        "reason": c.reason,
        "evidence": list(c.evidence),
        "state": c.state.value,
        "requested_by": c.requested_by,
        "requested_at": c.requested_at,
        "decisions": [_record_to_doc(r) for r in c.decisions],
    }


class CorrectionRepository:
    def __init__(self, collections: Collections, log: TransitionLog) -> None:
        self._c = collections.corrections
        self._log = log

    async def insert(self, c: Correction, stamp: Stamp) -> None:
        await self._log.commit("correction", self._c, _to_doc(c), expected=0, prev_hash=None, stamp=stamp, action="REQUESTED")

    async def get(self, correction_id: str) -> Correction | None:
        doc = await self._log.current("correction", self._c, await self._c.find_one({"_id": correction_id}), correction_id)
        return _from_doc(doc) if doc else None

    async def exists(self, correction_id: str) -> bool:
        return await self._c.count_documents({"_id": correction_id}, limit=1) > 0

    async def record_decision(
        self, correction: Correction, record: DecisionRecord, state: CorrectionState, stamp: Stamp
    ) -> Correction | None:
        """Append a decision and move the state, if nobody decided since it was read (the
        decision claims the next version; None when another one claimed it first)."""
        after = replace(correction, decisions=(*correction.decisions, record), state=state)
        stored = await self._c.find_one({"_id": correction.id}, {"log_hash": 1, "version": 1})
        prev_hash = stored.get("log_hash") if stored and stored.get("version") == correction.version else None
        try:
            await self._log.commit(
                "correction", self._c, _to_doc(after), expected=correction.version, prev_hash=prev_hash,
                stamp=stamp, action=f"{record.step}:{record.decision.value}",
            )
        except ConcurrentWrite:
            await self.get(correction.id)
            return None
        return replace(after, version=correction.version + 1)

    async def for_dossier(self, dossier_id: str) -> list[Correction]:
        docs = await self._c.find({"dossier_id": dossier_id}).sort("requested_at", 1).to_list()
        return [_from_doc(d) for d in docs]
