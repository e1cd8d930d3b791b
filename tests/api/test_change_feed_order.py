"""The change feed's order on the real server (storage/change_feed.py), in a database of its
own: numbers claimed by insert-unique are gap-free under concurrent appends, an entry is
appended once however many append it, and pages read dense scopes (block by block) and
sparse ones (by range) across block boundaries without a skip or a repeat, also while
entries are being appended. Every query shape sent here is served by a declared index."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from api.settings import Settings
from domain.ports import Stamp
from storage.change_feed import BLOCK, HEAD, ChangeFeed
from storage.indexes import INDEXES, serving_index
from storage.mongo import Collections, Doc, connect
from storage.placement import SchoolPlacement
from storage.transitions import new_entry
from tests.support import CommandCounter


def _entry(n: int, school: str) -> Doc:
    """A version-1 log entry of a dossier, as enrolment claims it."""
    state = {"_id": f"L{n:018d}", "number": f"L{n:018d}", "school_code": school, "attending_school_code": None}
    change: Doc = {"action": "ENROLLED", "changes": {"school": {"old": None, "new": school}}, "reason": None, "evidence": [], "business_id": None}
    return new_entry("student", state, version=1, prev_hash=None, stamp=Stamp("system:test"), action="ENROLLED", change=change)


def _school(n: int) -> str:
    """Dense A, medium B (one in 20), sparse C (one in 200)."""
    return "C" if n % 200 == 0 else "B" if n % 20 == 0 else "A"


def _in_own_database(settings: Settings, body: Callable[[ChangeFeed, Collections], Awaitable[Any]]) -> tuple[Any, CommandCounter]:
    counter = CommandCounter()

    async def go() -> Any:
        assert settings.mongodb_uri is not None
        client = connect(settings.mongodb_uri, event_listeners=[counter])
        name = f"{settings.mongodb_database}_feed_{secrets.token_hex(3)}"
        try:
            collections = Collections.of(client[name])
            for model in INDEXES["changes"]:
                await collections.changes.create_indexes([model])
            return await body(ChangeFeed(collections, SchoolPlacement(collections)), collections)
        finally:
            await client.drop_database(name)
            await client.close()

    return asyncio.run(go()), counter


async def _read_all(feed: ChangeFeed, school: str, first: int, after: int = 0) -> tuple[list[int], int]:
    seqs: list[int] = []
    while True:
        page = await feed.page(f"code:{school}", after=after, first=first)
        assert len(page.items) <= first
        assert page.position >= after
        seqs += [c.seq for c in page.items]
        after = page.position
        if not page.has_next:
            return seqs, after
        assert len(page.items) == first  # only the end of the feed makes a short page


def _served(counter: CommandCounter) -> None:
    # (a read of the whole collection is the test's own check, not a query of the feed)
    shapes = [s for s in counter.shapes if s.collection == "changes" and (s.equality or s.sort or s.ranges)]
    assert shapes
    unserved = [s for s in shapes if serving_index(s) is None]
    assert not unserved, unserved


def test_pages_of_dense_medium_and_sparse_scopes_cross_blocks_without_skip_or_repeat(settings: Settings) -> None:
    count = 3 * BLOCK - 137
    entries = [_entry(n, _school(n)) for n in range(1, count + 1)]

    async def body(feed: ChangeFeed, collections: Collections) -> None:
        appended = sum([await feed.append_many(entries[i : i + 300]) for i in range(0, count, 300)])
        assert appended == count
        assert await feed.append_many(entries[:50]) == 0  # again: nothing twice
        assert await feed.head() == count
        # the hint only says where to start: one left behind hides nothing
        await collections.counters.replace_one({"_id": HEAD}, {"seq": 10})
        assert await feed.head() == count
        for school in "ABC":
            expected = [n for n in range(1, count + 1) if _school(n) == school]
            for first in (7, 100) if school == "A" else (1, 7, 100):
                seqs, end = await _read_all(feed, school, first)
                assert seqs == expected, (school, first)
                assert end == count
            await collections.counters.replace_one({"_id": HEAD}, {"seq": BLOCK + 3})
            assert (await _read_all(feed, school, 100))[0] == expected
            # resuming from any position gives the rest, exactly
            for start in (0, BLOCK - 1, BLOCK, 2 * BLOCK + 5):
                assert (await _read_all(feed, school, 13, start))[0] == [n for n in expected if n > start]
        # a cursor past the end stays where it is
        beyond = await feed.page("code:A", after=count + 10, first=5)
        assert (beyond.items, beyond.position, beyond.has_next) == ([], count + 10, False)

    _, counter = _in_own_database(settings, body)
    _served(counter)


def test_concurrent_appends_take_gap_free_numbers_once_each_while_a_reader_pages(settings: Settings) -> None:
    writers, rounds = 8, 12
    entries = [_entry(n, _school(n)) for n in range(1, writers * rounds + 1)]

    async def body(feed: ChangeFeed, collections: Collections) -> tuple[list[int], list[bool], list[Doc]]:
        done = asyncio.Event()

        async def write(w: int) -> list[bool]:
            results: list[bool] = []
            for r in range(rounds):
                entry = entries[(w * rounds + r) % len(entries)]
                twin = entries[((w + 1) % writers * rounds + r) % len(entries)]  # another writer's entry too
                results += await asyncio.gather(feed.append(entry, None), feed.append(twin, None))
            return results

        async def read() -> list[int]:
            seqs: list[int] = []
            after = 0
            while True:
                finished = done.is_set()
                page = await feed.page("code:A", after=after, first=5)
                seqs += [c.seq for c in page.items]
                after = page.position
                if finished and not page.has_next:
                    return seqs

        reader = asyncio.create_task(read())
        appended = [ok for results in await asyncio.gather(*(write(w) for w in range(writers))) for ok in results]
        done.set()
        return await reader, appended, await collections.changes.find({}, {"seq": 1, "scope_keys": 1}).to_list()

    (seen, appended, stored), counter = _in_own_database(settings, body)
    assert sum(appended) == len(entries) == len(stored)  # each entry once, whoever appended it first
    assert sorted(d["seq"] for d in stored) == list(range(1, len(entries) + 1))  # no gap, no number twice
    assert seen == sorted(d["seq"] for d in stored if d["scope_keys"] == ["code:A"])  # in order, none skipped or repeated
    _served(counter)


def test_concurrent_bulk_appends_leave_no_number_free_below_a_taken_one(settings: Settings) -> None:
    """Bulk appends claim numbers a chunk at a time; several at once, some of the same
    entries, must still take 1..n, each entry once."""
    entries = [_entry(n, _school(n)) for n in range(1, 801)]
    parts = [entries[0:250], entries[200:450], entries[400:650], entries[600:800], entries[0:100]]

    async def body(feed: ChangeFeed, collections: Collections) -> tuple[list[int], list[Doc]]:
        appended = list(await asyncio.gather(*(feed.append_many(part) for part in parts)))
        return appended, await collections.changes.find({}, {"seq": 1}).to_list()

    (appended, stored), _ = _in_own_database(settings, body)
    assert sum(appended) == len(entries) == len(stored)
    assert sorted(d["seq"] for d in stored) == list(range(1, len(entries) + 1))
    assert {d["_id"] for d in stored} == {e["_id"] for e in entries}
