"""What the per-request metrics and log line cost: a trivial endpoint served by
this working copy and by a reference commit without them, alternated.

    .venv/bin/python -m bench.overhead [--base REV] [--seconds 10] [--rounds 2]

Both run `venueos serve` (2 workers, the default) from this virtual
environment on a throw-away embedded PostgreSQL; the reference commit's code
comes from `git archive`. The load is `bench/load.py`'s closed loop (8
keep-alive clients) on `GET /health/live`, which touches no database, so the
difference is the middleware's own cost (metrics into the multiprocess files,
one log line to a file). On a busy shared machine that difference drowns in
noise, so the middleware is also timed alone, in process: the same request
through `ObservabilityMiddleware` and straight to the view, 20,000 times each,
with the multiprocess metric files and the log line written to a file as
under `venueos serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from bench import load
from bench.__main__ import HOST, stop_server, wait_ready
from venueos import embedded

ROOT = Path(__file__).resolve().parent.parent


def _reference_tree(base: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", "--format=tar", base, "venueos"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _serve(code: Path, port: int, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "venueos.cli",
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
        ],
        cwd=code,
        env=env | {"PYTHONPATH": str(code)},
        start_new_session=True,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


async def _measure(port: int, seconds: float) -> load.Result:
    await load.closed_loop(  # warm-up: imports, first connections
        "warm", HOST, port, 8, 2, lambda i: ("GET", "/health/live", None, None), 200
    )
    return await load.closed_loop(
        "live",
        HOST,
        port,
        8,
        seconds,
        lambda i: ("GET", "/health/live", None, None),
        200,
    )


def in_process(calls: int = 20000) -> tuple[float, float]:
    """Microseconds per request: (view alone, view inside the middleware)."""
    import logging
    import time

    import django
    from django.test import RequestFactory
    from django.urls import resolve

    django.setup()
    logging.getLogger("venueos.request").handlers = [logging.FileHandler(os.devnull)]
    logging.getLogger("venueos.request").propagate = False
    from venueos.common.observability import ObservabilityMiddleware

    request = RequestFactory().get("/health/live")

    def view(request):
        request.resolver_match = resolve(request.path_info)
        return request.resolver_match.func(request)

    wrapped = ObservabilityMiddleware(view)
    timings = []
    for handler in (view, wrapped):
        for _ in range(1000):
            handler(request)
        best = float("inf")
        for _ in range(5):  # best of five: the least disturbed by other work
            started = time.perf_counter()
            for _ in range(calls // 5):
                handler(request)
            best = min(best, (time.perf_counter() - started) / (calls // 5))
        timings.append(best * 1e6)
    return timings[0], timings[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The last commit of main before the metrics and log middleware came in.
    parser.add_argument("--base", default="789bb67")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--in-process-only", action="store_true", help="skip the served comparison"
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("VENUEOS_BENCH_PORT", "8510"))
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="venueos-overhead-"))
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
    )
    metrics_dir = work / "metrics"
    metrics_dir.mkdir()
    # Before Django and prometheus_client load, as `venueos serve` does.
    os.environ.update(
        DATABASE_URL=server.url,
        DJANGO_SETTINGS_MODULE="venueos.settings",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    try:
        alone, wrapped = in_process()
    except BaseException:
        embedded.stop(work / "pgdata", remove=True)
        raise
    print(
        f"in process, GET /health/live: view {alone:.1f} us, with the metrics and "
        f"log middleware {wrapped:.1f} us: +{wrapped - alone:.1f} us per request"
    )
    if args.in_process_only:
        embedded.stop(work / "pgdata", remove=True)
        return 0
    codes = {
        f"before ({args.base})": _reference_tree(args.base, work / "base"),
        "after (this tree)": ROOT,
    }
    results: dict[str, list[load.Result]] = {label: [] for label in codes}
    try:
        for round_number in range(args.rounds):
            for label, code in codes.items():
                log = work / f"serve-{round_number}-{label.split()[0]}.log"
                process = _serve(code, args.port, env, log)
                try:
                    asyncio.run(wait_ready(args.port, process))
                    results[label].append(
                        asyncio.run(_measure(args.port, args.seconds))
                    )
                finally:
                    stop_server(process)
    finally:
        embedded.stop(work / "pgdata", remove=True)
    print(f"GET /health/live, 8 clients, {args.seconds:.0f} s x {args.rounds} rounds:")
    for label, runs in results.items():
        rates = [run.throughput for run in runs]
        p50 = statistics.median(run.pct(50) for run in runs)
        p95 = statistics.median(run.pct(95) for run in runs)
        errors = sum(run.errors for run in runs)
        print(
            f"  {label:22} {statistics.mean(rates):7.0f} req/s "
            f"(runs: {', '.join(f'{r:.0f}' for r in rates)})  "
            f"p50 {p50:5.2f} ms  p95 {p95:5.2f} ms  errors {errors}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
