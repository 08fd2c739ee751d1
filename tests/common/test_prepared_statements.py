"""Statements a connection runs often are prepared once (settings.py).

Parameters are bound by the server, so an ORM query's text is the same on
every call, and psycopg prepares it on its fifth run on a connection:
PostgreSQL then parses and plans it once per connection instead of per call.
`VENUEOS_DB_PREPARE=0` turns that off, for PgBouncer before 1.21.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.db import connection
from django.db.utils import load_backend

from venueos.accounts.models import User
from venueos.settings import _database_from_url

pytestmark = pytest.mark.django_db(transaction=True)

PREPARED = (
    "SELECT statement FROM pg_prepared_statements"
    " WHERE NOT from_sql AND statement LIKE '%accounts_user%'"
)


def _prepared(conn) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute(PREPARED)
        return [row[0] for row in cursor.fetchall()]


def _wrapper_from_env(monkeypatch, prepare: str):
    monkeypatch.setenv("VENUEOS_DB_PREPARE", prepare)
    params = {k: quote(str(v), safe="") for k, v in connection.settings_dict.items()}
    url = "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(**params)
    settings_dict = {**connection.settings_dict, **_database_from_url(url)}
    backend = load_backend(settings_dict["ENGINE"])
    return backend.DatabaseWrapper(settings_dict, alias="prepare-test")


def test_a_query_run_often_is_prepared_on_its_connection():
    connection.close()  # a fresh session: nothing prepared yet
    assert _prepared(connection) == []
    for _ in range(6):
        User.objects.filter(email="nobody@example.org").exists()
    prepared = _prepared(connection)
    assert len(prepared) == 1, prepared
    assert "$1" in prepared[0]  # the e-mail is a parameter, not part of the text


@pytest.mark.parametrize("prepare, expected", [("1", 1), ("0", 0)])
def test_venueos_db_prepare_turns_preparing_on_and_off(monkeypatch, prepare, expected):
    wrapper = _wrapper_from_env(monkeypatch, prepare)
    # The connection as the wrapper opens it, without Django's connection
    # signals (they look the alias up among the configured databases).
    with wrapper.get_new_connection(wrapper.get_connection_params()) as conn:
        for _ in range(6):
            conn.execute(
                "SELECT count(*) FROM accounts_user WHERE email = %s",
                ["nobody@example.org"],
            )
        prepared = conn.execute(PREPARED).fetchall()
    assert len(prepared) == expected
