"""Scale-out on one box: two `venueos serve` and a `venueos worker` on one
PostgreSQL, behind nginx, and the 1,000-attempt conflict storm through it.

    make scaleout            # or: .venv/bin/python -m bench.scaleout [--storm 1000]

Needs nginx (Debian: `apt-get install -y nginx`; only the binary is used, with
a configuration generated here, in a temporary folder, on 127.0.0.1). Ports:
the balancer on `--port` (8500), the servers on the next two. A throw-away
embedded PostgreSQL holds the demo data.

Checks, exit code 1 if any fails:
- the storm (half the attempts on Room 101, half on the floor that contains
  it, one slot) has exactly one 201, every other answer is a 409, no 5xx;
- both servers answered part of the storm (their own /metrics say how many);
- the table holds exactly one active booking in that slot, `venueos check` is
  clean, and the winner's confirmation e-mail was sent by the worker;
- a change made through one server reaches a server-sent event stream held
  open on the other (when the real-time stream is present).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import load
from bench.__main__ import HOST, stop_server, wait_ready
from venueos import embedded

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

NGINX_CONF = """\
worker_processes 1;
worker_rlimit_nofile 16384;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log {work}/nginx-access.log;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    upstream venueos {{
{servers}
        keepalive 64;
    }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://venueos;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Server-sent events: pass each event on at once, keep the stream.
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


def nginx_config(work: Path, port: int, upstreams: list[int]) -> Path:
    servers = "\n".join(f"        server {HOST}:{p};" for p in upstreams)
    path = work / "nginx.conf"
    path.write_text(NGINX_CONF.format(work=work, host=HOST, port=port, servers=servers))
    return path


def log(message: str) -> None:
    print(f"[scaleout] {message}", flush=True)


def _venueos(*args: str, env: dict, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "venueos"), *args],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        **kwargs,
    )


def _next_weekday(weekday: int, at_least_days: int) -> date:
    day = date.today() + timedelta(days=at_least_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


async def _json(port: int, method: str, path: str, body=None, token=None):
    conn = load.Conn(HOST, port)
    try:
        status, payload = await conn.request(method, path, body, token)
    finally:
        conn.close()
    return status, json.loads(payload) if payload else None


async def _requests_on(port: int) -> float:
    """POST /api/v1/bookings/ answered by one server, from its own /metrics."""
    conn = load.Conn(HOST, port)
    try:
        _, payload = await conn.request("GET", "/metrics")
    finally:
        conn.close()
    total = 0.0
    for line in payload.decode().splitlines():
        if line.startswith("venueos_http_requests_total{") and (
            'method="POST",route="/api/v1/bookings/"' in line
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def cross_server_message(port_a: int, port_b: int, venue_id: str, body, token):
    """Hold the booker's stream open on server A, book through server B, wait
    for that booking's `booking.created` on A (the booker sees their own
    bookings' messages). None when this build has no stream endpoint."""
    reader, writer = await asyncio.open_connection(HOST, port_a)
    writer.write(
        (
            f"GET /api/v1/stream/?venue_id={venue_id} HTTP/1.1\r\n"
            f"Host: {HOST}:{port_a}\r\nAccept: text/event-stream\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    status_line = await asyncio.wait_for(reader.readline(), 10)
    if b" 200 " not in status_line:
        writer.close()
        return None
    await asyncio.sleep(1)  # the stream's LISTEN is in place
    started = time.perf_counter()
    status, created = await _json(port_b, "POST", "/api/v1/bookings/", body, token)
    assert status == 201, (status, created)
    deadline = time.monotonic() + 10
    seen = b""
    while time.monotonic() < deadline:
        try:
            chunk = await asyncio.wait_for(reader.read(65536), 1)
        except TimeoutError:
            continue
        if not chunk:
            break
        seen += chunk
        if created["id"].encode() in seen:
            writer.close()
            return time.perf_counter() - started
    writer.close()
    return False


async def scenario(args, env: dict, mail_dir: Path) -> dict:
    lb = args.port
    status, token = await _json(
        lb,
        "POST",
        "/api/v1/auth/tokens/",
        {"email": "customer@demo.venueos.dev", "password": "venueos-customer-2026"},
    )
    assert status == 201, token
    token = token["token"]
    _, venues = await _json(lb, "GET", "/api/v1/venues/")
    venue = next(v for v in venues["results"] if v["name"].startswith("Berlin"))
    _, spaces = await _json(lb, "GET", f"/api/v1/venues/{venue['id']}/spaces/")
    spaces = spaces["results"] if isinstance(spaces, dict) else spaces
    by_id = {s["id"]: s for s in spaces}
    room = next(s for s in spaces if s["name"] == "Room 101")
    parent = by_id[room["parent_id"]]
    zone = ZoneInfo(venue["timezone"])
    day = _next_weekday(2, 14)  # a Wednesday: the demo venue is open 08-20
    start = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
    end = start + timedelta(hours=1)

    def body(space, title):
        return {
            "space_id": space["id"],
            "start_time": start.isoformat(),
            "end_time": end.isoformat(),
            "title": title,
        }

    log(
        f"storm: {args.storm} simultaneous attempts through nginx on one slot "
        f"({room['name']} and {parent['name']}, which contains it)"
    )
    requests = [
        (
            "POST",
            "/api/v1/bookings/",
            body(parent if i % 2 else room, f"storm {i}"),
            token,
        )
        for i in range(args.storm)
    ]
    storm = await load.burst("storm", HOST, lb, requests, 201)
    per_server = [await _requests_on(p) for p in args.upstreams]
    results = {
        "storm": storm.summary(),
        "per_server_posts": dict(
            zip(map(str, args.upstreams), per_server, strict=True)
        ),
    }
    log(f"storm answers: {dict(storm.statuses)} in {storm.wall:.2f} s")
    log(f"answered per server: {results['per_server_posts']}")

    # The worker sends the winner's confirmation (and the demo data's own).
    def storm_mails() -> int:
        return sum(
            b"Subject: Booking confirmed: storm " in path.read_bytes()
            for path in mail_dir.glob("*.eml")
        )

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not storm_mails():
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)  # room for a duplicate, were there one
    results["mails"] = storm_mails()

    later = datetime(day.year, day.month, day.day, 14, tzinfo=zone)
    crossing = await cross_server_message(
        args.upstreams[0],
        args.upstreams[1],
        venue["id"],
        {
            "space_id": room["id"],
            "start_time": later.isoformat(),
            "end_time": (later + timedelta(hours=1)).isoformat(),
            "title": "Crossing servers",
        },
        token,
    )
    results["cross_server_seconds"] = crossing
    if crossing is None:
        log("real-time stream: not in this build, skipped")
    else:
        log(f"real-time message across servers: {crossing}")

    results["checks"] = {
        "one_winner": storm.statuses[201] == 1
        and storm.statuses[409] == args.storm - 1
        and storm.server_errors == 0,
        "both_servers_answered": all(count > 0 for count in per_server),
        "one_confirmation_mail": results["mails"] == 1,
        "cross_server_stream": crossing is None or bool(crossing),
    }
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storm", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8500)
    parser.add_argument("--workers", type=int, default=1, help="per server")
    args = parser.parse_args(argv)
    args.upstreams = [args.port + 1, args.port + 2]
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        print("nginx is needed: apt-get install -y nginx", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="venueos-scaleout-"))
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / folder).mkdir()
    work.chmod(0o755)
    db = embedded.start(
        work / "pgdata",
        preferred_port=int(os.environ.get("VENUEOS_PG_PORT", "0")) or None,
        throwaway=True,
    )
    env = dict(
        os.environ,
        DATABASE_URL=db.url,
        VENUEOS_OWNER_DATABASE_URL=db.owner_url,
        VENUEOS_HOME=str(work / "home"),
        VENUEOS_SERVER_LOG_LEVEL="warning",
        # The storm sends --storm creates with one token at once.
        VENUEOS_THROTTLE_BOOKINGS="",
    )
    env.pop("VENUEOS_SMTP_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    processes: list[subprocess.Popen] = []
    ok = False
    try:
        subprocess.run(
            [str(BIN / "venueos"), "demo"], env=env, check=True, capture_output=True
        )
        for port in args.upstreams:
            log_file = (work / f"serve-{port}.log").open("w")
            processes.append(
                _venueos(
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                    env=env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
            )
        processes.append(
            _venueos(
                "worker",
                env=env,
                stdout=(work / "worker.log").open("w"),
                stderr=subprocess.STDOUT,
            )
        )
        conf = nginx_config(work, args.port, args.upstreams)
        processes.append(
            subprocess.Popen(
                [nginx, "-c", str(conf), "-p", str(work), "-g", "daemon off;"],
                start_new_session=True,
            )
        )
        for port, process in zip(args.upstreams, processes, strict=False):
            asyncio.run(wait_ready(port, process))
        asyncio.run(wait_ready(args.port, processes[-1]))
        log(f"nginx on {HOST}:{args.port} -> servers on {args.upstreams}, one worker")
        results = asyncio.run(scenario(args, env, work / "home" / "mail"))
        check = subprocess.run(
            [str(BIN / "venueos"), "check"], env=env, capture_output=True, text=True
        )
        results["checks"]["venueos_check"] = check.returncode == 0
        for name, passed in results["checks"].items():
            log(f"{'PASS' if passed else 'FAIL'} {name}")
        ok = all(results["checks"].values())
        (work / "results.json").write_text(json.dumps(results, indent=2, default=str))
        log(f"details: {work / 'results.json'}")
    finally:
        for process in reversed(processes):
            stop_server(process)
        embedded.stop(work / "pgdata", remove=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
