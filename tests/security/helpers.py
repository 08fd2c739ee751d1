"""Shared by the security tests: the problem shape and a URL for the test
database that another process can use."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection

PROBLEM_BASE = "https://venueos.dev/problems/"


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    if slug is not None:
        assert body["type"] == PROBLEM_BASE + slug
    assert body["status"] == status
    return body


def db_url_for_subprocess(user: str | None = None, password: str | None = None) -> str:
    """The test database's URL, as this process connects (or as `user`)."""
    params = connection.settings_dict
    user = user or params["USER"]
    password = params["PASSWORD"] if password is None else password
    auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return f"postgresql://{auth}@{params['HOST']}:{params['PORT']}/{params['NAME']}"


def free_port() -> int:
    """A free local port for a server a test starts (VENUEOS_TEST_PORT_BASE
    keeps parallel checkouts apart; the default range is 8400-8499)."""
    import socket

    base = int(os.environ.get("VENUEOS_TEST_PORT_BASE", "8400"))
    for port in range(base, base + 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {base}-{base + 99}")


@contextmanager
def served(database_url: str, *, workers: int = 1, **env: str) -> Iterator[str]:
    """`venueos serve` in its own process against `database_url`; yields its
    base URL once /health/ready answers, stops it afterwards."""
    import httpx

    port = free_port()
    environment = dict(
        os.environ,
        DATABASE_URL=database_url,
        VENUEOS_SECRET_KEY="test-" + "k" * 50,
        **env,
    )
    environment.pop("VENUEOS_OWNER_DATABASE_URL", None)
    # A file, not a pipe: nobody reads a pipe while the server runs, and once
    # its 64 KiB are full every thread that logs (a database outage logs a
    # lot) blocks in the write, holding the logging lock: the server hangs.
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "venueos"),
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                if process.poll() is not None:
                    break
                try:
                    if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            else:
                raise AssertionError("venueos serve did not become ready")
            if process.poll() is not None:
                output.seek(0)
                raise AssertionError(output.read().decode())
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def app_database_url() -> str:
    """The test database as the application's role (see the pytest plugin)."""
    return db_url_for_subprocess(
        user=os.environ["VENUEOS_APP_ROLE"],
        password=os.environ["VENUEOS_APP_PASSWORD"],
    )
