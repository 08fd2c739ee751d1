"""Finding 4: the audit log cannot be erased by the application's own
database login.

The app connects as a role that owns nothing and may only INSERT and SELECT
the audit table; migrations run as the owner; a BEFORE TRUNCATE trigger stops
even the owner's TRUNCATE; the embedded server asks for a password (SCRAM)."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from tests.security.helpers import app_database_url
from venueos import embedded

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    """A connection to the test database as the application's role."""
    with psycopg.connect(app_database_url(), autocommit=True) as conn:
        conn.execute("SET lock_timeout = '2s'")
        yield conn


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit_auditentry",
        "SET session_replication_role = replica",
        "ALTER TABLE audit_auditentry DISABLE TRIGGER ALL",
        "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_append_only",
        "DROP TRIGGER audit_append_only ON audit_auditentry",
        "UPDATE audit_auditentry SET action = 'x'",
        "DELETE FROM audit_auditentry",
        "DROP TABLE audit_auditentry",
        "CREATE TABLE scratch (id int)",
        "ALTER ROLE CURRENT_USER SUPERUSER",
        "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())",
    ],
)
def test_the_app_role_cannot(app, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app.execute(statement)


def test_the_app_role_appends_to_and_reads_the_audit_log(app):
    entity = uuid.uuid4()
    with app.transaction(force_rollback=True):
        app.execute(
            "INSERT INTO audit_auditentry (entity_type, entity_id, action,"
            " created_at, user_agent, request_id) VALUES"
            " ('test', %s, 'test.appended', now(), '', '')",
            [entity],
        )
        row = app.execute(
            "SELECT action FROM audit_auditentry WHERE entity_id = %s", [entity]
        ).fetchone()
    assert row == ("test.appended",)


def test_the_app_role_owns_nothing_and_has_no_special_powers(app):
    owned = app.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
        " WHERE r.rolname = current_user"
    ).fetchone()[0]
    assert owned == 0
    powers = app.execute(
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolreplication"
        " FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert powers == (False, False, False, False, False)


def test_the_app_role_writes_every_other_table(app):
    """Grants cover every application table (a table missed would be a 500)."""
    missing = app.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
        " AND c.relname NOT IN ('audit_auditentry', 'django_migrations')"
        " AND NOT (has_table_privilege(c.oid, 'SELECT')"
        "      AND has_table_privilege(c.oid, 'INSERT')"
        "      AND has_table_privilege(c.oid, 'UPDATE')"
        "      AND has_table_privilege(c.oid, 'DELETE'))"
    ).fetchall()
    assert missing == []


def test_truncate_is_refused_even_for_the_owner():
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_auditentry")


# The embedded server itself: password authentication with generated secrets.


def _refused(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        return "password" in str(exc)
    return False


def _assert_password_protected(server: embedded.EmbeddedServer) -> None:
    anonymous = f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
    wrong = f"postgresql://postgres:wrong@127.0.0.1:{server.port}/postgres"
    assert _refused(anonymous)
    assert _refused(wrong)
    with psycopg.connect(server.owner_url) as conn:
        assert conn.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone() == (True,)
    with psycopg.connect(server.url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (embedded.APP_ROLE,)


def test_a_new_embedded_server_requires_scram_passwords_kept_private(tmp_path):
    data_dir = tmp_path / "pgdata"
    server = embedded.start(data_dir, preferred_port=55401, throwaway=True)
    try:
        _assert_password_protected(server)
        secrets_file = embedded.secrets_path(data_dir)
        assert secrets_file.stat().st_mode & 0o077 == 0
        hba = Path(data_dir / "pg_hba.conf").read_text()
        rules = [
            line
            for line in hba.splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert rules and all(line.split()[-1] == "scram-sha-256" for line in rules)
    finally:
        embedded.stop(data_dir)


def test_an_existing_trust_server_is_switched_to_passwords(tmp_path):
    """Data folders made before passwords existed are converted on start."""
    data_dir = tmp_path / "pgdata"
    data_dir.mkdir()
    user = embedded._run_as()
    if user:
        embedded._grant_access(data_dir, user)
    subprocess.run(
        [
            embedded._bin("initdb"),
            "-D",
            str(data_dir),
            "--auth=trust",
            "-U",
            "postgres",
        ],
        check=True,
        capture_output=True,
        user=user,
        env=dict(os.environ, LC_ALL="C.UTF-8"),
    )
    server = embedded.start(data_dir, preferred_port=55402, throwaway=True)
    try:
        _assert_password_protected(server)
    finally:
        embedded.stop(data_dir)


def test_the_app_role_erases_personal_text_only_through_the_narrow_function(app):
    """Data retention blanks a booking's free text inside its audit entries:
    the app role does it through audit_erase_personal_entries, which can do
    nothing else (the append-only trigger checks every row)."""
    booking = uuid.uuid4()
    with app.transaction(force_rollback=True):
        app.execute(
            "INSERT INTO audit_auditentry (entity_type, entity_id, action,"
            " new_values, created_at, user_agent, request_id) VALUES"
            " ('booking', %s, 'booking.created',"
            " '{\"title\": \"Dr Smith, private\", \"attendee_count\": 2}', now(), '', '')",
            [booking],
        )
        erased = app.execute(
            "SELECT audit_erase_personal_entries(%s::uuid[])", [[booking]]
        ).fetchone()
        row = app.execute(
            "SELECT new_values FROM audit_auditentry WHERE entity_id = %s", [booking]
        ).fetchone()
    assert erased == (1,)
    assert row == ({"title": "", "attendee_count": 2},)
