"""A dossier's change of record as stored (the `change` of its transition-log entry, written
by `storage.students.change_to_doc`), read back as a `HistoryEntry`: the one reading used by
the dossier's history and by the change feed (Art. 6(1), Art. 20)."""

from __future__ import annotations

from datetime import datetime

from domain.ports import HistoryEntry
from storage.mongo import Doc


def history_entry(dossier_id: str, at: datetime, actor: str, change: Doc) -> HistoryEntry:
    return HistoryEntry(
        dossier_id=dossier_id,
        at=at,
        actor=actor,
        action=change["action"],
        changes={k: (v["old"], v["new"]) for k, v in change.get("changes", {}).items()},
        reason=change.get("reason"),
        evidence=tuple(change.get("evidence", [])),
        business_id=change.get("business_id"),
    )
