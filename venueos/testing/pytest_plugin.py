"""Gives the test run a real PostgreSQL before pytest-django reads the settings.

With `DATABASE_URL` set, the tests use that server (pytest-django creates and
drops its own `test_venueos` database there). Otherwise a throw-away embedded
PostgreSQL is started in a temporary folder and removed afterwards.

The tests connect as the owner (pytest-django creates the database and runs
the migrations); the application's restricted role (common/dbroles.py) gets
its grants on the test database after the migrations, and its login is in
`VENUEOS_APP_ROLE` / `VENUEOS_APP_PASSWORD` for the tests that act as the
served application.
"""

import atexit
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

_throwaway_dir: Path | None = None


def _app_role_on(url: str, role: str) -> str:
    """Create (or reset) the application's role on a server of the user's own;
    returns its new password."""
    import psycopg

    from venueos.embedded import sql_role_password

    password = secrets.token_urlsafe(24)
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", [role]
        ).fetchone()
        conn.execute(sql_role_password(role, password, create=not exists))
    return password


def _flush_past_the_truncate_trigger() -> None:
    """Transactional tests end with a TRUNCATE of every table (Django's flush);
    the audit log refuses TRUNCATE by trigger, so the test database's owner
    switches that trigger off inside the flush's own transaction."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        if any("audit_auditentry" in statement for statement in sql_list):
            sql_list = [
                "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_no_truncate",
                *sql_list,
                "ALTER TABLE audit_auditentry ENABLE TRIGGER audit_no_truncate",
            ]
        return original(self, sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _throwaway_dir
    os.environ.setdefault("VENUEOS_FAST_PASSWORD_HASHER", "1")
    # A flusher thread's connection could outlive a test's database; the
    # batched path has tests of its own (tests/accounts/test_token_uses.py).
    os.environ.setdefault("VENUEOS_TOKEN_USE_FLUSH_SECONDS", "0")
    # Servers the tests start (`venueos serve`) refuse the built-in key.
    os.environ.setdefault(
        "VENUEOS_SECRET_KEY", "test-only-" + secrets.token_urlsafe(32)
    )
    if not os.environ.get("DATABASE_URL"):
        from venueos import embedded

        _throwaway_dir = Path(tempfile.mkdtemp(prefix="venueos-test-pg-"))
        # pytest skips pytest_unconfigure when the command line is refused
        # after this hook (an unknown option): the server must stop anyway.
        atexit.register(_stop_throwaway_server)
        server = embedded.start(_throwaway_dir / "pgdata", throwaway=True)
        os.environ["DATABASE_URL"] = server.owner_url
        os.environ["VENUEOS_APP_ROLE"] = embedded.APP_ROLE
        os.environ["VENUEOS_APP_PASSWORD"] = server.passwords[embedded.APP_ROLE]
    elif not os.environ.get("VENUEOS_APP_ROLE"):
        role = os.environ.get("VENUEOS_TEST_DB_NAME", "test_venueos") + "_app"
        os.environ["VENUEOS_APP_PASSWORD"] = _app_role_on(
            os.environ["DATABASE_URL"], role
        )
        os.environ["VENUEOS_APP_ROLE"] = role
    os.environ.pop("VENUEOS_OWNER_DATABASE_URL", None)
    return (yield)


def pytest_configure(config):
    _flush_past_the_truncate_trigger()


def pytest_unconfigure(config):
    _stop_throwaway_server()


def _stop_throwaway_server():
    global _throwaway_dir
    if _throwaway_dir is not None:
        from venueos import embedded

        embedded.stop(_throwaway_dir / "pgdata")
        shutil.rmtree(_throwaway_dir, ignore_errors=True)
        _throwaway_dir = None
