"""Preloaded by the check pool's fork server, and only there: it imports the checks once
for every worker it forks, and dies with the API process that started it."""

from __future__ import annotations

import storage.scan_checks  # noqa: F401 - imported here once, inherited by every worker
from storage.check_worker import die_with_parent

die_with_parent()
