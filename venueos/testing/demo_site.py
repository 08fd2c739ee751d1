"""A throw-away demo site: an embedded PostgreSQL in a temporary folder,
migrated, with the demo data, served by `venueos serve` on a free port.

Used by `make screenshots` (README pictures) and the browser benchmark, so
both show exactly what a fresh `make run` shows, without touching the working
copy's own database.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HOST = "127.0.0.1"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"venueos serve exited with {server.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url + "/health/ready", timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError("the demo site did not become ready in time")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=15)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@contextlib.contextmanager
def demo_site(*, workers: int = 1) -> Iterator[str]:
    """Yield the base URL of a fresh demo site; everything is gone afterwards.

    Meanwhile `DATABASE_URL` points at its database, so the caller may set up
    Django and read what the site shows."""
    from venueos import embedded

    folder = Path(tempfile.mkdtemp(prefix="venueos-demo-site-"))
    server = None
    previous_url = os.environ.get("DATABASE_URL")
    try:
        database = embedded.start(folder / "pgdata", throwaway=True)
        # Migrations run as the owner, the site as the application's role,
        # with a key of its own (`venueos serve` refuses the built-in one).
        env = dict(
            os.environ,
            DATABASE_URL=database.url,
            VENUEOS_OWNER_DATABASE_URL=database.owner_url,
        )
        env.setdefault("VENUEOS_SECRET_KEY", secrets.token_urlsafe(50))
        for command in (["migrate"], ["demo"]):
            subprocess.run(
                [str(BIN / "venueos"), *command],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        port = free_port()
        url = f"http://{HOST}:{port}"
        server = subprocess.Popen(
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
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_ready(url, server)
        os.environ["DATABASE_URL"] = database.url
        yield url
    finally:
        if previous_url is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous_url
        if server is not None:
            _stop(server)
        embedded.stop(folder / "pgdata")
        shutil.rmtree(folder, ignore_errors=True)
