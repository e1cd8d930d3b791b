"""A small HTTP/1.1 load generator on asyncio streams (keep-alive connections, requests
prepared as bytes), so that the client costs little of the CPU it shares with the servers:
a closed loop (N workers, each sends its next request when the last one is answered) and
an open loop (requests scheduled at a fixed rate, latency measured from the scheduled
time, so queueing counts)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_OPEN_LOOP_CONNECTIONS = 512


class HttpError(RuntimeError):
    pass


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port, limit=2**22)
        return cls(reader, writer)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise HttpError("chunked responses are not expected here")
        if length is None:
            raise HttpError("a response without Content-Length")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def post(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (f"POST {path} HTTP/1.1\r\nHost: bench\r\n{head}Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


Check = Callable[[int, bytes], None]


def ok(status: int, body: bytes) -> None:
    if status != 200 or body.startswith(b'{"errors"') or b'"errors":' in body[:200]:
        raise HttpError(f"unexpected response {status}: {body[:300]!r}")


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, of the good answers
    wall: float = 0.0
    errors: int = 0  # answers that failed the check (counted, not timed)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


async def closed_loop(
    host: str, port: int, requests: Callable[[int], bytes], *, concurrency: int, seconds: float = 0.0, warmup: float = 1.0,
    count: int | None = None, check: Check = ok,
) -> Result:
    """`concurrency` workers for `warmup` + `seconds` (the requests that complete after the
    warm-up and before the end count, with their latency), or for exactly `count` requests."""
    connections = [await Connection.open(host, port) for _ in range(concurrency)]
    counter = iter(range(count if count is not None else 10**9))
    result = Result()
    start = time.perf_counter()
    if count is not None:
        warmup, seconds = 0.0, float("inf")
    measure_from, stop_at = start + warmup, start + warmup + seconds

    async def worker(conn: Connection) -> None:
        while True:
            sent = time.perf_counter()
            i = next(counter, None)
            if sent >= stop_at or i is None:
                return
            status, body = await conn.send(requests(i))
            done = time.perf_counter()
            try:
                check(status, body)
            except HttpError:
                result.errors += 1
                continue
            if measure_from <= done <= stop_at:  # throughput: what completes inside the window
                result.latencies.append(done - sent)

    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for c in connections:
            c.close()
    result.wall = min(time.perf_counter(), stop_at) - measure_from
    return result


async def open_loop(
    host: str, port: int, requests: Callable[[int], bytes], *, rate: float, seconds: float, check: Check = ok
) -> Result:
    """Requests due every 1/`rate` s for `seconds`; each is sent on an idle connection (a new
    one when none is idle, up to a limit, then the next one freed) and timed from when it was
    due, so a server that falls behind shows it in the latency."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(32):
        idle.put_nowait(await Connection.open(host, port))
    opened = idle.qsize()
    result = Result()
    count = int(rate * seconds)
    start = time.perf_counter() + 0.05

    async def one(i: int, due: float) -> None:
        nonlocal opened
        if idle.empty() and opened < MAX_OPEN_LOOP_CONNECTIONS:
            opened += 1
            conn = await Connection.open(host, port)
        else:
            conn = await idle.get()
        status, body = await conn.send(requests(i))
        idle.put_nowait(conn)
        try:
            check(status, body)
        except HttpError:
            result.errors += 1
            return
        result.latencies.append(time.perf_counter() - due)

    tasks = []
    for i in range(count):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    result.wall = time.perf_counter() - start
    while not idle.empty():
        idle.get_nowait().close()
    return result
