"""`make bench` (`python -m bench [--quick|--full]`): VenueOS end to end.

1. a throw-away embedded PostgreSQL in a temp dir, migrated, filled through the
   services (bench/datagen.py, in parallel processes; the bookings in batches
   through `booking_import`, the same rules as a create) up to the first of
   the growth sizes;
2. `venueos serve` with several workers on a free port; cost vs data size:
   availability search and booking creation at low concurrency, then more
   bookings generated (same generator, later slots), measured again, up to the
   last size;
3. the latency scenarios and the two races (conflict storm, flash sale) over
   raw keep-alive HTTP/1.1 (bench/load.py);
4. `venueos check`;
5. PostgreSQL's own limit for the same writes over psycopg (bench/pglimit.py);
6. the browser scenario (bench/browser_flow.py): a new customer from the home
   page to a confirmed booking on a fresh demo site, in clicks and seconds;
   the check-in rush (bench/checkin_rush.py, its own database and server);
7. one table on stdout, docs/benchmarks.md and bench/results/latest.json.

Exit code 1 on a correctness breach (storm not exactly one winner, oversold or
undersold sale, any 5xx, `venueos check` not clean, a ticket admitted other
than exactly once); missed latency targets are reported only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench import browser_flow, load, pglimit, plan, scheduling
from bench.datagen import leaves_of

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HISTORY_MARKER = "<!-- history: kept by make bench -->"
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


# --------------------------------------------------------------------- setup


def booking_procs(args, env, manifest_path: Path, start: int, count: int):
    """Processes generating bookings start..count-1 (sharded)."""
    shards = args.gen_processes
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.datagen",
                "bookings",
                str(manifest_path),
                "--start",
                str(start),
                "--count",
                str(count),
                "--shard",
                str(s),
                "--shards",
                str(shards),
            ],
            env=env,
            cwd=ROOT,
        )
        for s in range(shards)
    ]


def wait_all(procs) -> None:
    try:
        codes = [p.wait() for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    if any(codes):
        raise RuntimeError(f"data generation failed: exit codes {codes}")


def generate(args, env, work: Path) -> dict:
    """Venues, customers, buyers and the first growth size of bookings."""
    manifest_path = work / "manifest.json"
    buyers_path = work / "buyers.json"
    t0 = time.perf_counter()
    run(
        [
            sys.executable,
            "-m",
            "bench.datagen",
            "setup",
            str(manifest_path),
            "--venues",
            str(args.venues),
            "--customers",
            str(args.customers),
        ],
        env,
    )
    t_setup = time.perf_counter() - t0
    first = args.growth[0]
    t1 = time.perf_counter()
    procs = booking_procs(args, env, manifest_path, 0, first)
    procs.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.datagen",
                "users",
                str(manifest_path),
                "--prefix",
                "buyer",
                "--count",
                str(args.sale),
                "--out",
                str(buyers_path),
            ],
            env=env,
            cwd=ROOT,
        )
    )
    wait_all(procs)
    t_bookings = time.perf_counter() - t1
    manifest = json.loads(manifest_path.read_text())
    manifest["buyers"] = json.loads(buyers_path.read_text())
    manifest["path"] = str(manifest_path)
    spaces = sum(len(v["spaces"]) for v in manifest["venues"])
    big = [v for v in manifest["venues"] if v.get("big")]
    manifest["generation"] = {
        "venues": len(manifest["venues"]),
        "spaces": spaces,
        "big_venue_spaces": len(big[0]["spaces"]) if big else 0,
        "customers": len(manifest["customers"]),
        "buyers": len(manifest["buyers"]),
        "bookings": first,
        "processes": args.gen_processes,
        "setup_s": round(t_setup, 1),
        "bookings_and_buyers_s": round(t_bookings, 1),
        "steps": [{"from": 0, "to": first, "s": round(t_bookings, 1)}],
    }
    return manifest


def grow(args, env, manifest: dict, start: int, count: int) -> float:
    """Bookings start..count-1 on top of the existing ones; seconds taken."""
    t0 = time.perf_counter()
    wait_all(booking_procs(args, env, Path(manifest["path"]), start, count))
    took = time.perf_counter() - t0
    gen = manifest["generation"]
    gen["bookings"] = count
    gen["steps"].append({"from": start, "to": count, "s": round(took, 1)})
    return took


def analyze(db_url: str) -> None:
    """Fresh planner statistics after a bulk load (what autovacuum would do)."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def start_server(args, env, port, log_path: Path):
    env = dict(env, VENUEOS_MAX_CONCURRENCY=str(args.concurrency))
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


# ----------------------------------------------------------------- scenarios


class World:
    """What the scenarios need from the manifest."""

    def __init__(self, manifest: dict):
        self.m = manifest
        self.base = date.fromisoformat(manifest["base_date"])
        self.leaves = leaves_of(manifest)
        self.parent = {
            s["id"]: s["parent"] for v in manifest["venues"] for s in v["spaces"]
        }
        self.venue_of = {
            s["id"]: v["id"] for v in manifest["venues"] for s in v["spaces"]
        }
        self.customers = manifest["customers"]
        self.buyers = manifest["buyers"]
        self.manager = manifest["manager"]["token"]
        self.bookings = manifest["generation"]["bookings"]
        self.big = next((v for v in manifest["venues"] if v.get("big")), None)

    def avail(self, i):
        """Availability of one space over one week (the week with generated
        bookings)."""
        leaf = self.leaves[i % len(self.leaves)]
        start = plan.local(self.base, plan.GENERATED_FROM_DAY, 0, leaf["tz"])
        q = (
            f"space_id={leaf['id']}&start_time={iso(start)}"
            f"&end_time={iso(start + timedelta(days=7))}"
        )
        return (
            "GET",
            f"/api/v1/availability/search?{q}",
            None,
            self.customers[i % len(self.customers)]["token"],
        )

    def avail_venue(self, i):
        """Availability of every space of the large venue over one local day
        (one of the first week's days, which hold generated bookings)."""
        venue = self.big
        start = plan.local(self.base, plan.GENERATED_FROM_DAY + i % 7, 0, venue["tz"])
        q = (
            f"venue_id={venue['id']}&start_time={iso(start)}"
            f"&end_time={iso(start + timedelta(days=1))}"
        )
        return (
            "GET",
            f"/api/v1/availability/search?{q}",
            None,
            self.customers[i % len(self.customers)]["token"],
        )

    def ancestors(self, space_id: str) -> list[str]:
        out, p = [], self.parent[space_id]
        while p:
            out.append(p)
            p = self.parent[p]
        return out

    def pg_job(self, space_id, start, end, user):
        return {
            "space": space_id,
            "ancestors": self.ancestors(space_id),
            "venue": self.venue_of[space_id],
            "start": start,
            "end": end,
            "user": user,
        }

    def booking_body(self, space_id, start, end, title):
        return {
            "space_id": space_id,
            "start_time": start.isoformat(),
            "end_time": end.isoformat(),
            "title": title,
        }

    def taken(self, i):
        """A slot held by a pre-generated booking (spread over all of them)."""
        return plan.generated_slot((i * 7919) % self.bookings, self.leaves, self.base)


async def create_event(port, world: World, capacity: int, name: str):
    """An on-sale event via the API; None (and why) if the API is missing."""
    conn = load.Conn(HOST, port)
    try:
        venue = world.m["venues"][0]
        start = plan.local(world.base, 30, 18, venue["tz"])
        status, data = await conn.request(
            "POST",
            "/api/v1/events/",
            {
                "venue_id": venue["id"],
                "name": name,
                "start_at": start.isoformat(),
                "end_at": (start + timedelta(hours=3)).isoformat(),
                "capacity": capacity,
            },
            world.manager,
        )
        if status != 201:
            return None, f"POST /api/v1/events/ answered {status}: {data[:200]!r}"
        event_id = json.loads(data)["id"]
        for target in ("published", "on_sale"):
            status, data = await conn.request(
                "POST",
                f"/api/v1/events/{event_id}/transition/",
                {"status": target},
                world.manager,
            )
            if status != 200:
                return None, f"transition to {target} answered {status}: {data[:200]!r}"
        return event_id, None
    finally:
        conn.close()


async def scenarios(args, world: World, port: int, db_url: str) -> dict:
    out: dict = {"app": {}, "pg": {}, "skipped": {}, "checks": {}}
    app, _pg = out["app"], out["pg"]
    dur = args.duration
    C = len(world.customers)

    avail = world.avail

    probe = load.Conn(HOST, port)
    status, body = await probe.request(*avail(0))
    probe.close()
    if status == 200:
        log("availability search @50")
        app["availability"] = await load.closed_loop(
            "availability", HOST, port, 50, dur, avail, 200
        )
    else:
        out["skipped"]["availability"] = (
            f"GET /api/v1/availability/search answered {status} "
            f"(endpoint not present yet): {body[:120]!r}"
        )
        log(f"skip availability: {status}")

    if world.big is not None:
        probe = load.Conn(HOST, port)
        status, body = await probe.request(*world.avail_venue(0))
        probe.close()
        n = len(json.loads(body)) if status == 200 else 0
        if status == 200 and n >= 100:
            log(f"availability search, one venue ({n} spaces) one day @50")
            app["availability_venue"] = await load.closed_loop(
                "availability venue", HOST, port, 50, dur, world.avail_venue, 200
            )
            out["availability_venue_spaces"] = n
        else:
            out["skipped"]["availability_venue"] = (
                f"GET /api/v1/availability/search?venue_id= answered {status} "
                f"with {n} spaces: {body[:120]!r}"
            )
            log(f"skip venue-wide availability: {status}, {n} spaces")

    log("booking creation @20 (distinct free slots)")

    def create(i):
        leaf, s, e = plan.free_slot(
            i, world.leaves, world.base, plan.APP_CREATE_FROM_DAY
        )
        return (
            "POST",
            "/api/v1/bookings/",
            world.booking_body(leaf["id"], s, e, "bench"),
            world.customers[i % C]["token"],
        )

    app["create"] = await load.closed_loop("create", HOST, port, 20, dur, create, 201)

    log("conflict detection @100 (creates that lose)")

    def conflict(i):
        leaf, s, e = world.taken(i)
        return (
            "POST",
            "/api/v1/bookings/",
            world.booking_body(leaf["id"], s, e, "lose"),
            world.customers[i % C]["token"],
        )

    app["conflict"] = await load.closed_loop(
        "conflict", HOST, port, 100, dur, conflict, 409
    )

    log("user booking list @50")

    def mine(i):
        return "GET", "/api/v1/me/bookings/", None, world.customers[i % C]["token"]

    app["list"] = await load.closed_loop("list", HOST, port, 50, dur, mine, 200)

    # Conflict storm: one slot, half on a hall and half on a room inside it.
    venue = world.m["venues"][0]
    hall, room = venue["spaces"][0]["id"], venue["spaces"][1]["id"]
    assert world.parent[room] == hall
    s = plan.local(world.base, plan.STORM_DAY, 10, venue["tz"])
    e = s + timedelta(hours=1)
    log(f"conflict storm: {args.storm} simultaneous attempts (hall + room)")
    reqs = [
        (
            "POST",
            "/api/v1/bookings/",
            world.booking_body(hall if i % 2 else room, s, e, f"storm {i}"),
            world.customers[i % C]["token"],
        )
        for i in range(args.storm)
    ]
    storm = await load.burst("storm", HOST, port, reqs, 201)
    app["storm"] = storm
    out["checks"]["storm"] = (
        storm.statuses[201] == 1
        and storm.statuses[409] == args.storm - 1
        and sum(storm.statuses.values()) == args.storm
    )

    # Flash sale.
    event_id, why = await create_event(port, world, args.places, "Bench flash sale")
    if event_id is None:
        out["skipped"]["flash"] = why
        log(f"skip flash sale: {why}")
    else:
        log(f"flash sale: {args.sale} simultaneous attempts on {args.places} places")
        reqs = [
            (
                "POST",
                f"/api/v1/events/{event_id}/registrations/",
                {"quantity": 1},
                b["token"],
            )
            for b in world.buyers[: args.sale]
        ]
        flash = await load.burst("flash", HOST, port, reqs, 201)
        app["flash"] = flash
        import psycopg

        with psycopg.connect(db_url) as conn:
            sold = conn.execute(
                "SELECT tickets_sold FROM events_event WHERE id = %s", [event_id]
            ).fetchone()[0]
        out["flash_sold_in_db"] = sold
        out["checks"]["flash"] = flash.statuses[201] == args.places == sold

    out["checks"]["no_5xx"] = all(
        r.server_errors == 0 and not r.statuses["transport-error"] for r in app.values()
    )
    return out


GROWTH_CONCURRENCY = 4
GROWTH_CREATES_PER_STEP = 100_000  # free-slot indices reserved per growth step


async def growth_point(args, world: World, port: int, step: int) -> dict:
    """Per-request cost at the current data size: few clients, short runs."""
    dur = args.growth_duration
    C = len(world.customers)
    avail = await load.closed_loop(
        "growth availability",
        HOST,
        port,
        GROWTH_CONCURRENCY,
        dur,
        world.avail,
        200,
    )
    offset = step * GROWTH_CREATES_PER_STEP

    def create(i):
        leaf, s, e = plan.free_slot(
            offset + i, world.leaves, world.base, plan.GROWTH_CREATE_FROM_DAY
        )
        return (
            "POST",
            "/api/v1/bookings/",
            world.booking_body(leaf["id"], s, e, "bench growth"),
            world.customers[i % C]["token"],
        )

    create_r = await load.closed_loop(
        "growth create",
        HOST,
        port,
        GROWTH_CONCURRENCY,
        dur,
        create,
        201,
        limit=GROWTH_CREATES_PER_STEP,
    )
    return {"availability": avail, "create": create_r}


async def pg_limits(args, world: World, db_url: str, out: dict) -> None:
    pg = out["pg"]
    dur = args.duration
    C = len(world.customers)
    log("PostgreSQL limit: booking inserts @20")

    def create(i):
        leaf, s, e = plan.free_slot(
            i, world.leaves, world.base, plan.PG_CREATE_FROM_DAY
        )
        return world.pg_job(leaf["id"], s, e, world.customers[i % C]["id"])

    pg["create"] = await pglimit.closed_loop("pg create", db_url, 20, dur, create, 201)
    log("PostgreSQL limit: losing inserts @100")

    def conflict(i):
        leaf, s, e = world.taken(i)
        return world.pg_job(leaf["id"], s, e, world.customers[i % C]["id"])

    pg["conflict"] = await pglimit.closed_loop(
        "pg conflict", db_url, 100, dur, conflict, 409
    )

    venue = world.m["venues"][1 % len(world.m["venues"])]
    hall, room = venue["spaces"][0]["id"], venue["spaces"][1]["id"]
    s = plan.local(world.base, plan.STORM_DAY, 10, venue["tz"])
    jobs = [
        world.pg_job(
            hall if i % 2 else room,
            s,
            s + timedelta(hours=1),
            world.customers[i % C]["id"],
        )
        for i in range(args.storm)
    ]
    conns = min(args.storm, args.pg_burst_connections)
    log(f"PostgreSQL limit: storm of {args.storm} over {conns} connections")
    pg["storm"] = await pglimit.burst("pg storm", db_url, jobs, conns, "book")
    out["checks"]["pg_storm"] = pg["storm"].statuses[201] == 1

    if "flash" in out["app"]:
        event_id, why = out.pop("_pg_event", (None, None))
        if event_id:
            conns = min(args.sale, args.pg_burst_connections)
            log(
                f"PostgreSQL limit: {args.sale} ticket UPDATEs over {conns} connections"
            )
            pg["flash"] = await pglimit.burst(
                "pg flash", db_url, [event_id] * args.sale, conns, "sell"
            )
            out["checks"]["pg_flash"] = pg["flash"].statuses[201] == args.places
        else:
            out["skipped"]["pg_flash"] = why


# -------------------------------------------------------------------- report


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


def ms(x):
    return "—" if x is None else f"{x:.1f}"


def build_rows(res: dict, args) -> list[dict]:
    app, pg, checks = res["app"], res["pg"], res["checks"]
    rows = []

    def ratio(a, b):
        if a is None or b is None or not b.throughput:
            return "—"
        return f"{a.throughput / b.throughput:.2f} ({b.throughput:.0f}/s)"

    latency = [
        ("availability", "availability search, one space one week @50", 100),
        (
            "availability_venue",
            "availability search, one venue "
            f"({res.get('availability_venue_spaces', '≥100')} spaces) one day @50",
            100,
        ),
        ("create", "booking creation @20", 200),
        ("conflict", "conflict detection (409) @100", 50),
        ("list", "user booking list @50", 150),
    ]
    for key, label, target in latency:
        r = app.get(key)
        if r is None:
            rows.append(
                {
                    "figure": label,
                    "target": f"p95 < {target} ms",
                    "measured": "skipped: " + res["skipped"].get(key, "?")[:60],
                    "result": "SKIP",
                    "ratio": "—",
                }
            )
            continue
        p95 = r.pct(95)
        rows.append(
            {
                "figure": label,
                "target": f"p95 < {target} ms",
                "measured": (
                    f"p50 {ms(r.pct(50))} / p95 {ms(p95)} / p99 {ms(r.pct(99))} ms, "
                    f"{r.throughput:.0f} req/s, {r.errors} errors"
                ),
                "result": "pass"
                if p95 is not None and p95 < target and not r.errors
                else "MISS",
                "ratio": ratio(r, pg.get(key)),
            }
        )
    st = app["storm"]
    rows.append(
        {
            "figure": f"conflict storm: {args.storm} attempts on one slot (hall + room)",
            "target": f"1×201, {args.storm - 1}×409, 0×5xx",
            "measured": (
                f"{st.statuses[201]}×201, {st.statuses[409]}×409, "
                f"{st.server_errors}×5xx, other {_other(st, (201, 409))}, "
                f"{st.reconnects} resent; "
                f"wall {st.wall:.2f} s, p99 {ms(st.pct(99))} ms"
            ),
            "result": "pass" if checks["storm"] and not st.server_errors else "FAIL",
            "ratio": ratio(st, pg.get("storm")),
        }
    )
    fl = app.get("flash")
    if fl is None:
        rows.append(
            {
                "figure": "flash sale",
                "target": "exactly all places sold, 0×5xx",
                "measured": "skipped: " + res["skipped"].get("flash", "?")[:60],
                "result": "SKIP",
                "ratio": "—",
            }
        )
    else:
        winners_p95 = fl.pct(95, fl.winner_latencies)
        rows.append(
            {
                "figure": f"flash sale: {args.sale} attempts on {args.places} places",
                "target": f"exactly {args.places} sold, 0×5xx",
                "measured": (
                    f"{fl.statuses[201]}×201 (db: {res.get('flash_sold_in_db')} sold), "
                    f"{fl.statuses[409]}×409, {fl.server_errors}×5xx, "
                    f"other {_other(fl, (201, 409))}, {fl.reconnects} resent; "
                    f"wall {fl.wall:.2f} s, "
                    f"{len(fl.latencies) / fl.wall:.0f} attempts/s, "
                    f"{fl.statuses[201] / fl.wall:.0f} sales/s"
                ),
                "result": "pass"
                if checks.get("flash") and not fl.server_errors
                else "FAIL",
                "ratio": ratio(fl, pg.get("flash")),
            }
        )
        rows.append(
            {
                "figure": "flash sale: winners answered (design goal)",
                "target": "p95 < 500 ms, ≥ 5× pretix (≥ 385 attempts/s)",
                "measured": (
                    f"winners p50 {ms(fl.pct(50, fl.winner_latencies))} / "
                    f"p95 {ms(winners_p95)} ms"
                ),
                "result": "pass"
                if winners_p95 is not None
                and winners_p95 < 500
                and len(fl.latencies) / fl.wall >= 385
                else "MISS",
                "ratio": "—",
            }
        )
    rows.append(
        {
            "figure": "`venueos check` after the app scenarios",
            "target": "clean",
            "measured": res["check_output"].strip().splitlines()[-1][:90]
            if res["check_output"].strip()
            else "(no output)",
            "result": "pass" if checks["venueos_check"] else "FAIL",
            "ratio": "—",
        }
    )
    return rows


def server_error_summary() -> dict:
    """Distinct exception lines in the server's log (the 5xx causes)."""
    import re
    from collections import Counter

    try:
        text = (RESULTS / "server.log").read_text(errors="replace")
    except OSError:
        return {}
    pattern = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Timeout)\b: .*$", re.M)
    return dict(
        Counter(m.group(0)[:160] for m in pattern.finditer(text)).most_common(5)
    )


def _other(r, expected) -> int:
    return sum(n for s, n in r.statuses.items() if s not in expected)


def growth_table(growth: list[dict]) -> str:
    lines = [
        "| bookings | generated (step) | availability, one space one week: "
        "p50 / p95 ms | create: p50 / p95 ms | errors |",
        "|---|---|---|---|---|",
    ]
    for g in growth:
        a, c = g["availability"], g["create"]
        lines.append(
            f"| {g['bookings']:,} | {g['generated_s']:.1f} s | "
            f"{ms(a.pct(50))} / {ms(a.pct(95))} ({a.throughput:.0f} req/s) | "
            f"{ms(c.pct(50))} / {ms(c.pct(95))} ({c.throughput:.0f} req/s) | "
            f"{a.errors + c.errors} |"
        )
    return "\n".join(lines)


def table(rows) -> str:
    head = ["figure", "target", "measured", "result", "app/PostgreSQL throughput"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append(
            "| "
            + " | ".join(
                str(r[k]).replace("|", "/")
                for k in ("figure", "target", "measured", "result", "ratio")
            )
            + " |"
        )
    return "\n".join(lines)


def write_report(args, res, rows, timings, mach) -> None:
    gen = res["generation"]
    pg = res["pg"]
    pg_lines = "\n".join(
        f"| {r.name} | {r.concurrency} | {r.count} | {r.throughput:.0f}/s | "
        f"{ms(r.pct(50))} / {ms(r.pct(95))} / {ms(r.pct(99))} | "
        f"{', '.join(f'{k}×{v}' for k, v in sorted(r.statuses.items(), key=str))} |"
        for r in pg.values()
    )
    skipped = (
        "\n".join(f"- **{k}**: {v}" for k, v in res["skipped"].items()) or "- none"
    )
    cpu = res["client_cpu"]
    text = f"""# VenueOS benchmarks

Generated by `make bench{" QUICK=1" if args.mode == "quick" else ""}` (`python -m bench
--{args.mode}`); re-run it to refresh. Raw figures: `bench/results/latest.json`
(not committed).

## Machine and run

- date: {res["date"]}
- mode: {args.mode} (scenario duration {args.duration:g} s each)
- nproc: {mach["nproc"]}, memory: {mach["memory"]}, CPU: {mach["cpu"]}
- Python {mach["python"]}, kernel {mach["kernel"]}; embedded PostgreSQL 18
  (throw-away instance: fsync/synchronous_commit/full_page_writes off)
- server: `venueos serve --workers {args.workers}` (uvicorn, ASGI; a pool of
  `VENUEOS_MAX_CONCURRENCY={args.concurrency}` request threads and that many
  database connections plus 2 per worker); load client, server and PostgreSQL
  all share this machine's CPUs.
- load client: one asyncio process, raw keep-alive HTTP/1.1 over asyncio
  streams; it used {cpu["cpu_s"]:.1f} CPU-s over {cpu["wall_s"]:.1f} s of
  scenarios ({cpu["share"]:.0%} of one core), CPU the server did not get.
- total run time: {timings["total_s"]:.0f} s; load average (1/5/15 min) at the
  start {" / ".join(map(str, mach["loadavg"]["start"]))}, at the end
  {" / ".join(map(str, mach["loadavg"]["end"]))} (anything above ~0 at the start is
  other work sharing the CPUs)

## Data (generated through the services, not raw SQL)

{gen["venues"]} venues, {gen["spaces"]} spaces: {gen["venues"] - 1} venues of
{plan.HALLS_PER_VENUE} halls × {plan.ROOMS_PER_HALL} rooms × {plan.BOOTHS_PER_ROOM} booths
(three levels) and one large venue of {plan.BIG_HALLS} halls × {plan.BIG_ROOMS_PER_HALL} rooms ×
{plan.BIG_BOOTHS_PER_ROOM} booths = {gen["big_venue_spaces"]} bookable spaces (for the
venue-wide search); {gen["customers"]} customers with API tokens, {gen["buyers"]}
flash-sale buyers, {gen["bookings"]} bookings on the booths of all venues alike
(three a day per booth from day {plan.GENERATED_FROM_DAY} on), via `booking_import`
(venueos/bookings/imports.py) in {gen["processes"]} processes, in
{len(gen["steps"])} steps ({", ".join(f"{st['to']}" for st in gen["steps"])}: see
"Cost vs data size"), batches of 1000 rows: each booking checked by the same
rule code as a create (`check_booking_rules`: grid, duration, horizon, capacity,
opening hours, closures; the venue's hours and closures read once per batch), each
batch inserted in one transaction with `bulk_create` under the create's advisory
locks, the claims written by the booking trigger and overlaps refused by
PostgreSQL's exclusion constraints, one `booking.imported` audit entry per booking.
The actor is the bench venue manager booking for the customers. Venues, spaces
and users come from their create services one by one.
Setup {gen["setup_s"]} s; bookings {gen["bookings_s"]} s in all (the first step
with the buyers in parallel) = {gen["bookings_per_s"]} bookings/s.

## Results

Latency targets are from design.md §7; a miss is reported, not failing.
The last column is the app's throughput divided by PostgreSQL's own for the
same writes (in brackets), measured in the same run.

{table(rows)}

## Cost vs data size

Per-request cost as the data grows: the first size is generated, then
measured; more bookings are added by the same generator in later, free slots
(`booking_import`, bookings n..m-1 of `plan.generated_slot`), `ANALYZE` runs
(what autovacuum would do after a bulk load), and it is measured again. Each
figure: {GROWTH_CONCURRENCY} clients for {args.growth_duration:g} s, low enough that
it shows the cost of one request rather than saturation (the same server that
then runs the scenarios above). Availability: one space, one week from day {plan.GENERATED_FROM_DAY}
(the week the generated bookings fill first: at small sizes it holds fewer of
them); create: distinct free 1-hour slots. The scenarios above run on the last
size.

{growth_table(res["growth"])}

## PostgreSQL's own limit (direct psycopg, same statements)

The service's advisory-lock statement (`SELECT set_config('lock_timeout', …),
pg_advisory_xact_lock_shared(ancestor)…, pg_advisory_xact_lock(space)` in key
order) plus the `INSERT INTO bookings_booking` (claims written by its trigger),
one transaction each; and the conditional `UPDATE events_event SET tickets_sold
= tickets_sold + 1 WHERE … AND tickets_sold + 1 <= capacity`. No HTTP, Django,
rule checks or audit rows. Bursts run over at most {args.pg_burst_connections}
connections (PostgreSQL's `max_connections` is 500), not one per attempt.

| run | connections | attempts | throughput | p50 / p95 / p99 ms | outcomes |
|---|---|---|---|---|---|
{pg_lines}

## Skipped / caveats

{skipped}
- `venueos check` runs after the app scenarios and before the direct-PostgreSQL
  runs (the bare ticket UPDATE writes no registration rows, which the check would
  rightly report).
"""
    (ROOT / "docs").mkdir(exist_ok=True)
    report = ROOT / "docs" / "benchmarks.md"
    # The hand-written history below the marker (profiles, before/after) stays.
    history = ""
    if report.exists() and HISTORY_MARKER in report.read_text():
        history = report.read_text().split(HISTORY_MARKER, 1)[1]
    report.write_text(text + ("\n" + HISTORY_MARKER + history if history else ""))


# ---------------------------------------------------------------------- main


async def measure(args, world, port, proc, db_url, env) -> dict:
    await wait_ready(port, proc)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = time.perf_counter()
    res = await scenarios(args, world, port, db_url)
    res["app"].update(await scheduling.scenarios(world, port, log=log))
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter() - w0
    cpu_s = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    res["client_cpu"] = {"cpu_s": cpu_s, "wall_s": wall, "share": cpu_s / wall}
    log("venueos check")
    check = subprocess.run(
        [str(BIN / "venueos"), "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    res["check_output"] = check.stdout + check.stderr
    res["checks"]["venueos_check"] = check.returncode == 0
    if "flash" in res["app"]:
        res["_pg_event"] = await create_event(
            port, world, args.places, "Bench PG limit"
        )
    return res


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
            analyze(server.owner_url)  # ANALYZE is the owner's
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
        res = asyncio.run(measure(args, world, port, proc, server.url, env))
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
                "machine": mach,
                "args": vars(args),
                "generation": res["generation"],
                "timings": timings,
                "client_cpu": res["client_cpu"],
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
