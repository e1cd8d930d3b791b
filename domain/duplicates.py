"""Duplicate detection keys (Art. 8, R-B4): a dossier carries a list of match keys, indexed
in storage, so that finding likely duplicates is an index lookup, never a scan.

- `nbs` same name, birth date and sex;
- `pbs` same name in toneless pinyin, birth date and sex (homophones: 张伟 / 章伟, typos of
  one character that sound alike);
- `pb`  same pinyin and birth date (sex keyed in wrongly);
- `gid` a guardian with the same identity document."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pypinyin import lazy_pinyin

from domain.identity import IdDocument, Sex

REASONS = {
    "nbs": "SAME_NAME_BIRTH_DATE_SEX",
    "pbs": "SAME_PINYIN_BIRTH_DATE_SEX",
    "pb": "SAME_PINYIN_BIRTH_DATE",
    "gid": "SHARED_GUARDIAN_ID",
}


def pinyin_key(name: str) -> str:
    return "".join(lazy_pinyin(name.replace(" ", ""))).lower()


@dataclass(frozen=True)
class Probe:
    """What a duplicate search starts from: a new record, or an existing dossier."""

    name: str
    birth_date: date
    sex: Sex
    guardian_ids: tuple[IdDocument, ...] = ()


def match_keys(probe: Probe) -> list[str]:
    born = f"{probe.birth_date:%Y%m%d}"
    py = pinyin_key(probe.name)
    keys = [f"nbs|{probe.name}|{born}|{probe.sex.value}", f"pbs|{py}|{born}|{probe.sex.value}", f"pb|{py}|{born}"]
    keys += [f"gid|{doc.key}" for doc in probe.guardian_ids if doc.key]
    return keys


def reasons(found: Iterable[str], probe_keys: Iterable[str]) -> list[str]:
    """The reasons, strongest first, for which a dossier's keys matched the probe's."""
    shared = set(found) & set(probe_keys)
    kinds = {k.split("|", 1)[0] for k in shared}
    return [REASONS[kind] for kind in REASONS if kind in kinds]
