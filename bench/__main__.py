"""`make bench` (`python -m bench [--quick|--full]`): VenueOS end to end.

1. a throw-away embedded PostgreSQL in a temp dir, migrated, filled through the
   services (bench/datagen.py, in parallel processes; the bookings in batches
   through `booking_import`, the same rules as a create) up to the first of
   the growth sizes;
2. `venueos serve` with several workers on a free port; cost vs data size:
   availability search and booking creation at low concurrency, then more
   bookings generated (same generator, later slots), measured again, up to the
   last size;
3. capacity (bench/capacity.py): the realistic mix at open-loop Poisson
   arrivals, stepping the rate up until a p95 target breaks or an error
   appears;
4. the latency scenarios and the two races (conflict storm, flash sale) over
   raw keep-alive HTTP/1.1 (bench/load.py);
5. `venueos check`;
6. PostgreSQL's own limit for the same writes over psycopg (bench/pglimit.py);
7. the browser scenario (bench/browser_flow.py): a new customer from the home
   page to a confirmed booking on a fresh demo site, in clicks and seconds;
   the check-in rush (bench/checkin_rush.py, its own database and server);
8. one table on stdout, docs/benchmarks.md and bench/results/latest.json.

Exit code 1 on a correctness breach (storm not exactly one winner, oversold or
undersold sale, any 5xx in the saturation scenarios, a capacity create
answered 201 but missing from the table or overlapping another booking,
`venueos check` not clean, a ticket admitted other than exactly once); missed
latency targets are reported only (a capacity step stops at its first 5xx).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import browser_flow, capacity
from bench.data import generate, grow
from bench.report import (
    build_rows,
    growth_table,
    headline_figures,
    ms,
    server_error_summary,
    table,
    write_report,
)
from bench.runner import (
    BIN,
    HOST,
    MODES,
    RESULTS,
    analyze,
    free_port,
    log,
    machine,
    run,
    start_server,
    stop_server,
    wait_ready,
)
from bench.scenarios import GROWTH_CONCURRENCY, World, growth_point, measure, pg_limits


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_const", dest="mode", const="quick")
    g.add_argument("--full", action="store_const", dest="mode", const="full")
    parser.set_defaults(mode="default")
    for name in ("venues", "customers", "bookings", "storm", "sale", "places"):
        parser.add_argument(f"--{name}", type=int)
    parser.add_argument("--duration", type=float, help="seconds per latency scenario")
    parser.add_argument(
        "--growth",
        help="comma-separated booking counts to measure cost at (the last is the "
        "data the scenarios run on); default: the mode's, up to --bookings",
    )
    parser.add_argument(
        "--growth-duration", type=float, help="seconds per cost-vs-size measurement"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--concurrency", type=int, default=6, help="request threads per worker"
    )
    parser.add_argument("--gen-processes", type=int, default=2)
    parser.add_argument("--pg-burst-connections", type=int, default=100)
    parser.add_argument(
        "--keep-docs", action="store_true", help="do not rewrite docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    mode = MODES[args.mode]
    if args.growth:
        args.growth = tuple(int(x) for x in args.growth.split(","))
        if args.bookings is None:
            args.bookings = args.growth[-1]
    elif args.bookings is not None:
        args.growth = tuple(n for n in mode["growth"] if n < args.bookings)
        args.growth += (args.bookings,)
    for key, value in mode.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if list(args.growth) != sorted(set(args.growth)) or args.growth[0] < 1:
        parser.error("--growth must be increasing positive counts")
    if args.growth[-1] != args.bookings:
        parser.error("the last --growth size must equal --bookings")
    if args.sale > 0 and args.places > args.sale:
        parser.error("--places must not exceed --sale")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    from venueos import embedded

    t_start = time.perf_counter()
    load_before = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="venueos-bench-"))
    data_dir = work / "pgdata"
    server = proc = None
    try:
        log(f"mode {args.mode}: embedded PostgreSQL in {data_dir}")
        server = embedded.start(data_dir, throwaway=True)
        env = dict(
            os.environ,
            DATABASE_URL=server.url,
            VENUEOS_OWNER_DATABASE_URL=server.owner_url,
            VENUEOS_FAST_PASSWORD_HASHER="1",
            VENUEOS_SECRET_KEY=secrets.token_urlsafe(50),
        )
        run([str(BIN / "venueos"), "migrate"], env, capture_output=True)
        log(
            f"generating {args.venues} venues + 1 large, {args.growth[0]} bookings, "
            f"{args.sale} buyers"
        )
        manifest = generate(args, env, work)
        log(f"generated: {manifest['generation']}")
        world = World(manifest)
        port = free_port()
        proc = start_server(args, env, port, RESULTS / "server.log")
        log(f"venueos serve on {HOST}:{port}, {args.workers} workers")
        asyncio.run(wait_ready(port, proc))
        growth = []
        for step, size in enumerate(args.growth):
            if step:
                prev = args.growth[step - 1]
                log(f"growing the data: bookings {prev}..{size - 1}")
                took = grow(args, env, manifest, prev, size)
                world.bookings = size
            else:
                took = manifest["generation"]["bookings_and_buyers_s"]
            analyze(server.owner_url)  # VACUUM and CHECKPOINT are the owner's
            log(
                f"cost at {size} bookings: availability and create "
                f"@{GROWTH_CONCURRENCY}, {args.growth_duration:g} s each"
            )
            point = asyncio.run(growth_point(args, world, port, step))
            growth.append({"bookings": size, "generated_s": took, **point})
            log(
                f"  {size}: availability p50/p95 "
                f"{ms(point['availability'].pct(50))}/"
                f"{ms(point['availability'].pct(95))} ms, create p50/p95 "
                f"{ms(point['create'].pct(50))}/{ms(point['create'].pct(95))} ms"
            )
        log(
            f"capacity: the open-loop mix from {capacity.START_RATE} req/s up "
            "(bench/capacity.py)"
        )
        cap = asyncio.run(capacity.measure(world, port, server.url, mode=args.mode))
        log(capacity.headline(cap))
        res = asyncio.run(measure(args, world, port, proc, server.url, env))
        res["capacity"] = cap
        res["checks"]["capacity_bookings_exact"] = cap["verification"]["ok"]
        res["growth"] = growth
        res["checks"]["growth_no_5xx"] = all(
            r.server_errors == 0 and not r.statuses["transport-error"]
            for g in growth
            for r in (g["availability"], g["create"])
        )
        stop_server(proc)
        proc = None
        asyncio.run(pg_limits(args, world, server.url, res))
    finally:
        stop_server(proc)
        if server is not None:
            embedded.stop(data_dir, remove=True)
        shutil.rmtree(work, ignore_errors=True)

    log("browser scenario: a new customer books from the home page (demo site)")
    res["browser_flow"] = browser_flow.for_bench()

    from bench import checkin_rush  # event day, its own server: bench/checkin_rush.py

    res["checkin_rush"] = checkin_rush.for_bench(quick=args.mode == "quick")
    res["checks"]["checkin_exactly_once"] = not res["checkin_rush"]["breaches"]

    from bench import realtime  # live stream, its own server: bench/realtime.py

    res["checks"]["realtime_all_delivered"] = (
        realtime.main(["--quick"] if args.mode == "quick" else []) == 0
    )

    gen = res["generation"] = manifest["generation"]
    gen["bookings_s"] = round(sum(st["s"] for st in gen["steps"]), 1)
    gen["bookings_per_s"] = round(gen["bookings"] / gen["bookings_s"], 1)
    res["server_exceptions"] = server_error_summary()
    res["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    timings = {"total_s": time.perf_counter() - t_start}
    mach = machine()
    mach["loadavg"] = {
        "start": [round(x, 1) for x in load_before],
        "end": [round(x, 1) for x in os.getloadavg()],
    }
    rows = build_rows(res, args)
    rows.append(browser_flow.row(res["browser_flow"]))
    rows.append(checkin_rush.row(res["checkin_rush"]))
    print()
    print("capacity (open loop, the realistic mix)")
    print(capacity.steps_table(res["capacity"]))
    print(capacity.headline(res["capacity"]))
    print()
    print(table(rows))
    print()
    print("cost vs data size")
    print(growth_table(res["growth"]))
    print()
    breaches = [k for k, ok in res["checks"].items() if not ok]
    (RESULTS / "latest.json").write_text(
        json.dumps(
            {
                "date": res["date"],
                "mode": args.mode,
                **headline_figures(res),
                "machine": mach,
                "args": vars(args),
                "generation": res["generation"],
                "timings": timings,
                "client_cpu": res["client_cpu"],
                "capacity": res["capacity"],
                "app": {k: r.summary() for k, r in res["app"].items()},
                "pg": {k: r.summary() for k, r in res["pg"].items()},
                "growth": [
                    {
                        "bookings": g["bookings"],
                        "generated_s": round(g["generated_s"], 1),
                        "availability": g["availability"].summary(),
                        "create": g["create"].summary(),
                    }
                    for g in res["growth"]
                ],
                "flash_sold_in_db": res.get("flash_sold_in_db"),
                "browser_flow": res["browser_flow"],
                "checkin_rush": res["checkin_rush"],
                "checks": res["checks"],
                "skipped": res["skipped"],
                "check_output": res["check_output"],
                "server_exceptions": res["server_exceptions"],
                "rows": rows,
                "breaches": breaches,
            },
            indent=2,
            default=str,
        )
    )
    if not args.keep_docs:
        write_report(args, res, rows, timings, mach)
    log(
        f"total {timings['total_s']:.0f} s; wrote "
        + ("" if args.keep_docs else "docs/benchmarks.md and ")
        + "bench/results/latest.json"
    )
    if breaches:
        log(f"CORRECTNESS BREACH: {', '.join(breaches)}")
        return 1
    log("correctness checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
