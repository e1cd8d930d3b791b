"""The process pool the upload checks run in: real worker processes, no stand-ins."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from domain.errors import DomainError
from domain.evidence import UploadLimits
from storage.check_pool import ScanCheckPool
from tests import scans


def test_checks_run_in_worker_processes_and_a_dead_worker_is_replaced(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.jpg", tmp_path / "bad.pdf"
    good.write_bytes(scans.jpeg(orientation=1) + b"appended")
    bad.write_bytes(scans.pdf_file_attachment())
    pool = ScanCheckPool(2)
    pool.start()
    try:

        async def run() -> None:
            found = await pool.inspect(good, "image/jpeg", UploadLimits(), tmp_path)
            assert found.trailing_bytes == len(b"appended") and found.rendition is not None
            with pytest.raises(DomainError) as refused:
                await pool.inspect(bad, "application/pdf", UploadLimits(), tmp_path)
            assert refused.value.code == "PDF_ACTIVE_CONTENT"
            executor = pool._executor
            assert executor is not None
            workers = list(executor._processes)
            assert workers and os.getpid() not in workers
            for pid in workers:  # a decoder crash, say, or the kernel's OOM killer
                os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.5)
            again = await pool.inspect(good, "image/jpeg", UploadLimits(), tmp_path)
            assert again.trailing_bytes == len(b"appended") and pool._executor is not executor

        asyncio.run(run())
    finally:
        pool.shutdown()
