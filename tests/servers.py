"""A real `venueos serve` for the tests that talk to one over HTTP: a free
port, the test database's URL as another process uses it, and the server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
from django.db import connection


def free_port(candidates: Iterable[int] | None = None) -> int:
    """A free port among `candidates`; by default from VENUEOS_TEST_PORTS
    (e.g. "8300-8399") when it is set, else any the system gives."""
    span = os.environ.get("VENUEOS_TEST_PORTS")
    if candidates is None:
        candidates = [0]
        if span:
            low, high = map(int, span.split("-"))
            candidates = range(low, high + 1)
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port among {candidates}")


def database_url(user: str | None = None, password: str | None = None) -> str:
    """The test database's URL, as this process connects (or as `user`)."""
    params = connection.settings_dict
    user = user or params["USER"]
    password = params["PASSWORD"] if password is None else password
    auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return f"postgresql://{auth}@{params['HOST']}:{params['PORT']}/{params['NAME']}"


@contextmanager
def serve(
    db_url: str,
    *,
    workers: int = 2,
    port: int | None = None,
    log_path: Path | None = None,
    **env: str,
) -> Iterator[str]:
    """`venueos serve` in a process of its own against `db_url`; yields its
    base URL once /health/ready answers, stops it afterwards. Its output goes
    to `log_path` when given (for a test to quote), else to a temporary file."""
    port = port or free_port()
    environment = dict(os.environ, DATABASE_URL=db_url, **env)
    environment.pop("VENUEOS_OWNER_DATABASE_URL", None)
    # A file, not a pipe: nobody reads the log while the server runs, and a
    # full pipe would block it in the middle of a request.
    with open(log_path, "w+b") if log_path else tempfile.TemporaryFile() as log:
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
            stdout=log,
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
                log.seek(0)
                raise AssertionError(log.read().decode() or "venueos serve exited")
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
