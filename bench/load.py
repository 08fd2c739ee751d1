"""A small asyncio HTTP/1.1 load client: raw keep-alive connections over
asyncio streams (one event loop, no per-request parsing library), so the
client's own CPU cost stays small next to the server's on a shared 2-core box.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field


class Conn:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, method: str, path: str, body=None, token=None):
        if self.writer is None:
            await self.open()
        payload = b"" if body is None else json.dumps(body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if token:
            head.append(f"Authorization: Bearer {token}")
        if body is not None:
            head.append("Content-Type: application/json")
        head.append(f"Content-Length: {len(payload)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        try:
            return await self._response()
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()
            raise

    async def _response(self):
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("server closed the connection")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            data = b"".join(parts)
        else:
            data = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, data


@dataclass
class Result:
    name: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0  # responses other than the expected status, or transport errors
    wall: float = 0.0
    winner_latencies: list[float] = field(default_factory=list)
    # Burst connections the server closed while idle (a server's keep-alive
    # timeout while thousands are still being opened); the request is resent
    # once on a fresh connection and still counts as one attempt.
    reconnects: int = 0

    @property
    def count(self) -> int:
        return len(self.latencies)

    def pct(self, p: float, values=None) -> float | None:
        values = sorted(self.latencies if values is None else values)
        if not values:
            return None
        rank = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
        return values[rank] * 1000

    @property
    def throughput(self) -> float:
        return self.count / self.wall if self.wall else 0.0

    @property
    def server_errors(self) -> int:
        return sum(
            n for s, n in self.statuses.items() if isinstance(s, int) and s >= 500
        )

    def summary(self) -> dict:
        return {
            "name": self.name,
            "concurrency": self.concurrency,
            "requests": self.count,
            "wall_s": round(self.wall, 3),
            "throughput_per_s": round(self.throughput, 1),
            "p50_ms": _r(self.pct(50)),
            "p95_ms": _r(self.pct(95)),
            "p99_ms": _r(self.pct(99)),
            "errors": self.errors,
            "reconnects": self.reconnects,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=str)},
        }


def _r(x):
    return None if x is None else round(x, 2)


async def closed_loop(
    name, host, port, concurrency, duration, make_request, expect, limit=None
) -> Result:
    """`concurrency` clients, each on its own keep-alive connection, sending
    back-to-back requests for `duration` seconds (or until `limit` requests)."""
    result = Result(name, concurrency)
    counter = itertools.count()
    conns = [Conn(host, port) for _ in range(concurrency)]
    await asyncio.gather(*(c.open() for c in conns))
    start = time.perf_counter()
    deadline = start + duration

    async def client(conn: Conn):
        while time.perf_counter() < deadline:
            i = next(counter)
            if limit is not None and i >= limit:
                return
            method, path, body, token = make_request(i)
            t0 = time.perf_counter()
            try:
                status, _ = await conn.request(method, path, body, token)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status = "transport-error"
            result.latencies.append(time.perf_counter() - t0)
            result.statuses[status] += 1
            if status != expect:
                result.errors += 1

    await asyncio.gather(*(client(c) for c in conns))
    result.wall = time.perf_counter() - start
    for c in conns:
        c.close()
    return result


async def burst(name, host, port, requests, winner_status) -> Result:
    """All `requests` at once: one connection each, opened first, then a
    single start signal; wall time runs from the signal to the last answer."""
    result = Result(name, len(requests))
    conns = [Conn(host, port) for _ in requests]
    opening = asyncio.Semaphore(200)

    async def open_one(c):
        async with opening:
            await c.open()

    await asyncio.gather(*(open_one(c) for c in conns))
    go = asyncio.Event()

    async def one(conn, req):
        await go.wait()
        t0 = time.perf_counter()
        try:
            status, _ = await conn.request(*req)
        except (ConnectionError, asyncio.IncompleteReadError):
            result.reconnects += 1
            try:
                status, _ = await conn.request(*req)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status = "transport-error"
        except (OSError, ValueError):
            status = "transport-error"
        elapsed = time.perf_counter() - t0
        result.latencies.append(elapsed)
        result.statuses[status] += 1
        if status == winner_status:
            result.winner_latencies.append(elapsed)

    tasks = [
        asyncio.create_task(one(c, r)) for c, r in zip(conns, requests, strict=True)
    ]
    await asyncio.sleep(0.05)
    start = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    result.wall = time.perf_counter() - start
    for c in conns:
        c.close()
    return result
