"""The `venueos` command: run, serve, worker, jobs, migrate, createuser, demo, check,
purge, db, manage.

Unless `DATABASE_URL` is set, every sub-command uses the working copy's
embedded PostgreSQL (starting it if needed), so `venueos createuser` run beside
a serving `make run` reaches the same database.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys


def _setup_django():
    """Django against DATABASE_URL or the embedded server; returns the embedded
    server (None when DATABASE_URL is set)."""
    from venueos import embedded

    server = embedded.ensure_database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "venueos.settings")
    import django

    django.setup()
    return server


def _migrate(verbosity: int = 1) -> None:
    """Migrations run as the owner; the application's role gets its grants."""
    from django.core.management import call_command

    from venueos.common.dbroles import as_owner

    with as_owner():
        call_command("migrate", interactive=False, verbosity=verbosity)


def cmd_migrate(args) -> int:
    _setup_django()
    _migrate()
    return 0


def cmd_createuser(args) -> int:
    _setup_django()
    _migrate(verbosity=0)  # a fresh database works without a separate step
    from venueos.accounts import services
    from venueos.accounts.models import Role
    from venueos.common.problems import Problem

    organization = None
    if args.organization:
        organization = services.organization_get_or_create(
            actor=None, slug=args.organization
        )
    try:
        user = services.user_create(
            actor=None,  # the operator at the command line
            email=args.email,
            password=args.password,
            full_name=args.full_name or args.email.split("@")[0],
            role=Role(args.role),
            organization=organization,
        )
    except Problem as problem:
        print(f"error: {problem.detail}", file=sys.stderr)
        return 1
    print(f"created {user.role} {user.email} ({user.id})")
    return 0


def cmd_demo(args) -> int:
    _setup_django()
    _migrate(verbosity=0)
    from venueos.demo import DEMO_LOGINS, load_demo

    created = load_demo()
    print("demo data loaded" if created else "demo data already present")
    for role, email, password in DEMO_LOGINS:
        print(f"  {role:9} {email:28} {password}")
    return 0


def cmd_check(args) -> int:
    _setup_django()
    from venueos.integrity import integrity_problems

    problems = integrity_problems()
    for line in problems:
        print(f"BROKEN: {line}")
    if problems:
        return 1
    print("ok: no overlapping active bookings on related spaces, no oversold event")
    return 0


def cmd_purge(args) -> int:
    """Housekeeping for a scheduled job (cron, a systemd timer, a task queue)."""
    _setup_django()
    from venueos.common.idempotency import idempotency_records_purge
    from venueos.common.throttling import rate_counters_purge

    records = idempotency_records_purge()
    counters = rate_counters_purge()
    print(
        f"purged {records} idempotency record(s) older than 24 h, "
        f"{counters} rate counter(s) of ended windows"
    )
    return 0


def _serve(host: str, port: int, workers: int, server, worker=None) -> int:
    """Serve until stopped; stops the embedded server if this call started it."""
    import uvicorn

    if server is not None and not server.started_here:
        server = None  # someone else's server: leave it running

    # Each worker runs at most VENUEOS_MAX_CONCURRENCY requests at once (see
    # asgi.py); its connection pool holds that many connections plus spares.
    limit = int(os.environ.setdefault("VENUEOS_MAX_CONCURRENCY", "6"))
    os.environ.setdefault("VENUEOS_DB_POOL", str(limit + 2))
    try:
        uvicorn.run(
            "venueos.asgi:application",
            host=host,
            port=port,
            workers=workers,
            lifespan="off",
            # The client address is the socket's; X-Forwarded-For is believed
            # only through VENUEOS_TRUSTED_PROXIES (common/middleware.py).
            proxy_headers=False,
            # Live streams never end by themselves: after this grace, a stop
            # closes them (their clients reconnect to another server and
            # replay what they missed with Last-Event-ID).
            timeout_graceful_shutdown=int(
                os.environ.get("VENUEOS_SHUTDOWN_GRACE_SECONDS", "5")
            ),
            log_level=os.environ.get("VENUEOS_SERVER_LOG_LEVEL", "warning"),
            access_log=False,
        )
    finally:
        if worker is not None:
            _stop_worker(worker)
        if server is not None:
            from venueos import embedded

            print("stopping the embedded PostgreSQL …")
            embedded.stop(server.data_dir)
    return 0


def _builtin_secret_key() -> bool:
    """True (and says why) when only the built-in SECRET_KEY is configured."""
    from django.conf import settings

    if settings.SECRET_KEY != settings.BUILTIN_SECRET_KEY:
        return False
    print(
        "error: refusing to serve with the built-in SECRET_KEY; set "
        "VENUEOS_SECRET_KEY (e.g. python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(50))')",
        file=sys.stderr,
    )
    return True


def _prepare_metrics_dir(port: int) -> None:
    """Every server process writes its metrics to files in one folder, summed
    at each scrape; set before anything imports prometheus_client. A fresh
    folder per start, so a previous run's processes are not counted."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return  # the operator's choice, emptied by the operator
    from venueos import embedded

    folder = embedded.project_home() / "metrics" / f"serve-{port}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def cmd_serve(args) -> int:
    _prepare_metrics_dir(args.port)
    server = _setup_django()
    if _builtin_secret_key():
        return 2
    return _serve(args.host, args.port, args.workers, server)


def cmd_run(args) -> int:
    """What `make run` does: database, migrations, demo data once, then serve.

    The demo accounts (with published passwords) go only into the embedded
    default database, or anywhere when asked with --demo."""
    _prepare_metrics_dir(args.port)
    server = _setup_django()
    if _builtin_secret_key():
        return 2
    with_demo = server is not None or args.demo
    try:
        _migrate(verbosity=0)
        from venueos.demo import DEMO_LOGINS, load_demo

        if (
            with_demo and load_demo()
        ):  # idempotent; adds today's demo event when missing
            print("loaded the demo data")
    except BaseException:
        if server is not None and server.started_here:
            from venueos import embedded

            embedded.stop(server.data_dir)
        raise
    base = f"http://{args.host}:{args.port}"
    print(f"\nVenueOS is serving on {base}/  (Ctrl-C stops it and its database)")
    print(f"  API       {base}/api/v1/venues/")
    print(f"  API docs  {base}/api/docs/   (OpenAPI: {base}/api/schema/)")
    print(f"  Admin     {base}/admin/")
    if with_demo:
        print("  Demo logins (e-mail / password):")
        for role, email, password in DEMO_LOGINS:
            print(f"    {role:9} {email:28} {password}")
    from django.conf import settings

    if settings.EMAIL_BACKEND.endswith("EmlFileBackend"):
        print(f"  E-mail    written as .eml files to {settings.EMAIL_FILE_PATH}/")
    else:
        print(f"  E-mail    sent through {settings.EMAIL_HOST}:{settings.EMAIL_PORT}")
    print(flush=True)
    # The task-queue worker runs beside the server, so that `make run` alone
    # sends e-mail and runs the scheduled jobs.
    return _serve(args.host, args.port, args.workers, server, _start_worker())


def _start_worker() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "venueos.cli", "worker"])


def _stop_worker(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGTERM)  # finishes the running job, then exits
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def cmd_worker(args) -> int:
    """Run background jobs (e-mail, scheduled jobs) until SIGTERM or Ctrl-C."""
    _setup_django()
    import asyncio

    from django.core.management import call_command

    from venueos.common.tasks import retry_stalled_jobs

    asyncio.run(retry_stalled_jobs(timestamp=0))
    options = [f"--concurrency={args.concurrency}"]
    if args.queues:
        options.append(f"--queues={args.queues}")
    call_command("procrastinate", "worker", *options)
    return 0


def cmd_jobs(args) -> int:
    """The task queue at a glance: counts per status, then the failed jobs."""
    _setup_django()
    from venueos.common.tasks import queue_summary, retry_failed_job

    if args.retry is not None:
        if not retry_failed_job(args.retry):
            print(f"error: no failed job {args.retry}", file=sys.stderr)
            return 1
        print(f"job {args.retry} will run again")
        return 0
    summary = queue_summary()
    for status, count in summary.counts.items():
        print(f"{status:10} {count}")
    if summary.oldest_waiting_seconds is not None:
        print(f"oldest waiting job: {summary.oldest_waiting_seconds:.0f} s")
    for job in summary.failed:
        print(
            f"failed job {job['id']}: {job['task_name']} {job['args']} "
            f"after {job['attempts']} attempts"
        )
    return 0


def cmd_db(args) -> int:
    """Print the database URL (starting the embedded server if needed)."""
    from venueos import embedded

    if args.stop:
        embedded.stop()
        return 0
    embedded.ensure_database_url()
    print(os.environ["DATABASE_URL"])
    return 0


def cmd_manage(args) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    from venueos.common.dbroles import as_owner, needs_owner

    if needs_owner(args.rest):
        with as_owner():
            execute_from_command_line(["venueos", *args.rest])
    else:
        execute_from_command_line(["venueos", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="venueos", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    default_workers = int(os.environ.get("VENUEOS_WORKERS", "2"))
    for name, handler, text in [
        ("run", cmd_run, "migrate, load demo data once, and serve (make run)"),
        ("serve", cmd_serve, "serve the site and API with uvicorn (ASGI)"),
    ]:
        command = sub.add_parser(name, help=text)
        command.add_argument(
            "--host", default=os.environ.get("VENUEOS_HOST", "127.0.0.1")
        )
        command.add_argument(
            "--port", type=int, default=int(os.environ.get("VENUEOS_PORT", "8000"))
        )
        command.add_argument("--workers", type=int, default=default_workers)
        command.set_defaults(handler=handler)
        if name == "run":
            command.add_argument(
                "--demo",
                action="store_true",
                help="load the demo accounts into a DATABASE_URL database too",
            )

    worker = sub.add_parser("worker", help="run background jobs (e-mail, schedules)")
    worker.add_argument(
        "--concurrency",
        type=int,
        default=int(os.environ.get("VENUEOS_WORKER_CONCURRENCY", "1")),
    )
    worker.add_argument("--queues", default="", help="comma list (default: all)")
    worker.set_defaults(handler=cmd_worker)

    jobs = sub.add_parser("jobs", help="show the task queue and its failed jobs")
    jobs.add_argument("--retry", type=int, metavar="ID", help="retry a failed job")
    jobs.set_defaults(handler=cmd_jobs)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(
        handler=cmd_migrate
    )

    createuser = sub.add_parser("createuser", help="create a user")
    createuser.add_argument("--email", required=True)
    createuser.add_argument("--password", required=True)
    createuser.add_argument(
        "--role", choices=["admin", "manager", "customer"], default="customer"
    )
    createuser.add_argument(
        "--organization", help="organization slug (created if missing)"
    )
    createuser.add_argument("--full-name", default="")
    createuser.set_defaults(handler=cmd_createuser)

    sub.add_parser("demo", help="load the demo data (idempotent)").set_defaults(
        handler=cmd_demo
    )
    sub.add_parser("check", help="verify integrity invariants").set_defaults(
        handler=cmd_check
    )

    sub.add_parser(
        "purge",
        help="delete idempotency records older than 24 h and ended rate windows",
    ).set_defaults(handler=cmd_purge)

    db = sub.add_parser(
        "db", help="print the database URL; --stop stops the embedded server"
    )
    db.add_argument("--stop", action="store_true")
    db.set_defaults(handler=cmd_db)

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
