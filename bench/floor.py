"""The serving floor: what each way of serving the same Django app costs per
request, on a trivial endpoint and on real ones (docs/adr/0008-serving-floor.md).

    .venv/bin/python -m bench.floor [--seconds 8] [--rounds 3] [--base REV]

Every candidate serves one throw-away embedded PostgreSQL with the demo data,
with 2 workers and 6 request threads each (the defaults of `venueos serve`),
one after the other and round after round (A/B/A/B: other work sharing the
CPUs then weighs on all alike). "before" candidates run the code of `--base`
(the last commit with a2wsgi) from `git archive`. The load is `wrk` (50
keep-alive connections, 2 client threads) when it is installed (Debian:
`apt-get install -y wrk`), else `bench/load.py`'s closed loop. Besides req/s
and latency, the server's CPU per request: the CPU-seconds of its whole process
tree over the run divided by the requests answered, the figure that matters
on a shared machine. The granian and gunicorn candidates need those packages
in the virtual environment (`pip install granian gunicorn`); missing ones are
skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import psutil

from bench import load
from bench.runner import HOST, stop_server
from venueos import embedded

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CONNECTIONS = 50

_WRK_SCRIPT = """
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.3f %.3f %d\\n", summary.requests,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def candidates(workers: int, threads: int) -> dict[str, tuple[str, list[str]]]:
    """name -> (code: "before" or "after", command)."""
    uvicorn = [
        str(BIN / "uvicorn"),
        "venueos.asgi:application",
        *("--workers", str(workers), "--lifespan", "off", "--no-access-log"),
        *("--log-level", "warning", "--no-proxy-headers"),
    ]
    granian = [str(BIN / "granian"), "--workers", str(workers), "--no-ws"]
    granian += ["--log-level", "warning"]
    asgi = ["--interface", "asgi", "venueos.asgi:application"]
    return {
        "uvicorn + a2wsgi (before)": ("before", uvicorn),
        "uvicorn + ThreadPoolWSGI (after)": ("after", uvicorn),
        "uvicorn h11/asyncio + ThreadPoolWSGI": (
            "after",
            [*uvicorn, "--loop", "asyncio", "--http", "h11"],
        ),
        "granian ASGI + a2wsgi": ("before", granian + asgi),
        "granian ASGI + ThreadPoolWSGI": ("after", granian + asgi),
        "granian WSGI, no SSE": (
            "after",
            granian
            + ["--interface", "wsgi", "--blocking-threads", str(threads)]
            + ["--factory", "django.core.wsgi:get_wsgi_application"],
        ),
        "gunicorn gthread, no SSE": (
            "after",
            [str(BIN / "gunicorn"), "-k", "gthread", "--workers", str(workers)]
            + ["--threads", str(threads), "--log-level", "warning"]
            + ["django.core.wsgi:get_wsgi_application()"],
        ),
    }


def _tree_cpu(process: psutil.Process) -> float:
    total = 0.0
    for member in [process, *process.children(recursive=True)]:
        try:
            times = member.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _wait_ready(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(
                f"http://{HOST}:{port}/health/ready", timeout=1
            ) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server not ready in time")


def _wrk(script: Path, port: int, path: str, token: str, seconds: float) -> dict:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--timeout", "10s"]
        + ["-s", str(script), f"http://{HOST}:{port}{path}"],
        env=dict(os.environ, BENCH_TOKEN=token),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fields = next(x for x in output.splitlines() if x.startswith("RESULT")).split()
    requests, micros = int(fields[1]), int(fields[2])
    return {
        "requests": requests,
        "rps": requests / (micros / 1e6),
        "p50_ms": float(fields[3]),
        "p95_ms": float(fields[4]),
        "errors": int(fields[5]),
    }


def _closed_loop(port: int, path: str, token: str, seconds: float) -> dict:
    result = asyncio.run(
        load.closed_loop(
            "floor",
            HOST,
            port,
            CONNECTIONS,
            seconds,
            lambda i: ("GET", path, None, token or None),
            200,
        )
    )
    return {
        "requests": result.count,
        "rps": result.throughput,
        "p50_ms": result.pct(50),
        "p95_ms": result.pct(95),
        "errors": result.errors,
    }


EMAIL, PASSWORD = "floor@bench.invalid", "bench-floor-password"


def _token(port: int) -> str:
    request = urllib.request.Request(
        f"http://{HOST}:{port}/api/v1/auth/tokens/",
        data=json.dumps({"email": EMAIL, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)["token"]


def _endpoints(port: int, token: str) -> dict[str, tuple[str, str]]:
    """The trivial endpoint and two real ones, the space of the first venue's
    first bookable space for the availability search (one week)."""

    def get(path):
        request = urllib.request.Request(
            f"http://{HOST}:{port}{path}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)

    venue = get("/api/v1/venues/")["results"][0]
    space = next(
        s for s in get(f"/api/v1/venues/{venue['id']}/spaces/") if s["is_bookable"]
    )
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start += timedelta(days=3)
    end = start + timedelta(days=7)
    search = (
        f"/api/v1/availability/search?space_id={space['id']}"
        f"&start_time={start:%Y-%m-%dT%H:%M:%SZ}&end_time={end:%Y-%m-%dT%H:%M:%SZ}"
    )
    return {
        "GET /health/live": ("/health/live", ""),
        "GET /api/v1/venues/ (token)": ("/api/v1/venues/", token),
        "availability, 1 space 1 week (token)": (search, token),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="a743d34", help="the 'before' code")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--only", help="comma-separated candidate names")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("VENUEOS_BENCH_PORT", "8520"))
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="venueos-floor-"))
    script = work / "result.lua"
    script.write_text(_WRK_SCRIPT)
    use_wrk = shutil.which("wrk") is not None
    before = work / "before"
    archive = subprocess.run(
        ["git", "archive", "--format=tar", args.base, "venueos"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(before, filter="data")
    chosen = candidates(args.workers, args.threads)
    if args.only:
        chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
    for name, (_, command) in list(chosen.items()):
        if not Path(command[0]).exists():
            print(f"skipped {name}: {Path(command[0]).name} is not installed")
            del chosen[name]

    server = embedded.start(
        work / "pgdata",
        preferred_port=int(os.environ.get("VENUEOS_PG_PORT", "0")) or None,
        throwaway=True,
    )
    env = dict(
        os.environ,
        DATABASE_URL=server.url,
        VENUEOS_OWNER_DATABASE_URL=server.owner_url,
        VENUEOS_HOME=str(work / "home"),
        VENUEOS_SECRET_KEY="bench-floor-" + "k" * 50,
        DJANGO_SETTINGS_MODULE="venueos.settings",
        VENUEOS_MAX_CONCURRENCY=str(args.threads),
        VENUEOS_DB_POOL=str(args.threads + 2),  # as `venueos serve` sizes it
        GRANIAN_HOST=HOST,
        GRANIAN_PORT=str(args.port),
        UVICORN_HOST=HOST,
        UVICORN_PORT=str(args.port),
        GUNICORN_CMD_ARGS=f"--bind {HOST}:{args.port}",
    )
    rows: list[dict] = []
    endpoints = None
    try:
        subprocess.run(  # migrates first
            [str(BIN / "venueos"), "demo"], env=env, check=True, capture_output=True
        )
        subprocess.run(
            [str(BIN / "venueos"), "createuser", "--email", EMAIL]
            + ["--password", PASSWORD],
            env=env,
            check=True,
            capture_output=True,
        )
        for round_number in range(args.rounds):
            for name, (code, command) in chosen.items():
                metrics = work / "metrics"
                shutil.rmtree(metrics, ignore_errors=True)
                metrics.mkdir()
                tree = before if code == "before" else ROOT
                log = work / f"{round_number}-{name.split()[0]}.log"
                process = subprocess.Popen(
                    command,
                    cwd=tree,
                    env=env
                    | {
                        "PYTHONPATH": str(tree),
                        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
                    },
                    start_new_session=True,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                )
                try:
                    _wait_ready(args.port, process, log)
                    if endpoints is None:
                        endpoints = _endpoints(args.port, _token(args.port))
                    tree_process = psutil.Process(process.pid)
                    for endpoint, (path, token) in endpoints.items():
                        if use_wrk:
                            _wrk(script, args.port, path, token, 2)  # warm-up
                        else:
                            _closed_loop(args.port, path, token, 2)
                        cpu_before = _tree_cpu(tree_process)
                        load_average = os.getloadavg()[0]
                        if use_wrk:
                            row = _wrk(script, args.port, path, token, args.seconds)
                        else:
                            row = _closed_loop(args.port, path, token, args.seconds)
                        cpu = _tree_cpu(tree_process) - cpu_before
                        row.update(
                            candidate=name,
                            endpoint=endpoint,
                            round=round_number,
                            cpu_ms=cpu * 1000 / max(1, row["requests"]),
                            load1=load_average,
                        )
                        rows.append(row)
                        print(
                            f"round {round_number} {name:38} {endpoint:38} "
                            f"{row['rps']:6.0f} req/s  p50 {row['p50_ms']:6.1f} ms  "
                            f"p95 {row['p95_ms']:6.1f} ms  {row['cpu_ms']:5.2f} CPU-ms/req  "
                            f"errors {row['errors']}  load {load_average:.1f}",
                            flush=True,
                        )
                finally:
                    stop_server(process)
    finally:
        embedded.stop(work / "pgdata", remove=True)
    out = ROOT / "bench" / "results" / "floor.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    print(
        f"\nMedians of {args.rounds} rounds, {CONNECTIONS} keep-alive connections, "
        f"{args.seconds:g} s each ({'wrk' if use_wrk else 'bench/load.py'}); "
        f"load average {min(r['load1'] for r in rows):.1f}-{max(r['load1'] for r in rows):.1f}\n"
    )
    print(
        "| server | endpoint | req/s | p50 ms | p95 ms | server CPU-ms/req | errors |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in chosen:
        for endpoint in endpoints or {}:
            runs = [
                r for r in rows if r["candidate"] == name and r["endpoint"] == endpoint
            ]
            med = {
                k: statistics.median(r[k] for r in runs)
                for k in ("rps", "p50_ms", "p95_ms", "cpu_ms")
            }
            print(
                f"| {name} | {endpoint} | {med['rps']:.0f} | {med['p50_ms']:.1f} | "
                f"{med['p95_ms']:.1f} | {med['cpu_ms']:.2f} | {sum(r['errors'] for r in runs)} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
