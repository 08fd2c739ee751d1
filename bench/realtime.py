"""Live stream under load: `python -m bench.realtime [--listeners 1000]`.

Also run by `make bench` (one call from bench/__main__.py).

1. a throw-away embedded PostgreSQL, migrated, with the demo data;
2. `venueos serve` (2 workers by default) on a free port;
3. the latency of a normal endpoint (`GET /api/v1/venues/{id}/`, 10 keep-alive
   clients) with no listener connected;
4. N listeners (`GET /api/v1/stream/?venue_id=`, anonymous), each on its own
   connection; the server's RSS (all its processes) before and after: the
   delta divided by N is the memory per listener;
5. bookings made one after another over HTTP; every listener must receive each
   one's `availability.changed`. Delivery delay = arrival at the client minus
   the change's `created_at` in the change log (written at commit, same clock);
6. the same endpoint latency again, with the listeners connected.

Exit code 1 when a listener missed a message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import load

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
DEMO_CUSTOMER = ("customer@demo.venueos.dev", "venueos-customer-2026")
DEMO_MANAGER = ("manager@demo.venueos.dev", "venueos-manager-2026")
# A message (not the bare `id:` anchor): its id line followed by its event line.
MESSAGE_ID = re.compile(rb"(?m)^id: (\d+)\nevent: ")


def log(message: str) -> None:
    print(f"[realtime {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


class StreamClient:
    """One listener on a raw connection: records when each message id arrived."""

    def __init__(self, port: int, path: str):
        self.port, self.path = port, path
        self.arrivals: dict[int, float] = {}
        self.connected = asyncio.Event()
        self.failed: str | None = None
        self.writer = None

    async def run(self) -> None:
        try:
            reader, self.writer = await asyncio.open_connection(HOST, self.port)
            self.writer.write(
                f"GET {self.path} HTTP/1.1\r\nHost: {HOST}\r\n"
                "Accept: text/event-stream\r\n\r\n".encode()
            )
            status = await reader.readline()
            if b" 200 " not in status:
                self.failed = status.decode().strip()
                return
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            self.connected.set()
            # Whole reads, scanned with one regex: a client this cheap adds
            # little to the delay it measures (1,000 of them share one loop).
            tail = b""
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                now = time.time()
                data = tail + data
                for match in MESSAGE_ID.finditer(data):
                    self.arrivals.setdefault(int(match[1]), now)
                tail = data[-64:]
        except (OSError, ValueError) as exc:
            self.failed = repr(exc)
        finally:
            self.connected.set()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def api_latency(port: int, venue_id: str, duration: float) -> dict:
    result = await load.closed_loop(
        "venue detail",
        HOST,
        port,
        10,
        duration,
        lambda i: ("GET", f"/api/v1/venues/{venue_id}/", None, None),
        200,
    )
    return {
        "requests": result.count,
        "throughput_per_s": round(result.throughput, 1),
        "p50_ms": round(result.pct(50), 1),
        "p95_ms": round(result.pct(95), 1),
        "errors": result.errors,
    }


async def get_json(conn: load.Conn, method, path, body=None, token=None):
    try:
        status, data = await conn.request(method, path, body, token)
    except ConnectionResetError:  # idle past the server's keep-alive: once more
        status, data = await conn.request(method, path, body, token)
    return status, json.loads(data) if data else None


def weekday_slots(zone: str, count: int):
    """Distinct future one-hour slots inside the demo venue's opening hours."""
    tz = ZoneInfo(zone)
    day = datetime.now(tz).date() + timedelta(days=30)
    made = 0
    while made < count:
        if day.weekday() < 5:
            for hour in range(9, 19):
                start = datetime(day.year, day.month, day.day, hour, tzinfo=tz)
                yield start, start + timedelta(hours=1)
                made += 1
                if made == count:
                    return
        day += timedelta(days=1)


async def scenario(args, server_pid: int, db_url: str) -> dict:
    import psycopg

    conn = load.Conn(HOST, args.port)
    _, venues = await get_json(conn, "GET", "/api/v1/venues/")
    venue = next(v for v in venues["results"] if v["timezone"] == "Europe/Berlin")
    _, spaces = await get_json(conn, "GET", f"/api/v1/venues/{venue['id']}/spaces/")
    spaces = spaces["results"] if isinstance(spaces, dict) else spaces
    room = next(s for s in spaces if s["name"] == "Room 101")
    status, token = await get_json(
        conn,
        "POST",
        "/api/v1/auth/tokens/",
        {"email": DEMO_CUSTOMER[0], "password": DEMO_CUSTOMER[1]},
    )
    assert status == 201, token
    token = token["token"]
    # The demo customer already holds bookings there; the bench's must not
    # meet the venue's per-customer limit (it measures delivery, not that).
    status, manager = await get_json(
        conn,
        "POST",
        "/api/v1/auth/tokens/",
        {"email": DEMO_MANAGER[0], "password": DEMO_MANAGER[1]},
    )
    assert status == 201, manager
    status, body = await get_json(
        conn,
        "PATCH",
        f"/api/v1/venues/{venue['id']}/",
        {"max_active_bookings_per_customer": None},
        manager["token"],
    )
    assert status == 200, body

    await api_latency(args.port, venue["id"], 1.0)  # warm-up, not reported
    log(f"API latency without listeners ({args.api_seconds:g} s)")
    before = await api_latency(args.port, venue["id"], args.api_seconds)
    rss_before = tree_rss_kib(server_pid)

    log(f"connecting {args.listeners} listeners")
    clients = [
        StreamClient(args.port, f"/api/v1/stream/?venue_id={venue['id']}")
        for _ in range(args.listeners)
    ]
    connect_start = time.perf_counter()
    tasks = [asyncio.create_task(client.run()) for client in clients]
    await asyncio.gather(*(client.connected.wait() for client in clients))
    connect_s = time.perf_counter() - connect_start
    failed = [c.failed for c in clients if c.failed]
    if failed:
        raise RuntimeError(f"{len(failed)} listeners failed, e.g. {failed[0]}")
    await asyncio.sleep(1.0)  # let the workers settle
    rss_after = tree_rss_kib(server_pid)
    log(f"connected in {connect_s:.1f} s; {args.bookings} bookings")

    booked = []
    for start, end in weekday_slots(venue["timezone"], args.bookings):
        status, body = await get_json(
            conn,
            "POST",
            "/api/v1/bookings/",
            {
                "space_id": room["id"],
                "start_time": start.isoformat(),
                "end_time": end.isoformat(),
                "title": "Bench",
            },
            token,
        )
        if status != 201:
            raise RuntimeError(f"booking refused: {status} {body}")
        booked.append(body["id"])
        await asyncio.sleep(args.gap)
    await asyncio.sleep(2.0)  # the last deliveries

    with psycopg.connect(db_url) as db:
        rows = db.execute(
            "SELECT id, extract(epoch FROM created_at) FROM realtime_change "
            "WHERE kind = 'availability.changed' AND venue_id = %s "
            "ORDER BY id",
            [venue["id"]],
        ).fetchall()
    committed = {change_id: float(at) for change_id, at in rows[-args.bookings :]}
    delays, missing = [], 0
    for client in clients:
        for change_id, at in committed.items():
            arrived = client.arrivals.get(change_id)
            if arrived is None:
                missing += 1
            else:
                delays.append((arrived - at) * 1000)

    log(f"API latency with {args.listeners} listeners ({args.api_seconds:g} s)")
    during = await api_latency(args.port, venue["id"], args.api_seconds)
    for client in clients:
        client.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    conn.close()
    return {
        "listeners": args.listeners,
        "workers": args.workers,
        "bookings": len(booked),
        "messages_expected": len(committed) * len(clients),
        "messages_missing": missing,
        "connect_all_s": round(connect_s, 2),
        "delivery_ms": {
            "p50": round(percentile(delays, 50), 1),
            "p95": round(percentile(delays, 95), 1),
            "max": round(max(delays), 1),
        },
        "server_rss_mib": {
            "before": round(rss_before / 1024, 1),
            "after": round(rss_after / 1024, 1),
        },
        "kib_per_listener": round((rss_after - rss_before) / len(clients), 1),
        "api_without_listeners": before,
        "api_with_listeners": during,
    }


def report(res: dict) -> str:
    d = res["delivery_ms"]
    a, b = res["api_without_listeners"], res["api_with_listeners"]
    return "\n".join(
        [
            f"live stream: {res['listeners']} listeners on one `venueos serve` "
            f"({res['workers']} workers), {res['bookings']} bookings",
            f"  delivered {res['messages_expected'] - res['messages_missing']}"
            f"/{res['messages_expected']} messages "
            f"(all {res['listeners']} connected in {res['connect_all_s']} s)",
            f"  delivery delay commit -> client: p50 {d['p50']} ms, "
            f"p95 {d['p95']} ms, max {d['max']} ms (goal p95 <= 250 ms)",
            f"  server RSS {res['server_rss_mib']['before']} -> "
            f"{res['server_rss_mib']['after']} MiB: "
            f"{res['kib_per_listener']} KiB per listener",
            f"  GET /api/v1/venues/{{id}}/ @10: p50/p95 {a['p50_ms']}/{a['p95_ms']} ms "
            f"({a['throughput_per_s']}/s) without listeners, "
            f"{b['p50_ms']}/{b['p95_ms']} ms ({b['throughput_per_s']}/s) with them",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.realtime")
    parser.add_argument("--listeners", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bookings", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.25, help="s between bookings")
    parser.add_argument("--api-seconds", type=float, default=5.0)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument(
        "--quick", action="store_true", help="200 listeners, 5 bookings"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.listeners, args.bookings, args.api_seconds = 200, 5, 2.0

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    from venueos import embedded

    work = Path(tempfile.mkdtemp(prefix="venueos-bench-rt-"))
    server = proc = None
    try:
        server = embedded.start(
            work / "pgdata",
            preferred_port=int(os.environ.get("VENUEOS_PG_PORT", "0")) or None,
            throwaway=True,
        )
        env = dict(
            os.environ,
            DATABASE_URL=server.url,
            VENUEOS_OWNER_DATABASE_URL=server.owner_url,
            VENUEOS_FAST_PASSWORD_HASHER="1",
            # `venueos serve` refuses the built-in key.
            VENUEOS_SECRET_KEY=secrets.token_urlsafe(50),
            VENUEOS_THROTTLE_BOOKINGS="",
        )
        subprocess.run(
            [str(BIN / "venueos"), "demo"], env=env, check=True, capture_output=True
        )
        args.port = args.port or free_port()
        proc = subprocess.Popen(
            [
                str(BIN / "venueos"),
                "serve",
                "--host",
                HOST,
                "--port",
                str(args.port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        log(f"venueos serve on {HOST}:{args.port}, {args.workers} workers")
        asyncio.run(_wait_ready(args.port))
        res = asyncio.run(scenario(args, proc.pid, server.url))
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if server is not None:
            embedded.stop(work / "pgdata", remove=True)
        shutil.rmtree(work, ignore_errors=True)
    res["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "realtime.json").write_text(json.dumps(res, indent=2) + "\n")
    print()
    print(report(res))
    return 1 if res["messages_missing"] else 0


async def _wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = load.Conn(HOST, port)
        try:
            status, _ = await conn.request("GET", "/health/ready")
            if status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        await asyncio.sleep(0.3)
    raise RuntimeError("server not ready in time")


if __name__ == "__main__":
    sys.exit(main())
