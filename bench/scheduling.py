"""Scheduling figures: the utilization report and recurring series.

- `report_utilization`: `GET /reports/utilization/` of the large venue (105
  spaces) over 30 local days that hold generated bookings, as its manager,
  one request at a time (goal: under 200 ms).
- `series_200`: `POST /bookings/series/` of 200 daily occurrences in one
  request, each series on another booth of the large venue in a region no
  other scenario books (`plan.SERIES_FROM_DAY`), one at a time.

`make bench` runs `scenarios()` after its own scenarios (the results land in
`bench/results/latest.json` under `app`). Alone, on data made exactly as
`make bench` makes it: `python -m bench.scheduling [--quick] [--bookings N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from bench import load, plan

HOST = "127.0.0.1"
REPORT_DAYS = 30
REPORT_REQUESTS = 30
SERIES_RUNS = 5
SERIES_OCCURRENCES = 200


def _report_request(world):
    venue = world.big
    first = world.base + timedelta(days=plan.GENERATED_FROM_DAY)
    query = (
        f"venue_id={venue['id']}&start_date={first.isoformat()}"
        f"&end_date={(first + timedelta(days=REPORT_DAYS - 1)).isoformat()}"
    )

    def request(i):
        return ("GET", f"/api/v1/reports/utilization/?{query}", None, world.manager)

    return request


def _series_request(world):
    venue = world.big
    booths = [space for space in venue["spaces"] if space["depth"] == 2]

    def request(i):
        start = plan.local(world.base, plan.SERIES_FROM_DAY, 7, venue["tz"])
        body = {
            "space_id": booths[i % len(booths)]["id"],
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(hours=1)).isoformat(),
            "title": f"bench series {i}",
            "recurrence": {"freq": "daily", "count": SERIES_OCCURRENCES},
        }
        token = world.customers[i % len(world.customers)]["token"]
        return ("POST", "/api/v1/bookings/series/", body, token)

    return request


def _ms(value) -> str:
    return "-" if value is None else f"{value:.0f}"


async def scenarios(world, port: int, log=print) -> dict[str, load.Result]:
    """The two measurements; an empty dict when the manifest has no large venue."""
    if world.big is None:
        return {}
    out = {}
    log(
        f"utilization report, {len(world.big['spaces'])} spaces x {REPORT_DAYS} days @1"
    )
    out["report_utilization"] = await load.closed_loop(
        "report utilization",
        HOST,
        port,
        1,
        60.0,
        _report_request(world),
        200,
        limit=REPORT_REQUESTS,
    )
    log(f"recurring series of {SERIES_OCCURRENCES} occurrences @1")
    out["series_200"] = await load.closed_loop(
        "series of 200",
        HOST,
        port,
        1,
        120.0,
        _series_request(world),
        201,
        limit=SERIES_RUNS,
    )
    for result in out.values():
        log(
            f"  {result.name}: {result.count} requests, p50 {_ms(result.pct(50))} ms, "
            f"p95 {_ms(result.pct(95))} ms, max {_ms(result.pct(100))} ms, "
            f"errors {result.errors} {dict(result.statuses)}"
        )
    return out


def main(argv=None) -> int:
    from bench import __main__ as bench

    parser = argparse.ArgumentParser(prog="python -m bench.scheduling")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--bookings", type=int)
    parser.add_argument("--port", type=int, default=8700, help="for venueos serve")
    options = parser.parse_args(argv)
    mode = bench.MODES["quick" if options.quick else "default"]
    bookings = options.bookings or mode["bookings"]
    args = argparse.Namespace(
        venues=mode["venues"],
        customers=mode["customers"],
        growth=(bookings,),
        sale=1,
        gen_processes=2,
        workers=2,
        concurrency=6,
    )
    from venueos import embedded

    work = Path(tempfile.mkdtemp(prefix="venueos-bench-scheduling-"))
    data_dir = work / "pgdata"
    server = proc = None
    try:
        preferred = os.environ.get("VENUEOS_PG_PORT")
        server = embedded.start(
            data_dir,
            preferred_port=int(preferred) if preferred else None,
            throwaway=True,
        )
        env = dict(
            os.environ,
            DATABASE_URL=server.url,
            VENUEOS_OWNER_DATABASE_URL=server.owner_url,
            VENUEOS_FAST_PASSWORD_HASHER="1",
        )
        bench.run([str(bench.BIN / "venueos"), "migrate"], env, capture_output=True)
        bench.log(f"generating {args.venues} venues + 1 large, {bookings} bookings")
        manifest = bench.generate(args, env, work)
        bench.analyze(server.owner_url)
        world = bench.World(manifest)
        port = options.port
        proc = bench.start_server(args, env, port, work / "server.log")
        asyncio.run(bench.wait_ready(port, proc))
        asyncio.run(scenarios(world, port, log=bench.log))
    finally:
        bench.stop_server(proc)
        if server is not None:
            embedded.stop(data_dir, remove=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
