"""The process pool the upload checks run in.

The checks (a full decode of every image page, a walk over every PDF object) are CPU-bound
Python and C: in threads they hold the GIL against the event loop and each other. A pool
of worker processes sized to the cores runs them in parallel. Workers start from a fork
server (a fresh single-threaded interpreter that has imported the checks once), never by
forking the threaded API process; the fork server dies with the API and the workers with
the fork server, so killing the API leaves no checker behind. Arguments and answers are
plain data.

A worker that dies (a decoder crashing on a hostile file, the kernel killing it for
memory) breaks the whole pool: the pool is replaced and the check tried once more on the
new one, so the uploads that were in flight with it are checked again, and a file that
kills a worker twice is refused."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from pathlib import Path

from domain.evidence import UploadLimits
from storage.check_worker import init_worker
from storage.scan_checks import Inspection, check_file, inspection_of, refuse

FORKSERVER_PRELOAD = "storage.check_forkserver"


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class ScanCheckPool:
    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self._executor: ProcessPoolExecutor | None = None

    def start(self) -> None:
        self._executor = self._new_executor()

    def shutdown(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _new_executor(self) -> ProcessPoolExecutor:
        context: BaseContext
        if "forkserver" in multiprocessing.get_all_start_methods():
            forkserver = multiprocessing.get_context("forkserver")
            forkserver.set_forkserver_preload([FORKSERVER_PRELOAD])
            context = forkserver
        else:
            context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(self.workers, mp_context=context, initializer=init_worker)

    async def inspect(self, path: Path, real: str, limits: UploadLimits, workdir: Path) -> Inspection:
        plain = (limits.max_bytes, limits.max_pixels, limits.max_pages, limits.max_pdf_objects)
        loop = asyncio.get_running_loop()
        for attempt in range(2):
            executor = self._executor
            if executor is None:
                raise RuntimeError("the upload check pool is not running")
            try:
                outcome = await loop.run_in_executor(executor, check_file, str(path), real, plain, str(workdir))
            except BrokenProcessPool:
                if self._executor is executor:  # the first to notice replaces it
                    self._executor = self._new_executor()
                    executor.shutdown(wait=False, cancel_futures=True)
                if attempt == 1:
                    code = "CORRUPT_PDF" if real == "application/pdf" else "CORRUPT_IMAGE"
                    raise refuse(code, "the file could not be checked: it stopped the checker twice") from None
                continue
            return inspection_of(outcome)
        raise AssertionError("unreachable")
