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


CHILD = """
import asyncio, sys, tempfile, time
from multiprocessing import forkserver
from pathlib import Path
from domain.evidence import UploadLimits
from storage.check_pool import ScanCheckPool
from tests import scans

async def main() -> None:
    pool = ScanCheckPool(2)
    pool.start()
    workdir = Path(tempfile.mkdtemp())
    path = workdir / "scan.jpg"
    path.write_bytes(scans.jpeg())
    await asyncio.gather(*(pool.inspect(path, "image/jpeg", UploadLimits(), workdir) for _ in range(4)))
    pids = [forkserver._forkserver._forkserver_pid, *pool._executor._processes]
    print(" ".join(map(str, pids)), flush=True)
    time.sleep(120)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").exists(), reason="parent-death signals are Linux")
def test_killing_the_api_process_leaves_no_checker_behind() -> None:
    import subprocess
    import sys
    import time

    from storage.embedded import PROJECT_ROOT

    proc = subprocess.Popen([sys.executable, "-c", CHILD], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 3 and all(_alive(p) for p in pids)
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)]
