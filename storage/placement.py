"""Where schools stand: their scope tokens (`domain.access.school_tokens`), read once per
process. A school's code, supervisor and area never change in place (a merger or closure
is recorded as such, and `forget` drops the cached entry)."""

from __future__ import annotations

from collections.abc import Iterable

from domain.access import area_tokens, school_tokens
from storage.mongo import Collections
from storage.schools import school_from_doc


AREA_CODE_LENGTH = 6  # GB/T 2260; school identifiers have 10 digits


class SchoolPlacement:
    def __init__(self, collections: Collections) -> None:
        self._schools = collections.schools
        self._tokens: dict[str, tuple[str, ...]] = {}

    async def tokens(self, codes: Iterable[str | None]) -> list[str]:
        """Every token of the given schools, without repeats, in a stable order."""
        out: dict[str, None] = {}
        for code in codes:
            if code is None:
                continue
            if code not in self._tokens and len(code) == AREA_CODE_LENGTH and code.isdigit():
                # A record filed under an area (an export of its dossiers), not one school.
                self._tokens[code] = (f"code:{code}", *area_tokens(code))
            if code not in self._tokens:
                doc = await self._schools.find_one({"_id": code})
                # An unknown code (a school not loaded yet) is seen by its own code only.
                self._tokens[code] = school_tokens(school_from_doc(doc)) if doc else (f"code:{code}",)
            out.update(dict.fromkeys(self._tokens[code]))
        return list(out)

    def forget(self, code: str) -> None:
        self._tokens.pop(code, None)
