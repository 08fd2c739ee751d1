"""What `make bench` measures over HTTP and straight over psycopg: the
latency scenarios, the conflict storm and the flash sale, cost vs data size,
and PostgreSQL's own limit for the same writes."""

from __future__ import annotations

import json
import resource
import subprocess
import time
from datetime import date, timedelta

from bench import load, pglimit, plan, scheduling
from bench.datagen import leaves_of
from bench.runner import BIN, HOST, ROOT, iso, log, wait_ready


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
