"""Bulk-intake jobs: the job, its input rows, run leases, row claims and row results, each
in its own collection and each written once by an insert with a unique `_id`. The only
updates are a run's heartbeat and the job's final state, each written by the one run that
holds the lease."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from domain.intake import IntakeJob, IntakeOutcome, IntakeResult, IntakeState, RowProblem
from domain.ports import Page
from domain.tables import Row
from storage.bulk import insert_unordered
from storage.mongo import Collections, Doc
from storage.pages import keyset


def _row_id(job_id: str, row: int) -> str:
    return f"{job_id}:{row:06d}"


def _job_to_doc(job: IntakeJob) -> Doc:
    return {
        "_id": job.id,
        "school_code": job.school_code,
        "file_name": job.file_name,
        "file_sha256": job.file_sha256,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "total": job.total,
        "state": job.state.value,
        "finished_at": job.finished_at,
    }


def _job_of(doc: Doc) -> IntakeJob:
    return IntakeJob(
        id=doc["_id"],
        school_code=doc["school_code"],
        file_name=doc["file_name"],
        file_sha256=doc["file_sha256"],
        created_by=doc["created_by"],
        created_at=doc["created_at"],
        total=doc["total"],
        state=IntakeState(doc["state"]),
        finished_at=doc.get("finished_at"),
    )


def _result_of(doc: Doc) -> IntakeResult:
    problems: list[dict[str, Any]] = doc.get("problems") or []
    return IntakeResult(
        job_id=doc["job_id"],
        row=doc["row"],
        outcome=IntakeOutcome(doc["outcome"]),
        number=doc.get("number"),
        problems=tuple(RowProblem(p.get("column"), p["code"], p["message"]) for p in problems),
        candidates=tuple(doc.get("candidates") or ()),
    )


def _result_doc(result: IntakeResult) -> Doc:
    return {
        "_id": _row_id(result.job_id, result.row),
        "job_id": result.job_id,
        "row": result.row,
        "outcome": result.outcome.value,
        "number": result.number,
        "problems": [{"column": p.column, "code": p.code, "message": p.message} for p in result.problems],
        "candidates": list(result.candidates),
    }


class IntakeRepository:
    def __init__(self, collections: Collections) -> None:
        self._jobs = collections.intake_jobs
        self._rows = collections.intake_rows
        self._runs = collections.intake_runs
        self._claims = collections.intake_claims
        self._results = collections.intake_results

    async def create(self, job: IntakeJob, rows: Sequence[Row]) -> tuple[IntakeJob, bool]:
        """The rows first, then the job: a job that exists always has all its rows. The
        same file again finds its job and inserts nothing."""
        existing = await self._jobs.find_one({"_id": job.id})
        if existing is not None:
            return _job_of(existing), False
        docs = [
            {"_id": _row_id(job.id, r.number), "job_id": job.id, "row": r.number, "values": r.values, "problems": r.problems}
            for r in rows
        ]
        for start in range(0, len(docs), 1000):
            await insert_unordered(self._rows, docs[start : start + 1000])
        try:
            await self._jobs.insert_one(_job_to_doc(job))
        except DuplicateKeyError:
            found = await self._jobs.find_one({"_id": job.id})
            assert found is not None
            return _job_of(found), False
        return job, True

    async def get(self, job_id: str) -> IntakeJob | None:
        doc = await self._jobs.find_one({"_id": job_id})
        return _job_of(doc) if doc else None

    async def rows(self, job_id: str) -> list[Row]:
        return [
            Row(d["row"], dict(d["values"]), dict(d.get("problems") or {}))
            async for d in self._rows.find({"job_id": job_id}).sort("_id", 1)
        ]

    async def results(self, job_id: str) -> list[IntakeResult]:
        return [_result_of(d) async for d in self._results.find({"job_id": job_id}).sort("_id", 1)]

    async def claimed_rows(self, job_id: str) -> set[int]:
        return {d["row"] async for d in self._claims.find({"job_id": job_id})}

    async def last_run(self, job_id: str) -> tuple[int, datetime] | None:
        runs = await self._runs.find({"job_id": job_id}).to_list()
        if not runs:
            return None
        last = max(runs, key=lambda d: d["run"])
        return last["run"], last["heartbeat_at"]

    async def claim_run(self, job_id: str, run: int, at: datetime) -> bool:
        try:
            await self._runs.insert_one({"_id": f"{job_id}:{run:04d}", "job_id": job_id, "run": run, "started_at": at, "heartbeat_at": at})
        except DuplicateKeyError:
            return False
        return True

    async def heartbeat(self, job_id: str, run: int, at: datetime) -> None:
        await self._runs.update_one({"_id": f"{job_id}:{run:04d}"}, {"$set": {"heartbeat_at": at}})

    async def claim_rows(self, job_id: str, rows: Sequence[int], run: int) -> list[bool]:
        """Claim many rows in one write; for each, whether this call claimed it."""
        refused = await insert_unordered(self._claims, [{"_id": _row_id(job_id, r), "job_id": job_id, "row": r, "run": run} for r in rows])
        return [i not in refused for i in range(len(rows))]

    async def record_many(self, results: Sequence[IntakeResult]) -> list[bool]:
        """Record many results in one write; for each, whether it was the first."""
        refused = await insert_unordered(self._results, [_result_doc(r) for r in results])
        return [i not in refused for i in range(len(results))]


    async def finish(self, job_id: str, state: IntakeState, at: datetime) -> None:
        await self._jobs.update_one({"_id": job_id}, {"$set": {"state": state.value, "finished_at": at}})

    async def unfinished(self) -> list[IntakeJob]:
        return [_job_of(d) async for d in self._jobs.find({"state": IntakeState.RUNNING.value}).sort("_id", 1)]

    async def for_school(self, school_code: str, *, after: str | None, first: int) -> Page[IntakeJob]:
        query: Doc = {"school_code": school_code}
        total = await self._jobs.count_documents(query)
        docs = await self._jobs.find(keyset(query, after)).sort("_id", 1).limit(first + 1).to_list()
        jobs = [_job_of(d) for d in docs[:first]]
        return Page(jobs, [j.id for j in jobs], len(docs) > first, total)
