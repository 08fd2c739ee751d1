"""The bench's plumbing: paths, modes, logging, the `venueos serve` process
and the machine it runs on."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import load

ROOT = Path(__file__).resolve().parent.parent


RESULTS = ROOT / "bench" / "results"


HOST = "127.0.0.1"


BIN = Path(sys.executable).parent


MODES = {
    "quick": dict(
        venues=10,
        customers=100,
        bookings=4_000,
        growth=(1_000, 2_000, 4_000),
        growth_duration=2.0,
        duration=3.0,
        storm=300,
        sale=1000,
        places=100,
    ),
    "default": dict(
        venues=50,
        customers=500,
        bookings=100_000,
        growth=(10_000, 30_000, 100_000),
        growth_duration=4.0,
        duration=10.0,
        storm=1000,
        sale=5000,
        places=500,
    ),
    "full": dict(
        venues=50,
        customers=1000,
        bookings=1_000_000,
        growth=(10_000, 100_000, 1_000_000),
        growth_duration=5.0,
        duration=30.0,
        storm=1000,
        sale=5000,
        places=500,
    ),
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def run(cmd, env, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, check=True, cwd=ROOT, **kw)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def analyze(db_url: str) -> None:
    """After a bulk load, what autovacuum would do (vacuum: hint bits and the
    visibility map; fresh planner statistics), then a checkpoint: done now,
    so that none of it lands in the measurements that follow. With ANALYZE
    alone, the capacity's first step right after growing to 100,000 bookings
    failed at 50 req/s with every kind slow alike, while the same mix held
    120 req/s on data that had settled."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")


def start_server(args, env, port, log_path: Path):
    env = dict(
        env,
        VENUEOS_MAX_CONCURRENCY=str(args.concurrency),
        # Each bench customer creates far more than 60 bookings a minute: the
        # per-user create rate is off unless the caller sets one.
        VENUEOS_THROTTLE_BOOKINGS=env.get("VENUEOS_THROTTLE_BOOKINGS", ""),
    )
    log_file = open(log_path, "w")  # noqa: SIM115 (lives as long as the server)
    proc = subprocess.Popen(
        [
            str(BIN / "venueos"),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    return proc


async def wait_ready(port: int, proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"venueos serve exited with {proc.returncode}")
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


def stop_server(proc) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=15)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def machine() -> dict:
    cpu = "unknown"
    mem = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory": mem,
        "cpu": cpu,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }
