"""The life of the check pool's processes is tied to the API's: the fork server dies with
the API process and each worker with the fork server (Linux parent-death signal), so
killing the API outright leaves no checker behind."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the parent is already gone
        os._exit(0)


def init_worker() -> None:
    die_with_parent()
