"""Capacity: the highest rate of the realistic mix that holds every p95
target with no error (design.md §7), found with open-loop arrivals
(bench/openloop.py).

The mix, per arrival: 60 % availability of one space over one week (space
and week drawn by Zipf: a few hot, most cold), 20 % "my bookings" of one of
the customers, 15 % creates of a free slot (201), 5 % creates of a slot a
generated booking holds (409). The rate starts low and steps up (×1.25) until
a kind's p95 reaches its target (bench/targets.py) or any error appears,
then one step halfway back. Capacity = the highest rate that held, in req/s
and as concurrent users at one request per 5 s.

Afterwards every 201 must be a booking in the table, and none of this run's
bookings may overlap another on its space or the spaces above it (one count
query each); a breach fails `make bench`.

`make bench` runs `measure()` on its data before the saturation scenarios.
Alone (prints the steps and the capacity; results in
bench/results/capacity.json):

    python -m bench.capacity --quick                 # throw-away data and server
    python -m bench.capacity --quick --data DIR      # keep the data in DIR, reuse it next time
    python -m bench.capacity --data DIR --server PORT  # a server already serving DIR's data
    python -m bench.capacity --data DIR --rates 100,100 --step 30  # fixed load, no stepping

With --data, the second and later runs skip the data generation and start a
server from the current checkout (so before/after a change compare the same
data); each run books slots no earlier run used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from bench import openloop, plan
from bench.runner import BIN, HOST, MODES, RESULTS, ROOT, iso, log
from bench.targets import P95_TARGET_MS

MIX = (("availability", 0.60), ("list", 0.20), ("create", 0.15), ("conflict", 0.05))
EXPECT = {"availability": 200, "list": 200, "create": 201, "conflict": 409}
KIND_LABEL = {
    "availability": "availability",
    "list": "my bookings",
    "create": "create",
    "conflict": "conflict (409)",
}
TARGETS = {k: P95_TARGET_MS[k] for k in EXPECT}
WEEKS = 52  # availability windows: one week each, from the first generated day on
ZIPF_S = 1.0
SECONDS_PER_USER_REQUEST = 5  # "concurrent users" = rate × this

SETTINGS = {
    # Seconds per step, longer at low rates until the rarest kind (conflicts,
    # 5 %) has `min_samples` answers (below ~20 a p95 is the maximum: one
    # hiccup fails the step), up to `longest_s`; warm-up; pause after a failed
    # step (for the server to finish what timed out).
    "quick": dict(step_s=3.0, min_samples=20, longest_s=20, warmup_s=1.0, pause_s=1.0),
    "default": dict(
        step_s=10.0, min_samples=40, longest_s=40, warmup_s=2.0, pause_s=2.0
    ),
    "full": dict(step_s=10.0, min_samples=40, longest_s=40, warmup_s=2.0, pause_s=2.0),
}
START_RATE = 50
FACTOR = 1.25


class MixRequests:
    """The request of each kind, drawn from the bench data (`World`)."""

    def __init__(self, world, rng: random.Random, first_slot: int, tag: str):
        self.world, self.rng = world, rng
        # Which spaces are hot: a fixed shuffle, so hot ones are spread over venues.
        self.spaces = list(world.leaves)
        rng.shuffle(self.spaces)
        self.space_rank = openloop.Zipf(len(self.spaces), ZIPF_S)
        self.week_rank = openloop.Zipf(WEEKS, ZIPF_S)  # near weeks are hot
        self.first_slot = self.next_slot = first_slot
        self.title = f"capacity {tag}"

    def __call__(self, kind: str) -> tuple:
        w, rng = self.world, self.rng
        token = w.customers[rng.randrange(len(w.customers))]["token"]
        if kind == "availability":
            leaf = self.spaces[self.space_rank.pick(rng)]
            day = plan.GENERATED_FROM_DAY + 7 * self.week_rank.pick(rng)
            start = plan.local(w.base, day, 0, leaf["tz"])
            q = (
                f"space_id={leaf['id']}&start_time={iso(start)}"
                f"&end_time={iso(start + timedelta(days=7))}"
            )
            return "GET", f"/api/v1/availability/search?{q}", None, token
        if kind == "list":
            return "GET", "/api/v1/me/bookings/", None, token
        if kind == "create":
            leaf, s, e = plan.free_slot(
                self.next_slot, w.leaves, w.base, plan.CAPACITY_CREATE_FROM_DAY
            )
            if s.date() >= w.base + timedelta(days=plan.PG_CREATE_FROM_DAY - 1):
                raise RuntimeError("capacity creates ran out of free slots")
            self.next_slot += 1
            return (
                "POST",
                "/api/v1/bookings/",
                w.booking_body(leaf["id"], s, e, self.title),
                token,
            )
        leaf, s, e = plan.generated_slot(rng.randrange(w.bookings), w.leaves, w.base)
        return (
            "POST",
            "/api/v1/bookings/",
            w.booking_body(leaf["id"], s, e, "capacity lose"),
            token,
        )


def step_summary(step: openloop.Step) -> dict:
    p95 = step.p95()
    return {
        "rate": step.rate,
        "duration_s": round(step.duration, 1),
        "sent": step.sent,
        "achieved_rps": round(step.sent / step.duration, 1),
        "p95_ms": {k: _r(v) for k, v in p95.items()},
        "p50_ms": {k: _r(r.pct(50)) for k, r in step.kinds.items()},
        "requests": {k: r.count for k, r in step.kinds.items()},
        "errors": step.errors,
        "errors_by_kind": {k: r.errors for k, r in step.kinds.items()},
        "statuses": {
            k: {str(s): n for s, n in sorted(r.statuses.items(), key=str)}
            for k, r in step.kinds.items()
        },
        "failed_because": openloop.verdict(p95, step.errors, TARGETS),
        "client": {
            "lag_mean_ms": round(step.lag_mean_ms, 2),
            "lag_max_ms": round(step.lag_max_ms, 1),
            "cpu_s": round(step.cpu_s, 2),
            "cpu_share": round(step.cpu_s / step.wall_s, 3) if step.wall_s else None,
            "pre_opened": step.pre_opened,
            "opened": step.opened,
            "resent": step.resent,
            "max_in_flight": step.max_in_flight,
            "behind_schedule": step.behind,
        },
    }


def _r(x):
    return None if x is None else round(x, 1)


def per_kind(steps: list[dict]) -> dict[str, float | None]:
    """Which kind limits the mix: the highest rate at which each kind held its
    own target with no error of its own. Unlike the capacity, a held step
    above a failed one counts: the stepping keeps only the mix's verdicts in
    order, and on a shared box one kind's noisy failure at a low rate would
    otherwise hide that it held higher up."""
    out = {}
    for kind in EXPECT:
        held = [
            s["rate"]
            for s in steps
            if (s["p95_ms"][kind] is None or s["p95_ms"][kind] < TARGETS[kind])
            and not s["errors_by_kind"][kind]
        ]
        out[kind] = max(held, default=None)
    return out


async def measure(
    world,
    port: int,
    db_url: str,
    *,
    mode: str = "default",
    step_s: float | None = None,
    start: float = START_RATE,
    factor: float = FACTOR,
    bisect: bool = True,
    rates: Sequence[float] | None = None,
    first_slot: int = 0,
    seed: int = 12,
) -> dict:
    """Step the rate up on the server at `port`, then check the bookings in
    the database at `db_url`. The result is JSON-ready."""
    cfg = SETTINGS[mode]
    step_s = step_s or cfg["step_s"]
    rng = random.Random(seed)
    tag = f"{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    make = MixRequests(world, rng, first_slot, tag)
    mix = openloop.Mix(MIX)
    keep = {"create": 201}
    created: list[bytes] = []
    unknown_creates = 0  # timed out or cut off: may or may not have committed

    async def one_step(rate, duration):
        nonlocal unknown_creates
        schedule = openloop.build_schedule(rate, duration, rng, mix, make)
        step = await openloop.run_step(
            HOST,
            port,
            schedule,
            rate=rate,
            duration=duration,
            expect=EXPECT,
            keep=keep,
            # Ready for the requests in flight at this rate if answers take
            # 150 ms; more are opened (and counted) when all are busy.
            pre_open=min(256, 8 + int(rate * 0.15)),
        )
        created.extend(step.kept)
        unknown_creates += sum(
            n
            for s, n in step.kinds["create"].statuses.items()
            if s in ("timeout", "transport-error")
        )
        return step

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    log(f"capacity: warm-up {cfg['warmup_s']:g} s at {start:g} req/s of the mix")
    await one_step(start, cfg["warmup_s"])
    await asyncio.sleep(cfg["pause_s"])
    stepper = (
        openloop.FixedRates(rates)
        if rates
        else openloop.Stepper(start, factor, bisect=bisect)
    )
    steps: list[dict] = []
    rarest = min(w for _, w in MIX)
    while (rate := stepper.next()) is not None:
        duration = openloop.step_duration(
            rate, step_s, rarest, cfg["min_samples"], max(step_s, cfg["longest_s"])
        )
        step = await one_step(rate, duration)
        s = step_summary(step)
        steps.append(s)
        ok = not s["failed_because"]
        stepper.record(rate, ok)
        c = s["client"]
        log(
            f"  {rate:g} req/s: "
            + ", ".join(f"{k} {_fmt(v)}" for k, v in s["p95_ms"].items())
            + f" ms p95; {s['errors']} errors; client lag {c['lag_mean_ms']:.1f} ms,"
            f" +{c['opened']} conns → "
            + ("held" if ok else "FAILED: " + "; ".join(s["failed_because"]))
        )
        if step.behind:
            log(
                f"  WARNING: the load client fell {step.lag_mean_ms:.1f} ms behind "
                "schedule on average: its own CPU shortage adds to the latencies"
            )
        if not ok:
            await asyncio.sleep(cfg["pause_s"])
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cap = openloop.capacity(stepper.steps)
    at = next((s for s in steps if s["rate"] == cap), None)
    verification = verify(db_url, make.title, created, unknown_creates)
    return {
        "mix": dict(MIX),
        "targets_p95_ms": TARGETS,
        "zipf_s": ZIPF_S,
        "weeks": WEEKS,
        "spaces": len(world.leaves),
        "customers": len(world.customers),
        "step_s": step_s,
        "start_rps": start,
        "factor": factor,
        "capacity_rps": cap,
        "capacity_users": None if cap is None else cap * SECONDS_PER_USER_REQUEST,
        "at_capacity": at,
        "per_kind_rps": per_kind(steps),
        "steps": steps,
        "slots_used": make.next_slot - make.first_slot,
        "verification": verification,
        "client_cpu_s": round(
            (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime), 1
        ),
        "loadavg": [round(x, 1) for x in os.getloadavg()],
    }


def _fmt(x) -> str:
    return "—" if x is None else f"{x:.0f}"


# This run's bookings against every active booking on the same space or a
# space above it (the run books only leaves, which have no spaces below), with
# each booking's own set-up and clean-up buffers, as `venueos check` compares.
OVERLAPS_SQL = """
WITH RECURSIVE lineage(descendant, ancestor, depth) AS (
    SELECT id, id, 0 FROM venues_space
    UNION ALL
    SELECT l.descendant, s.parent_id, l.depth + 1
    FROM lineage l JOIN venues_space s ON s.id = l.ancestor
    WHERE s.parent_id IS NOT NULL AND l.depth < 100
)
SELECT count(*)
FROM bookings_booking a
JOIN lineage l ON l.descendant = a.space_id
JOIN bookings_booking b ON b.space_id = l.ancestor
WHERE a.title = %s
  AND a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
  AND a.id <> b.id
  AND tstzrange(a.start_time - make_interval(mins => a.buffer_before_minutes),
                a.end_time + make_interval(mins => a.buffer_after_minutes), '[)')
   && tstzrange(b.start_time - make_interval(mins => b.buffer_before_minutes),
                b.end_time + make_interval(mins => b.buffer_after_minutes), '[)')
"""


def verify(db_url: str, title: str, created: list[bytes], unknown: int) -> dict:
    """Every 201 is an active booking in the table; the table holds no more of
    this run's bookings than the 201s plus the creates whose answer was lost;
    none of them overlaps another booking."""
    import psycopg

    ids = [json.loads(body)["id"] for body in created]
    with psycopg.connect(db_url) as conn:
        in_table = conn.execute(
            "SELECT count(*) FROM bookings_booking WHERE id = ANY(%s::uuid[]) "
            "AND status IN ('pending', 'confirmed')",
            [ids],
        ).fetchone()[0]
        with_title = conn.execute(
            "SELECT count(*) FROM bookings_booking WHERE title = %s", [title]
        ).fetchone()[0]
        overlaps = conn.execute(OVERLAPS_SQL, [title]).fetchone()[0]
    return {
        "created_201": len(ids),
        "distinct_ids": len(set(ids)),
        "in_table": in_table,
        "in_table_by_title": with_title,
        "answer_lost": unknown,
        "overlaps": overlaps,
        "ok": len(set(ids)) == len(ids) == in_table
        and in_table <= with_title <= in_table + unknown
        and overlaps == 0,
    }


def headline(res: dict) -> str:
    cap = res["capacity_rps"]
    lowest = min(s["rate"] for s in res["steps"])
    each = "; each kind's own target held up to: " + ", ".join(
        f"{KIND_LABEL[k]} " + (f"< {lowest:g}" if v is None else f"{v:g}")
        for k, v in res["per_kind_rps"].items()
    )
    if cap is None:
        return (
            f"capacity: no rate held every target (lowest tried {lowest:g} req/s){each}"
        )
    at = res["at_capacity"]
    return (
        f"capacity: {cap:g} req/s of the mix = {res['capacity_users']:g} concurrent "
        f"users at one request per {SECONDS_PER_USER_REQUEST} s; p95 at that rate: "
        + ", ".join(
            f"{KIND_LABEL[k]} {_fmt(v)} ms (< {TARGETS[k]})"
            for k, v in at["p95_ms"].items()
        )
        + each
    )


def steps_table(res: dict) -> str:
    kinds = list(EXPECT)
    head = (
        ["offered req/s", "seconds", "sent"]
        + [f"{KIND_LABEL[k]} p95 ms (< {TARGETS[k]})" for k in kinds]
        + ["errors", "client lag mean / max ms", "conns pre-opened + opened", "result"]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in res["steps"]:
        c = s["client"]
        result = "held" if not s["failed_because"] else "; ".join(s["failed_because"])
        if c["behind_schedule"]:
            result += " (client behind schedule)"
        lines.append(
            "| "
            + " | ".join(
                [f"{s['rate']:g}", f"{s['duration_s']:g}", str(s["sent"])]
                + [_fmt(s["p95_ms"][k]) + f" (n={s['requests'][k]})" for k in kinds]
                + [
                    str(s["errors"]),
                    f"{c['lag_mean_ms']:.1f} / {c['lag_max_ms']:.0f}",
                    f"{c['pre_opened']} + {c['opened']}",
                    result,
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def _git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return rev + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity")
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_const", dest="mode", const="quick")
    g.add_argument("--full", action="store_const", dest="mode", const="full")
    parser.set_defaults(mode="default")
    parser.add_argument(
        "--data",
        type=Path,
        help="keep the database and manifest here and reuse them on later runs",
    )
    parser.add_argument(
        "--server",
        type=int,
        metavar="PORT",
        help="measure the server already listening on this port (needs --data: "
        "the data it serves)",
    )
    parser.add_argument(
        "--http-port", type=int, help="port for the server started here"
    )
    parser.add_argument("--step", type=float, help="seconds per step")
    parser.add_argument("--start", type=float, default=START_RATE)
    parser.add_argument("--factor", type=float, default=FACTOR)
    parser.add_argument("--no-bisect", dest="bisect", action="store_false")
    parser.add_argument(
        "--rates",
        type=lambda text: [float(rate) for rate in text.split(",")],
        help="run these rates (req/s, comma-separated) in turn instead of "
        "stepping up: to compare two versions at one load (with --step)",
    )
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--gen-processes", type=int, default=2)
    args = parser.parse_args(argv)
    if args.server and not args.data:
        parser.error("--server needs --data (the manifest of the data it serves)")

    from bench.data import generate
    from bench.runner import free_port, run, start_server, stop_server, wait_ready
    from bench.scenarios import World
    from venueos import embedded

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    t0 = time.perf_counter()
    load_before = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    keep = args.data is not None
    work = (
        args.data.resolve() if keep else Path(tempfile.mkdtemp(prefix="venueos-cap-"))
    )
    work.mkdir(parents=True, exist_ok=True)
    state_path = work / "capacity_state.json"
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    reuse = bool(state.get("generated"))
    if not reuse and (work / "manifest.json").exists():
        parser.error(f"{work} holds an unfinished data generation: remove it")
    if args.server and not reuse:
        parser.error(f"{work} holds no bench data yet: run once without --server")
    data_dir = work / "pgdata"
    pg = proc = None
    try:
        pg_port = os.environ.get("VENUEOS_PG_PORT")
        pg = embedded.start(
            data_dir, throwaway=True, preferred_port=int(pg_port) if pg_port else None
        )
        state.setdefault("secret_key", secrets.token_urlsafe(50))
        env = dict(
            os.environ,
            DATABASE_URL=pg.url,
            VENUEOS_OWNER_DATABASE_URL=pg.owner_url,
            VENUEOS_FAST_PASSWORD_HASHER="1",
            VENUEOS_SECRET_KEY=state["secret_key"],
        )
        # A later checkout may bring migrations: the reused data gets them too.
        run([str(BIN / "venueos"), "migrate"], env, capture_output=True)
        if reuse:
            manifest = json.loads((work / "manifest.json").read_text())
            log(
                f"reusing the data in {work}: {manifest['generation']['bookings']} bookings"
            )
        else:
            sizes = MODES[args.mode]
            gen_args = SimpleNamespace(
                venues=sizes["venues"],
                customers=sizes["customers"],
                growth=(sizes["bookings"],),
                sale=0,
                gen_processes=args.gen_processes,
            )
            log(
                f"generating {gen_args.venues} venues + 1 large, "
                f"{gen_args.customers} customers, {sizes['bookings']} bookings"
            )
            manifest = generate(gen_args, env, work)
            (work / "manifest.json").write_text(json.dumps(manifest))
            from bench.runner import analyze

            analyze(pg.owner_url)
            log(f"generated: {manifest['generation']}")
            state["generated"] = True
        state_path.write_text(json.dumps(state))
        world = World(manifest)
        if args.server:
            port = args.server
        else:
            port = args.http_port or free_port()
            proc = start_server(args, env, port, RESULTS / "capacity-server.log")
            log(f"venueos serve on {HOST}:{port}, {args.workers} workers")
            asyncio.run(wait_ready(port, proc))
        res = asyncio.run(
            measure(
                world,
                port,
                pg.url,
                mode=args.mode,
                step_s=args.step,
                start=args.start,
                factor=args.factor,
                bisect=args.bisect,
                rates=args.rates,
                first_slot=state.get("next_slot", 0),
                seed=args.seed,
            )
        )
        state["next_slot"] = state.get("next_slot", 0) + res["slots_used"]
        state_path.write_text(json.dumps(state))
    finally:
        stop_server(proc)
        if pg is not None and not args.server:
            embedded.stop(data_dir, remove=not keep)
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    res.update(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        mode=args.mode,
        revision=_git_revision(),
        bookings=world.bookings,
        total_s=round(time.perf_counter() - t0, 1),
        loadavg_start=[round(x, 1) for x in load_before],
    )
    (RESULTS / "capacity.json").write_text(json.dumps(res, indent=2, default=str))
    print()
    print(steps_table(res))
    print()
    print(headline(res))
    log(
        f"revision {res['revision']}; load average at start "
        f"{' / '.join(map(str, res['loadavg_start']))}, at end "
        f"{' / '.join(map(str, res['loadavg']))} (2 cores: anything else running "
        f"shares them); client CPU {res['client_cpu_s']} s; total {res['total_s']:.0f} s;"
        " wrote bench/results/capacity.json"
    )
    if not res["verification"]["ok"]:
        log(f"CORRECTNESS BREACH: capacity bookings {res['verification']}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
