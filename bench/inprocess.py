"""What each kind of request costs the application itself: CPU milliseconds per
request through Django's full WSGI stack (every middleware, authentication,
the view, rendering), in one process, with no HTTP server and no load client
in the way. Profile here before optimizing; `make bench` measures the whole
system.

    .venv/bin/python -m bench.inprocess [--requests 300] [--profile KIND]
        [--queries KIND] [KIND ...]

It starts a throw-away embedded PostgreSQL with a small bench data set (10
venues + the large one, 100 customers, 10,000 bookings, made by bench.datagen
like `make bench` does), then runs each kind `--requests` times after a
warm-up. CPU time is this process's (`time.process_time`), so PostgreSQL's
own work and other load on the machine do not count; wall time is printed
beside it for reference. `--profile KIND` adds a cProfile listing for KIND,
over requests the measured loop did not make (a warm read cache would hide
the work; avail_hot and avail_venue repeat theirs by design):
sorted by `VENUEOS_PROFILE_SORT` (default cumulative), its first
`VENUEOS_PROFILE_LINES` (40) lines, and who calls the functions matching
`VENUEOS_PROFILE_CALLERS` when that is set. `--queries KIND` prints the SQL
statements one request of KIND sends.

Kinds: live (GET /health/live), avail (one space, one week, a different
space each time: mostly cache misses), avail_hot (five spaces in turn: cache
hits), avail_venue (the 105-space venue, one day), mine (GET /me/bookings/),
create (a free slot), conflict (a taken slot, a different one each time),
sale (a registration that wins) and soldout (one refused, the event full): like
a flash sale's buyers, each of these uses a token of its own for the first time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Buyers for the sale kinds: each request of those uses a token not used before.
BUYERS = 1000


def _prepare(work: Path) -> dict:
    from venueos import embedded

    server = embedded.start(work / "pgdata", throwaway=True)
    env = dict(
        os.environ,
        DATABASE_URL=server.url,
        VENUEOS_OWNER_DATABASE_URL=server.owner_url,
        VENUEOS_FAST_PASSWORD_HASHER="1",
        VENUEOS_SECRET_KEY=secrets.token_urlsafe(50),
        # As `venueos serve` runs: connections from the pool, checked by an
        # empty query when taken (Django's health check with a pool).
        VENUEOS_DB_POOL="4",
    )
    venueos = Path(sys.executable).parent / "venueos"
    subprocess.run([str(venueos), "migrate"], env=env, check=True, capture_output=True)
    manifest = work / "manifest.json"
    buyers = work / "buyers.json"
    for args in (
        ["setup", str(manifest), "--venues", "10", "--customers", "100"],
        ["bookings", str(manifest), "--count", "10000"],
        [
            "users",
            str(manifest),
            "--prefix",
            "buyer",
            "--count",
            str(BUYERS),
            "--out",
            str(buyers),
        ],
    ):
        subprocess.run(
            [sys.executable, "-m", "bench.datagen", *args],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
    os.environ.update(env)
    return {
        **json.loads(manifest.read_text()),
        "buyers": json.loads(buyers.read_text()),
    }


def _events(manifest: dict) -> tuple[str, str]:
    """Two on-sale events: one with a place for every buyer, one sold out."""
    from datetime import timedelta

    from django.utils import timezone

    from venueos.accounts.models import User
    from venueos.events import services
    from venueos.venues.models import Venue

    manager = User.objects.get(pk=manifest["manager"]["id"])
    venue = Venue.objects.get(pk=manifest["venues"][0]["id"])
    start = timezone.now() + timedelta(days=30)
    ids = []
    for name, capacity in (("open sale", BUYERS), ("sold out", 1)):
        event = services.event_create(
            venue=venue,
            actor=manager,
            name=name,
            start_at=start,
            end_at=start + timedelta(hours=3),
            capacity=capacity,
        )
        for status in ("published", "on_sale"):
            event = services.event_transition(event=event, actor=manager, status=status)
        ids.append(str(event.id))
    services.registration_create(event=event, actor=manager)
    return ids[0], ids[1]


def _kinds(manifest: dict):
    from bench import plan
    from bench.scenarios import World

    buyers = iter(manifest.pop("buyers"))
    manifest["buyers"] = []
    open_sale, sold_out = _events(manifest)
    manifest["generation"] = {"bookings": 10_000}
    world = World(manifest)
    customers = world.customers
    serial = iter(range(10**9))

    def token(i):
        return customers[i % len(customers)]["token"]

    def create(i):
        leaf, start, end = plan.free_slot(
            next(serial), world.leaves, world.base, plan.APP_CREATE_FROM_DAY
        )
        body = world.booking_body(leaf["id"], start, end, "inprocess")
        return "POST", "/api/v1/bookings/", body, token(i)

    def conflict(i):
        leaf, start, end = world.taken(i)
        body = world.booking_body(leaf["id"], start, end, "lose")
        return "POST", "/api/v1/bookings/", body, token(i)

    return {
        "live": lambda i: ("GET", "/health/live", None, None),
        "avail": world.avail,
        "avail_hot": lambda i: world.avail(i % 5),
        "avail_venue": world.avail_venue,
        "mine": lambda i: ("GET", "/api/v1/me/bookings/", None, token(i)),
        "create": create,
        "conflict": conflict,
        "sale": lambda i: _register(open_sale, next(buyers)),
        "soldout": lambda i: _register(sold_out, next(buyers)),
    }


def _register(event_id: str, buyer: dict):
    path = f"/api/v1/events/{event_id}/registrations/"
    return "POST", path, {"quantity": 1}, buyer["token"]


def _caller():
    from django.core.handlers.wsgi import WSGIHandler

    from venueos.testing.wsgi import wsgi_caller

    return wsgi_caller(WSGIHandler())


def _print_queries(call, request) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call(*request)
    print(f"{len(captured.captured_queries)} statements:")
    for query in captured.captured_queries:
        print(f"  {query['time']}s  {' '.join(query['sql'].split())[:300]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess")
    parser.add_argument("kinds", nargs="*")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", help="a kind to profile with cProfile")
    parser.add_argument(
        "--queries", help="a kind whose SQL statements (one request) to print"
    )
    args = parser.parse_args(argv)
    from venueos import embedded

    with tempfile.TemporaryDirectory(prefix="venueos-inprocess-") as tmp:
        work = Path(tmp)
        try:
            print("preparing data (embedded PostgreSQL, bench.datagen)…", flush=True)
            manifest = _prepare(work)
            os.environ["DJANGO_SETTINGS_MODULE"] = "venueos.settings"
            import django

            django.setup()
            import logging

            logging.disable(logging.CRITICAL)
            kinds = _kinds(manifest)
            call = _caller()
            print(f"{'kind':12} {'status':18} {'CPU ms/req':>10} {'wall ms/req':>11}")
            for name in args.kinds or list(kinds):
                make = kinds[name]
                status = call(*make(0))
                for i in range(20):
                    call(*make(i))
                wall, cpu = time.perf_counter(), time.process_time()
                for i in range(args.requests):
                    call(*make(i))
                cpu = (time.process_time() - cpu) / args.requests * 1000
                wall = (time.perf_counter() - wall) / args.requests * 1000
                print(f"{name:12} {status:18} {cpu:10.2f} {wall:11.2f}", flush=True)
                if name == args.profile:
                    profile = cProfile.Profile()
                    profile.enable()
                    # Requests the measured loop did not make (for the kinds
                    # that draw a new one each time; avail_hot and avail_venue
                    # repeat by design): a warm cache would hide costs.
                    for i in range(args.requests, 2 * args.requests):
                        call(*make(i))
                    profile.disable()
                    out = io.StringIO()
                    stats = pstats.Stats(profile, stream=out)
                    stats.sort_stats(
                        os.environ.get("VENUEOS_PROFILE_SORT", "cumulative")
                    ).print_stats(int(os.environ.get("VENUEOS_PROFILE_LINES", "40")))
                    callers = os.environ.get("VENUEOS_PROFILE_CALLERS")
                    if callers:
                        stats.print_callers(callers)
                    print(out.getvalue())
                if name == args.queries:
                    _print_queries(call, make(2 * args.requests + 20))
        finally:
            from django.db import connections

            connections.close_all()
            embedded.stop(work / "pgdata", remove=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
