"""procrastinate vs django-tasks' database backend (docs/adr/0006).

    .venv/bin/pip install django-tasks django-tasks-db   # the compared library
    .venv/bin/python -m bench.task_queues [--jobs 2000] [--transactions 1000]

On a throw-away embedded PostgreSQL (fsync off, so that the figures are the
statements' own cost and not the disk's):

1. enqueue cost: N transactions that insert one small row, without and with
   one job enqueued inside the same transaction (median and p95 per
   transaction, so the difference is what an enqueue adds to a booking);
2. worker throughput: M no-op jobs enqueued, then one worker of each library
   (procrastinate also at concurrency 4); jobs per second between the first
   job's start and the last job's end, as the queue tables record them, so
   the worker's start-up is not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from venueos import embedded

ROOT = Path(__file__).resolve().parent.parent


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def measure_enqueue(transactions: int) -> dict[str, tuple[float, float]]:
    from django.db import connection, transaction

    from bench.task_queue_jobs import noop_django_tasks, noop_procrastinate

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_change (id bigserial primary key, n int)"
        )

    def change(n: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_change (n) VALUES (%s)", [n])

    variants = {
        "no job (baseline)": lambda n: None,
        "procrastinate defer": lambda n: noop_procrastinate.defer(n=n),
        "django-tasks-db enqueue": lambda n: noop_django_tasks.enqueue(n=n),
    }
    results = {}
    for _ in range(2):  # the first round warms caches and prepared plans
        for label, enqueue in variants.items():
            samples = []
            for n in range(transactions):
                started = time.perf_counter()
                with transaction.atomic():
                    change(n)
                    enqueue(n)
                samples.append((time.perf_counter() - started) * 1000)
            results[label] = _percentiles(samples)
    return results


def _clear_queues() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_events")
        cursor.execute("DELETE FROM procrastinate_jobs")
        cursor.execute("DELETE FROM django_tasks_database_dbtaskresult")


def _wait_until(query: str, expected: int, limit_s: float = 300) -> None:
    from django.db import connection

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(query)
            if cursor.fetchone()[0] >= expected:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the worker did not finish {expected} jobs in {limit_s} s")


def _manage(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "bench.task_queue_settings"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def measure_worker(jobs: int, concurrency: int, library: str) -> float:
    from django.db import connection, transaction

    from bench.task_queue_jobs import noop_django_tasks, noop_procrastinate

    _clear_queues()
    with transaction.atomic():
        for n in range(jobs):
            if library == "procrastinate":
                noop_procrastinate.defer(n=n)
            else:
                noop_django_tasks.enqueue(n=n)
    if library == "procrastinate":
        worker = _manage(
            "procrastinate", "worker", f"--concurrency={concurrency}", "--wait"
        )
        done = "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'"
        span = (
            "SELECT extract(epoch FROM max(at) FILTER (WHERE type = 'succeeded')"
            " - min(at) FILTER (WHERE type = 'started')) FROM procrastinate_events"
        )
    else:
        worker = _manage("db_worker", "--interval=0.1")
        done = (
            "SELECT count(*) FROM django_tasks_database_dbtaskresult"
            " WHERE status = 'SUCCESSFUL'"
        )
        span = (
            "SELECT extract(epoch FROM max(finished_at) - min(started_at))"
            " FROM django_tasks_database_dbtaskresult"
        )
    try:
        _wait_until(done, jobs)
    finally:
        _stop(worker)
    with connection.cursor() as cursor:
        cursor.execute(span)
        seconds = float(cursor.fetchone()[0])
    return jobs / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--transactions", type=int, default=1000)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="venueos-queues-")) / "pgdata"
    server = embedded.start(
        data_dir,
        preferred_port=int(os.environ.get("VENUEOS_PG_PORT", "0")) or None,
        throwaway=True,
    )
    # Its own settings and migrations, in process: the owner's login.
    os.environ["DATABASE_URL"] = server.owner_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.task_queue_settings"
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)

        print(f"enqueue cost, {args.transactions} transactions each:")
        for label, (median, p95) in measure_enqueue(args.transactions).items():
            print(f"  {label:26} median {median:6.3f} ms   p95 {p95:6.3f} ms")
        print(f"worker throughput, {args.jobs} no-op jobs:")
        for library, concurrency in (
            ("procrastinate", 1),
            ("procrastinate", 4),
            ("django-tasks-db", 1),
        ):
            rate = measure_worker(args.jobs, concurrency, library)
            print(f"  {library:16} concurrency {concurrency}: {rate:7.0f} jobs/s")
    finally:
        from django.db import connections

        connections.close_all()
        embedded.stop(data_dir, remove=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
