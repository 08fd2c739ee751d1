"""The capacity run's bookings check (bench/capacity.py `verify`) on a real
database: every 201 must be in the table, the table may hold more of the run's
bookings only where an answer was lost, and none overlaps another."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from django.db import connection

from bench.capacity import verify
from tests.bookings.helpers import at, future_day
from tests.conftest import make_space, make_user
from venueos.bookings.services import booking_create

pytestmark = pytest.mark.django_db(transaction=True)

DAY = future_day(40)
TITLE = "capacity test-run"


def dsn() -> str:
    params = connection.get_connection_params()
    return psycopg.conninfo.make_conninfo(
        **{
            key: value
            for key, value in params.items()
            if key in {"dbname", "user", "password", "host", "port"}
        }
    )


@pytest.fixture
def answers(venue):
    """Three bookings of the run on a booth under a hall, as 201 bodies; and
    one on the hall, right after them, of someone else."""
    hall = make_space(venue, name="Hall")
    booth = make_space(venue, hall, name="Booth")
    alice = make_user()
    bodies = []
    for hour in ("08:00", "09:00", "10:00"):
        end = f"{int(hour[:2]) + 1:02d}:00"
        b = booking_create(
            actor=alice,
            space=booth,
            start_time=at(DAY, hour),
            end_time=at(DAY, end),
            title=TITLE,
        )
        bodies.append(json.dumps({"id": str(b.id)}).encode())
    booking_create(
        actor=alice,
        space=hall,
        start_time=at(DAY, "11:00"),
        end_time=at(DAY, "12:00"),
        title="someone else",
    )
    return bodies


def test_every_201_in_the_table_and_no_overlap_passes(answers):
    result = verify(dsn(), TITLE, answers, unknown=0)
    assert result == {
        "created_201": 3,
        "distinct_ids": 3,
        "in_table": 3,
        "in_table_by_title": 3,
        "answer_lost": 0,
        "overlaps": 0,
        "ok": True,
    }


def test_a_201_missing_from_the_table_fails(answers):
    ghost = json.dumps({"id": str(uuid.uuid4())}).encode()
    result = verify(dsn(), TITLE, [*answers, ghost], unknown=0)
    assert result["in_table"] == 3
    assert not result["ok"]


def test_a_booking_nobody_was_told_of_fails_unless_an_answer_was_lost(answers):
    assert not verify(dsn(), TITLE, answers[:2], unknown=0)["ok"]
    assert verify(dsn(), TITLE, answers[:2], unknown=1)["ok"]


def test_the_same_201_twice_fails(answers):
    assert not verify(dsn(), TITLE, [*answers, answers[0]], unknown=0)["ok"]
