"""Check-in rush: the doors open and every ticket is scanned at once.

    .venv/bin/python -m bench.checkin_rush [--registrations 2000] [--gates 4]
        [--scanners 40] [--duplicates 0.1] [--port PORT]

On its own it starts a throw-away embedded PostgreSQL and `venueos serve`
(2 workers), makes an event whose doors are open with `--registrations`
tickets and `--gates` gates through the services, then `--scanners`
concurrent scanners (one keep-alive connection each, bench/load.py) post every
code to `POST /api/v1/events/{id}/check-ins/`, rotating over the gates. A
share `--duplicates` of the codes is scanned a second time at another gate:
half of those right after the first scan (two gates at the same instant),
half later in the rush.

Correct means: every registration admitted exactly once (201, and exactly one
row per registration in events_checkin), every second scan a 409
`already-checked-in`, nothing else. Exit code 1 otherwise. Reported: scans/s
and p50/p95/p99 per scan (all, admitted, duplicates).

`scenario(...)` runs the same against a server and database that are already
up (the full `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import load
from bench.runner import BIN, HOST, ROOT, free_port, wait_ready

PASSWORD = "bench-Pa55word-long"


# ------------------------------------------------------------------ the data


def setup(out: Path, registrations: int, gates: int) -> None:
    """In a subprocess with DATABASE_URL set: the manager, the venue, its
    gates, the event (doors open) and its tickets, all through the services."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "venueos.settings")
    os.environ.setdefault("VENUEOS_FAST_PASSWORD_HASHER", "1")
    import django

    django.setup()
    from datetime import timedelta

    from django.utils import timezone

    from venueos.accounts import services as accounts
    from venueos.accounts.models import Role
    from venueos.events import services as events
    from venueos.venues import gates as venue_gates
    from venueos.venues import services as venues

    stamp = int(time.time())
    org = accounts.organization_get_or_create(actor=None, slug=f"rush-{stamp}")
    manager = accounts.user_create(
        actor=None,
        email=f"rush-manager-{stamp}@bench.example",
        password=PASSWORD,
        full_name="Rush Manager",
        role=Role.MANAGER,
        organization=org,
    )
    _, token = accounts.token_create(
        email=manager.email, password=PASSWORD, name="rush"
    )
    venue = venues.venue_create(
        organization=org,
        actor=manager,
        name=f"Rush Arena {stamp}",
        timezone="Europe/Berlin",
        max_capacity=100_000,
    )
    gate_ids = [
        str(venue_gates.gate_create(venue=venue, actor=manager, name=f"Gate {n}").id)
        for n in range(1, gates + 1)
    ]
    start = timezone.now() + timedelta(minutes=60)
    event = events.event_create(
        venue=venue,
        actor=manager,
        name="Rush Night",
        start_at=start,
        end_at=start + timedelta(hours=4),
        capacity=registrations * 2,
    )
    for status in ("published", "on_sale"):
        event = events.event_transition(event=event, actor=manager, status=status)
    codes = []
    for n in range(registrations):
        attendee = accounts.user_create(
            actor=None,
            email=f"rush-{stamp}-{n}@bench.example",
            password=PASSWORD,
            full_name=f"Fan {n}",
        )
        registration = events.registration_create(
            event=event, actor=attendee, quantity=1 + n % 2
        )
        codes.append(registration.code)
    out.write_text(
        json.dumps(
            {
                "event_id": str(event.id),
                "token": token,
                "gates": gate_ids,
                "codes": codes,
            }
        )
    )


def make_data(env: dict, workdir: Path, registrations: int, gates: int) -> dict:
    out = workdir / "checkin-rush.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.checkin_rush",
            "setup",
            "--out",
            str(out),
            "--registrations",
            str(registrations),
            "--gates",
            str(gates),
        ],
        env=env,
        cwd=ROOT,
        check=True,
    )
    return json.loads(out.read_text())


# ------------------------------------------------------------------ the rush


def plan_scans(data: dict, duplicates: float, seed: int = 16) -> list[tuple]:
    """(code, gate, is_second_scan) in the order scanners take them."""
    rng = random.Random(seed)
    gates, codes = data["gates"], list(data["codes"])
    rng.shuffle(codes)
    twice = set(rng.sample(range(len(codes)), int(len(codes) * duplicates)))
    scans: list[tuple] = []
    later: list[tuple] = []
    for index, code in enumerate(codes):
        gate = gates[index % len(gates)]
        scans.append((code, gate, False))
        if index in twice:
            other = gates[(index + 1 + rng.randrange(len(gates) - 1)) % len(gates)]
            # Half at the same instant (the next scanner), half later on.
            (scans if len(later) * 2 >= len(twice) else later).append(
                (code, other, True)
            )
    for scan in later:
        scans.insert(rng.randrange(len(scans) // 2, len(scans) + 1), scan)
    return scans


async def rush(host: str, port: int, data: dict, scans: list, scanners: int) -> dict:
    path = f"/api/v1/events/{data['event_id']}/check-ins/"
    queue = iter(scans)
    results: list[tuple] = []
    conns = [load.Conn(host, port) for _ in range(scanners)]
    await asyncio.gather(*(conn.open() for conn in conns))

    async def scanner(conn: load.Conn) -> None:
        for code, gate, second in queue:
            begin = time.perf_counter()
            try:
                status, body = await conn.request(
                    "POST", path, {"code": code, "gate_id": gate}, data["token"]
                )
                slug = json.loads(body).get("type", "").rsplit("/", 1)[-1]
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status, slug = "transport-error", ""
            results.append((code, second, status, slug, time.perf_counter() - begin))

    started = time.perf_counter()
    await asyncio.gather(*(scanner(conn) for conn in conns))
    wall = time.perf_counter() - started
    for conn in conns:
        conn.close()
    return {"results": results, "wall": wall}


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    rank = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return round(values[rank] * 1000, 1)


def verify(db_url: str, data: dict, outcome: dict) -> dict:
    """Exactly once, from the answers and from the table."""
    import psycopg

    results = outcome["results"]
    statuses = Counter(status for _, _, status, _, _ in results)
    first = [r for r in results if not r[1]]
    second = [r for r in results if r[1]]
    admitted = Counter(code for code, _, status, _, _ in results if status == 201)
    with psycopg.connect(db_url) as conn:
        rows, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT registration_id) FROM events_checkin "
            "WHERE event_id = %s",
            [data["event_id"]],
        ).fetchone()
    codes = len(data["codes"])
    breaches = []
    if rows != codes or distinct != codes:
        breaches.append(f"{rows} check-in rows for {codes} registrations")
    if set(admitted) != set(data["codes"]) or max(admitted.values(), default=0) != 1:
        breaches.append("not every code admitted exactly once over the API")
    if sum(1 for r in results if r[2] == 409 and r[3] == "already-checked-in") != len(
        second
    ):
        breaches.append("duplicates not all answered 409 already-checked-in")
    if statuses[201] + statuses[409] != len(results):
        breaches.append(f"unexpected answers: {dict(statuses)}")
    latencies = [r[4] for r in results]
    return {
        "registrations": codes,
        "scans": len(results),
        "duplicates": len(second),
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
        "checkin_rows": rows,
        "wall_s": round(outcome["wall"], 2),
        "scans_per_s": round(len(results) / outcome["wall"], 1),
        "p50_ms": _pct(latencies, 50),
        "p95_ms": _pct(latencies, 95),
        "p99_ms": _pct(latencies, 99),
        "admitted_p95_ms": _pct([r[4] for r in first if r[2] == 201], 95),
        "duplicate_p95_ms": _pct([r[4] for r in second], 95),
        "breaches": breaches,
    }


async def scenario(
    host: str,
    port: int,
    env: dict,
    db_url: str,
    workdir: Path,
    *,
    registrations: int = 2000,
    gates: int = 4,
    scanners: int = 40,
    duplicates: float = 0.1,
) -> dict:
    """The rush against a running server and its database."""
    data = make_data(env, workdir, registrations, gates)
    scans = plan_scans(data, duplicates)
    outcome = await rush(host, port, data, scans, scanners)
    return verify(db_url, data, outcome) | {"gates": gates, "scanners": scanners}


# ------------------------------------------------------------------ on its own


def run(
    *,
    registrations: int = 2000,
    gates: int = 4,
    scanners: int = 40,
    duplicates: float = 0.1,
    workers: int = 2,
    port: int = 0,
) -> dict:
    """The rush on a throw-away embedded PostgreSQL and its own `venueos serve`."""
    from venueos import embedded

    workdir = Path(tempfile.mkdtemp(prefix="venueos-rush-"))
    preferred = os.environ.get("VENUEOS_PG_PORT")
    server = embedded.start(
        workdir / "pgdata",
        throwaway=True,
        preferred_port=int(preferred) if preferred else None,
    )
    env = dict(
        os.environ,
        DATABASE_URL=server.url,
        VENUEOS_OWNER_DATABASE_URL=server.owner_url,
        VENUEOS_FAST_PASSWORD_HASHER="1",
        # `venueos serve` refuses the built-in key.
        VENUEOS_SECRET_KEY=secrets.token_urlsafe(50),
    )
    proc = None
    try:
        subprocess.run(
            [str(BIN / "venueos"), "migrate"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        port = port or free_port()
        proc = subprocess.Popen(
            [
                str(BIN / "venueos"),
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=open(workdir / "server.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        asyncio.run(wait_ready(port, proc))
        return asyncio.run(
            scenario(
                HOST,
                port,
                env,
                server.url,
                workdir,
                registrations=registrations,
                gates=gates,
                scanners=scanners,
                duplicates=duplicates,
            )
        )
    finally:
        if proc is not None and proc.poll() is None:
            import signal

            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        embedded.stop(workdir / "pgdata", remove=True)


def summary(report: dict) -> str:
    return (
        f"check-in rush: {report['registrations']} tickets, {report['scans']} scans "
        f"({report['duplicates']} second scans) at {report['gates']} gates by "
        f"{report['scanners']} scanners: {report['scans_per_s']} scans/s, "
        f"p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, "
        f"p99 {report['p99_ms']} ms; {report['checkin_rows']} admitted"
    )


def for_bench(*, quick: bool = False) -> dict:
    """What `make bench` runs (QUICK: 500 tickets, 20 scanners)."""
    if quick:
        return run(registrations=500, scanners=20)
    return run()


def row(report: dict) -> dict:
    """The line in `make bench`'s table."""
    statuses = report["statuses"]
    return {
        "figure": f"check-in rush: {report['registrations']} tickets, "
        f"{report['gates']} gates, {report['scanners']} scanners, "
        f"{report['duplicates']} scanned twice",
        "target": "each admitted once, every second scan 409",
        "measured": f"{statuses.get('201', 0)}×201, {statuses.get('409', 0)}×409 "
        f"(db: {report['checkin_rows']} admitted); {report['scans_per_s']} scans/s, "
        f"p50 {report['p50_ms']} / p95 {report['p95_ms']} / p99 "
        f"{report['p99_ms']} ms",
        "result": "FAIL" if report["breaches"] else "pass",
        "ratio": "—",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.checkin_rush")
    sub = parser.add_subparsers(dest="command")
    setup_parser = sub.add_parser("setup", help="(internal) make the data")
    setup_parser.add_argument("--out", type=Path, required=True)
    setup_parser.add_argument("--registrations", type=int, default=2000)
    setup_parser.add_argument("--gates", type=int, default=4)
    parser.add_argument("--registrations", type=int, default=2000)
    parser.add_argument("--gates", type=int, default=4)
    parser.add_argument("--scanners", type=int, default=40)
    parser.add_argument("--duplicates", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    args = parser.parse_args(argv)
    if args.command == "setup":
        setup(args.out, args.registrations, args.gates)
        return 0
    if args.gates < 2:
        parser.error("--gates: at least 2 (second scans happen at another gate)")
    report = run(
        registrations=args.registrations,
        gates=args.gates,
        scanners=args.scanners,
        duplicates=args.duplicates,
        workers=args.workers,
        port=args.port,
    )
    print(json.dumps(report, indent=2))
    print(summary(report))
    if report["breaches"]:
        print("CORRECTNESS BREACH: " + "; ".join(report["breaches"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
