"""Registrations that existed before ticket codes get one each (migration 0003)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import make_organization, make_user, make_venue
from tests.events.helpers import make_event

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("events", "0002_database_invariants")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_existing_registrations_are_backfilled_with_distinct_codes():
    venue = make_venue(make_organization())
    event = make_event(venue, capacity=100)
    people = [make_user() for _ in range(30)]
    # Every app's latest: going back to events 0002 also unapplies the other
    # apps' migrations that depend on later events ones.
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            for person in people:
                cursor.execute(
                    "INSERT INTO events_registration (id, event_id, attendee_id, "
                    "quantity, status, created_at) "
                    "VALUES (%s, %s, %s, 1, 'active', now())",
                    [uuid.uuid4(), event.id, person.id],
                )
    finally:
        _migrate(latest)
    with connection.cursor() as cursor:
        cursor.execute("SELECT code FROM events_registration")
        codes = [code for (code,) in cursor.fetchall()]
    assert len(codes) == 30 == len(set(codes))
    assert all(len(code) == 22 for code in codes)
    assert all(
        set(code)
        <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for code in codes
    )
