"""Statements a connection runs often are prepared once (settings.py, ADR 0011).

Parameters are bound by the server, so an ORM query's text is the same on
every call, and psycopg prepares it on its sixth run on a connection:
PostgreSQL then parses it once per connection instead of per call.
`VENUEOS_DB_PREPARE=0` gives Django's defaults back, for PgBouncer before 1.22.
"""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql import base
from django.db.utils import NotSupportedError

from tests.common.served_database import database_wrapper_from_env
from tests.concurrency.test_booking_races import _dsn
from venueos.accounts.models import User
from venueos.common.postgresql.base import PreparingCursor

pytestmark = pytest.mark.django_db(transaction=True)

PREPARED = (
    "SELECT statement FROM pg_prepared_statements"
    " WHERE NOT from_sql AND statement LIKE %s"
)


def _prepared(conn, table: str = "accounts_user") -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute(PREPARED, [f"%{table}%"])
        return [row[0] for row in cursor.fetchall()]


def test_a_query_run_often_is_prepared_on_its_connection():
    connection.close()  # a fresh session: nothing prepared yet
    assert _prepared(connection) == []
    for _ in range(6):
        User.objects.filter(email="nobody@example.org").exists()
    prepared = _prepared(connection)
    assert len(prepared) == 1, prepared
    assert "$1" in prepared[0]  # the e-mail is a parameter, not part of the text


@pytest.mark.parametrize(
    "prepare, cursor, expected",
    [("1", PreparingCursor, 1), ("0", base.Cursor, 0)],
    ids=["on", "off"],
)
def test_venueos_db_prepare_turns_preparing_on_and_off(
    monkeypatch, prepare, cursor, expected
):
    monkeypatch.setenv("VENUEOS_DB_PREPARE", prepare)
    wrapper = database_wrapper_from_env("prepare-test")
    params = wrapper.get_connection_params()
    # Off is Django's default: values written into the text (a client cursor).
    assert params["cursor_factory"] is cursor
    # The connection as the wrapper opens it, without Django's connection
    # signals (they look the alias up among the configured databases).
    with wrapper.get_new_connection(params) as conn:
        for _ in range(6):
            conn.execute(
                "SELECT count(*) FROM accounts_user WHERE email = %s",
                ["nobody@example.org"],
            )
        prepared = conn.execute(PREPARED, ["%accounts_user%"]).fetchall()
    assert len(prepared) == expected


@pytest.fixture
def probe_table():
    with psycopg.connect(_dsn(), autocommit=True) as owner:
        owner.execute("CREATE TABLE prepared_probe (label varchar(10))")
        owner.execute("INSERT INTO prepared_probe VALUES ('first')")
    yield
    connection.close()
    with psycopg.connect(_dsn(), autocommit=True) as owner:
        owner.execute("DROP TABLE prepared_probe")


def _read_probe() -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT label FROM prepared_probe WHERE label <> %s", [""])
        return cursor.fetchall()


def test_a_statement_made_stale_by_a_migration_fails_once_not_for_ever(probe_table):
    """A column's type changes under a prepared statement. PostgreSQL refuses
    the statement from then on, on that connection; the cursor closes the
    connection, so the next request's connection is a new one."""
    connection.close()
    for _ in range(6):
        assert _read_probe() == [("first",)]
    assert len(_prepared(connection, "prepared_probe")) == 1
    with psycopg.connect(_dsn(), autocommit=True) as migration:
        migration.execute("ALTER TABLE prepared_probe ALTER label TYPE varchar(20)")

    with pytest.raises(NotSupportedError, match="cached plan must not change"):
        _read_probe()
    assert connection.connection.closed
    # What Django does when the request ends: an unusable connection is closed
    # (or, from the pool, dropped) and the next one is new.
    connection.close_if_unusable_or_obsolete()
    assert _read_probe() == [("first",)]
