"""The availability engine's read of the claims narrows on venue and space.

Every availability search and every 409's alternatives read the claims of a
few spaces over a window. The claims' GiST index leads with venue and space;
a scan on the period alone walks the window's claims of every venue. The
planner picks that scan when it expects no rows in the window (a week later
than every booking, as most searches are), so the query must give it nothing
else to pick. These tests read PostgreSQL's plan for windows with and without
bookings, on analysed data of several venues.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection

from tests.conftest import make_space, make_user, make_venue
from venueos.bookings.availability import (
    SPACE_PROBES,
    Snapshot,
    _claims_query_in_windows,
)
from venueos.bookings.models import Booking

pytestmark = pytest.mark.django_db

FIRST = datetime(2027, 3, 1, 8, tzinfo=UTC)


@pytest.fixture
def venues(org):
    """Three venues (hall > floor > rooms), their rooms booked hour after hour
    for two weeks, statistics up to date."""
    user = make_user()
    made = []
    for _ in range(3):
        venue = make_venue(org)
        hall = make_space(venue)
        floor = make_space(venue, parent=hall)
        rooms = [make_space(venue, parent=floor) for _ in range(SPACE_PROBES + 2)]
        Booking.objects.bulk_create(
            Booking(
                venue=venue,
                space=room,
                user=user,
                created_by=user,
                start_time=FIRST + timedelta(hours=hour),
                end_time=FIRST + timedelta(hours=hour + 1),
                title="Meeting",
            )
            for room in rooms
            for hour in range(0, 14 * 24, 3)
        )
        made.append((venue, hall, floor, rooms))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE bookings_bookingclaim")
    return made


def _claim_scans(spaces, low, high) -> list[dict]:
    """The plan nodes that read bookings_bookingclaim, with index scans
    preferred over sequential ones (on this small table the planner might
    otherwise read it whole, which says nothing about the big one)."""
    sql, params = _query_for(spaces, low, high)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    return _claim_nodes(json.loads(plan) if isinstance(plan, str) else plan)


def _query_for(spaces, low, high) -> tuple[str, list]:
    """The engine's claims read for `spaces` and their ancestors."""
    snapshot = Snapshot(spaces)
    ancestors = {a: s.venue_id for s in spaces for a in snapshot.ancestors[s.id]}
    return _claims_query_in_windows([(spaces, ancestors, low, high)])


def _claim_nodes(plan) -> list[dict]:
    found = []

    def walk(node):
        if node.get("Relation Name") == "bookings_bookingclaim":
            found.append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def _index_conditions(node) -> str:
    return node.get("Index Cond", "") + node.get("Recheck Cond", "")


def _conditions(node) -> str:
    return _index_conditions(node) + node.get("Filter", "")


def _narrows_on_an_id(node) -> bool:
    """The scan's index condition names the venue or the space, not the
    period alone. (On this small table the planner may pick a plain btree on
    one of them, even the spaces' list, and filter by the rest; on the big
    one it takes the GiST index with venue, space and period.)"""
    return re.search(r"(venue|space)_id = ", _index_conditions(node)) is not None


@pytest.mark.parametrize(
    "low", [FIRST, FIRST + timedelta(days=400)], ids=["booked week", "empty week"]
)
def test_one_space_is_read_by_venue_space_and_period(venues, low):
    _venue, _hall, _floor, rooms = venues[1]
    scans = _claim_scans([rooms[0]], low, low + timedelta(days=7))
    # The room itself and its two ancestors: one probe each.
    assert len(scans) == 3
    for node in scans:
        assert "Seq Scan" not in node["Node Type"]
        assert _narrows_on_an_id(node), node
        assert "venue_id = '" in _conditions(node), node
        assert "space_id = '" in _conditions(node), node
        assert "period &&" in _conditions(node), node


@pytest.mark.parametrize(
    "low", [FIRST, FIRST + timedelta(days=400)], ids=["booked week", "empty week"]
)
def test_many_spaces_are_read_by_venue_and_period(venues, low):
    _venue, _hall, _floor, rooms = venues[2]
    scans = _claim_scans(rooms, low, low + timedelta(days=1))
    assert scans
    for node in scans:
        assert "Seq Scan" not in node["Node Type"]
        assert _narrows_on_an_id(node), node
        assert "venue_id = '" in _conditions(node), node
        assert "period &&" in _conditions(node), node


def test_both_ways_of_reading_claims_give_the_same_blocked_time(venues, monkeypatch):
    """Per space (a few) or per venue (many): the same busy time, across two
    venues, with ancestors that are searched and ancestors that are not."""
    user = make_user()
    (_v1, hall1, floor1, rooms1), (_v2, hall2, _floor2, rooms2) = venues[:2]
    for hall in (hall1, hall2):  # exclusive claims on an unsearched ancestor
        Booking.objects.create(
            venue=hall.venue, space=hall, user=user, created_by=user,
            start_time=FIRST + timedelta(days=20), end_time=FIRST + timedelta(days=20, hours=2),
            title="Whole hall",
        )  # fmt: skip
    # A room next door, at an hour the searched room is free.
    next_door = FIRST + timedelta(days=13, hours=1)
    Booking.objects.create(
        venue=floor1.venue, space=rooms1[1], user=user, created_by=user,
        start_time=next_door, end_time=next_door + timedelta(hours=1), title="Next door",
    )  # fmt: skip
    low, high = FIRST + timedelta(days=13), FIRST + timedelta(days=21)
    searched = [rooms1[0], floor1, rooms2[0], rooms2[1]]
    answers = []
    for probes in (100, 0):
        monkeypatch.setattr("venueos.bookings.availability.SPACE_PROBES", probes)
        answers.append(Snapshot(searched).blocked(searched, low, high))
    per_space, per_venue = answers
    assert per_space == per_venue
    hall_time = (FIRST + timedelta(days=20), FIRST + timedelta(days=20, hours=2))
    for space in searched:
        assert any(
            s <= hall_time[0] and hall_time[1] <= e for s, e in per_space[space.id]
        )

    # The floor holds a claim for every booking of its rooms; a room does not
    # block the room next door.
    def busy_at(space_id, moment):
        return any(s <= moment < e for s, e in per_space[space_id])

    assert busy_at(floor1.id, next_door)
    assert not busy_at(rooms1[0].id, next_door)


def _generic_claim_scans(spaces, low, high) -> list[dict]:
    """As `_claim_scans`, for the plan a prepared statement of the query may
    settle on after five runs: one made without the parameters' values."""
    sql, params = _query_for(spaces, low, high)
    numbered = iter(range(1, len(params) + 1))
    prepared = re.sub("%s", lambda _: f"${next(numbered)}", sql)
    connection.ensure_connection()
    with psycopg.ClientCursor(connection.connection) as cursor:
        cursor.execute(f"PREPARE claims_probe AS {prepared}")
        try:
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(
                "EXPLAIN (FORMAT JSON) EXECUTE claims_probe"
                f"({', '.join(['%s'] * len(params))})",
                params,
            )
            plan = cursor.fetchone()[0]
        finally:
            cursor.execute("DEALLOCATE claims_probe")
    return _claim_nodes(plan)


def test_the_generic_plan_of_a_prepared_read_narrows_on_venue_and_space(venues):
    """Connections prepare the queries they run often (settings.py), and
    PostgreSQL may then keep a plan made without the parameters' values. That
    plan must narrow on venue and space as the one made with them does."""
    _venue, _hall, _floor, rooms = venues[1]
    low = FIRST + timedelta(days=400)
    scans = _generic_claim_scans([rooms[0]], low, low + timedelta(days=7))
    assert len(scans) == 3
    for node in scans:
        assert "Seq Scan" not in node["Node Type"]
        assert re.search(r"venue_id = \$\d", _index_conditions(node)), node
        assert re.search(r"space_id = \$\d", _conditions(node)), node
        assert "period &&" in _conditions(node), node


def test_windows_read_in_one_query_keep_each_window_to_itself(venues):
    """A 409's alternatives read two windows at once (the space over two
    weeks, the other spaces at the asked time): each gets exactly the claims
    of its own window, even for a space that is in both."""
    _venue, _hall, _floor, rooms = venues[2]
    snapshot = Snapshot(rooms)
    fortnight = ([rooms[0]], FIRST, FIRST + timedelta(days=14))
    hour = (rooms, FIRST, FIRST + timedelta(hours=1))
    together = snapshot.blocked_in_windows([fortnight, hour])
    # Each room is booked every third hour of the fortnight: 112 bookings,
    # none of them adjacent; in the first hour, one.
    assert together[0](rooms[0]) == [
        (FIRST + timedelta(hours=h), FIRST + timedelta(hours=h + 1))
        for h in range(0, 14 * 24, 3)
    ]
    for room in rooms:
        assert together[1](room) == [(FIRST, FIRST + timedelta(hours=1))]
    for (spaces, low, high), blocked_of in zip(
        [fortnight, hour], together, strict=True
    ):
        alone = Snapshot(rooms).blocked(spaces, low, high)
        assert {space.id: blocked_of(space) for space in spaces} == alone


def test_windows_read_in_one_query_still_narrow_on_venue_and_space(venues):
    _venue, _hall, _floor, rooms = venues[1]
    snapshot = Snapshot(rooms)
    reads = [
        (
            spaces,
            {a: s.venue_id for s in spaces for a in snapshot.ancestors[s.id]},
            low,
            high,
        )
        for spaces, low, high in (
            ([rooms[0]], FIRST, FIRST + timedelta(days=14)),
            (rooms[1:], FIRST, FIRST + timedelta(hours=1)),
        )
    ]
    sql, params = _claims_query_in_windows(reads)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    scans = _claim_nodes(json.loads(plan) if isinstance(plan, str) else plan)
    # The room and its two ancestors, one probe each; then the venue's rooms.
    assert len(scans) == 4
    for node in scans:
        assert "Seq Scan" not in node["Node Type"]
        assert _narrows_on_an_id(node), node
        assert "venue_id = '" in _conditions(node), node
