"""The API's JSON log lines as operators see them, captured while a test runs."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from api.logging import json_formatter

Line = dict[str, Any]


class LogCapture(logging.Handler):
    """A root handler with the API's formatter; `lines` are the parsed JSON objects."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(json_formatter())
        self.lines: list[Line] = []
        self.texts: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        with self._lock:
            self.texts.append(text)
            self.lines.append(json.loads(text))

    def of_request(self, request_id: str) -> list[Line]:
        with self._lock:
            return [line for line in self.lines if line.get("request_id") == request_id]

    def wait_for(self, predicate: Callable[[Line], bool], timeout: float = 5.0) -> Line:
        """The first line matching, waiting for it (the access line follows the response)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                for line in self.lines:
                    if predicate(line):
                        return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching log line in {self.lines}")
            time.sleep(0.02)

    def request_done(self, request_id: str) -> list[Line]:
        """Every line of a request, once its access line has been written."""
        self.wait_for(lambda line: line.get("request_id") == request_id and line.get("event") == "request")
        return self.of_request(request_id)
