"""Availability agrees with the database, for random trees, hours, closures and
bookings (hypothesis).

For every grid slot of every space in a local day (DST days included), the
search reports it free exactly when it lies in opening hours (checked here on
local wall-clock time, independently of the implementation), meets no closure
of the venue, the space or an ancestor, and PostgreSQL accepts a booking of it
(inserted inside a savepoint and rolled back). Alternatives offered on a
conflict pass the same checks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests.conftest import make_organization, make_space, make_user, make_venue
from venueos.bookings.availability import (
    grid_ceil,
    grid_floor,
    space_availability,
)
from venueos.bookings.models import Booking
from venueos.bookings.suggestions import suggest_alternatives
from venueos.common.timeutils import local_wall_time, on_grid
from venueos.venues.models import Closure, OpeningHours

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata"]
DAYS = [
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 6, 17),
]
# Opening-hour boundaries stay out of the hours the clocks skip or repeat
# (01:00-03:00 local), where "02:30 local" names no instant or two of them.
HOURS = [0, *range(4, 25)]
STEP = timedelta(minutes=15)


class _Rollback(Exception):
    pass


def _db_accepts(space, user, start, end) -> bool:
    try:
        with transaction.atomic():
            Booking.objects.create(
                venue_id=space.venue_id,
                space=space,
                user=user,
                created_by=user,
                start_time=start,
                end_time=end,
                title="probe",
            )
            raise _Rollback
    except _Rollback:
        return True
    except IntegrityError:
        return False


def _open(hours, zone, start, end) -> bool:
    """Every moment of [start, end) has a local wall time inside an opening row
    of its local weekday (rows are whole hours, so 15-minute probes suffice)."""
    if not hours:
        return True
    moment = start
    while moment < end:
        local = moment.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if not any(
            opens <= minute < closes for opens, closes in hours.get(local.weekday(), [])
        ):
            return False
        moment += STEP
    return True


@st.composite
def scenarios(draw):
    size = draw(st.integers(1, 4))
    parents = [None] + [
        draw(st.none() | st.integers(0, index - 1)) for index in range(1, size)
    ]
    if draw(st.integers(0, 3)) == 0:
        hours = []
    else:
        bounds = sorted(
            draw(st.lists(st.sampled_from(HOURS), min_size=2, max_size=4, unique=True))
        )
        bounds = bounds[: len(bounds) // 2 * 2]
        hours = [(bounds[i] * 60, bounds[i + 1] * 60) for i in range(0, len(bounds), 2)]
    closures = draw(
        st.lists(
            st.tuples(
                st.none() | st.integers(0, size - 1),
                st.integers(-120, 25 * 60),
                st.integers(1, 600),
            ),
            max_size=3,
        )
    )
    bookings = draw(
        st.lists(
            st.tuples(st.integers(0, size - 1), st.integers(0, 47), st.integers(1, 6)),
            max_size=6,
        )
    )
    return {
        "zone": draw(st.sampled_from(ZONES)),
        "day": draw(st.sampled_from(DAYS)),
        "slot": draw(st.sampled_from([30, 60])),
        "parents": parents,
        "hours": hours,
        "closures": closures,
        "bookings": bookings,
        "request": (
            draw(st.integers(0, size - 1)),
            draw(st.integers(0, 47)),
            draw(st.integers(1, 4)),
        ),
    }


class AvailabilityAgreesWithTheDatabase(TestCase):
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(scenarios())
    def test_free_slots_are_exactly_the_bookable_slots(self, scenario):
        slot = scenario["slot"]
        zone = ZoneInfo(scenario["zone"])
        venue = make_venue(
            make_organization(),
            timezone=scenario["zone"],
            slot_minutes=slot,
            min_duration_minutes=slot,
            max_duration_minutes=8 * 60,
        )
        user = make_user()
        spaces = []
        for index, parent in enumerate(scenario["parents"]):
            spaces.append(
                make_space(
                    venue,
                    parent=None if parent is None else spaces[parent],
                    capacity=10 + index,
                )
            )
        hours = {weekday: list(scenario["hours"]) for weekday in range(7)}
        if not scenario["hours"]:
            hours = {}
        OpeningHours.objects.bulk_create(
            OpeningHours(venue=venue, weekday=w, opens_minute=o, closes_minute=c)
            for w, rows in hours.items()
            for o, c in rows
        )
        day_start = local_wall_time(scenario["day"], 0, zone)
        day_end = local_wall_time(scenario["day"] + timedelta(days=1), 0, zone)
        closures = []
        for index, offset, minutes in scenario["closures"]:
            start = day_start + timedelta(minutes=offset)
            closures.append(
                Closure.objects.create(
                    venue=venue,
                    space=None if index is None else spaces[index],
                    start_time=start,
                    end_time=start + timedelta(minutes=minutes),
                )
            )
        for index, first, length in scenario["bookings"]:
            start = day_start + first * slot * timedelta(minutes=1)
            _db_accepts_and_keep(spaces[index], user, start, length * slot)

        lineage = {}
        for index, space in enumerate(spaces):
            chain, parent = {space.id}, scenario["parents"][index]
            while parent is not None:
                chain.add(spaces[parent].id)
                parent = scenario["parents"][parent]
            lineage[space.id] = chain

        def closed(space, start, end):
            return any(
                (c.space_id is None or c.space_id in lineage[space.id])
                and c.start_time < end
                and start < c.end_time
                for c in closures
            )

        results = space_availability(
            spaces=spaces, start=day_start, end=day_end, duration_minutes=slot, now=NOW
        )
        length = timedelta(minutes=slot)
        for result in results:
            space = result.space
            reported = [(s.start_time, s.end_time) for s in result.available_slots]
            for (_, end), (next_start, _) in zip(reported, reported[1:], strict=False):
                assert end < next_start, "free intervals must be maximal"
            for start, end in reported:
                assert on_grid(start, zone, slot) and on_grid(end, zone, slot)
                assert day_start <= start and end <= day_end and end - start >= length
            if reported:
                assert result.next_available == reported[0][0]
            moment = day_start
            while moment + length <= day_end:
                end = moment + length
                if on_grid(moment, zone, slot) and on_grid(end, zone, slot):
                    is_reported = any(s <= moment and end <= e for s, e in reported)
                    bookable = (
                        _open(hours, zone, moment, end)
                        and not closed(space, moment, end)
                        and _db_accepts(space, user, moment, end)
                    )
                    assert is_reported == bookable, (space.name, moment, reported)
                moment += STEP

        index, first, slots = scenario["request"]
        start = day_start + first * length
        suggestions = suggest_alternatives(
            space=spaces[index],
            start=start,
            end=start + slots * length,
            attendee_count=10 + index,
            now=NOW,
        )
        by_id = {space.id: space for space in spaces}
        assert len(suggestions) <= 5
        for suggestion in suggestions:
            space = by_id[suggestion["space_id"]]
            begin, finish = suggestion["start_time"], suggestion["end_time"]
            assert finish - begin == slots * length
            assert suggestion["duration_minutes"] == slots * slot
            assert space.capacity >= 10 + index
            assert on_grid(begin, zone, slot) and on_grid(finish, zone, slot)
            assert begin >= NOW and abs(begin - start) <= timedelta(days=7)
            assert _open(hours, zone, begin, finish)
            assert not closed(space, begin, finish)
            assert _db_accepts(space, user, begin, finish)


def _db_accepts_and_keep(space, user, start, minutes) -> None:
    try:
        with transaction.atomic():
            Booking.objects.create(
                venue_id=space.venue_id,
                space=space,
                user=user,
                created_by=user,
                start_time=start,
                end_time=start + timedelta(minutes=minutes),
                title="existing",
            )
    except IntegrityError:
        pass


# --- the grid alone (no database) -----------------------------------------------------

TRANSITIONS = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
]
DIVISORS = [d for d in range(1, 241) if 1440 % d == 0]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]),
    anchor=st.sampled_from(TRANSITIONS),
    seconds=st.integers(-6 * 3600, 6 * 3600),
    slot=st.sampled_from(DIVISORS),
)
def test_grid_ceil_and_floor_match_a_minute_by_minute_walk(zone, anchor, seconds, slot):
    tz = ZoneInfo(zone)
    instant = anchor + timedelta(seconds=seconds)
    up, down = grid_ceil(instant, tz, slot), grid_floor(instant, tz, slot)
    walk = instant.replace(second=0, microsecond=0)
    if walk < instant:
        walk += timedelta(minutes=1)
    while not on_grid(walk, tz, slot):
        walk += timedelta(minutes=1)
    assert up == walk
    walk = instant.replace(second=0, microsecond=0)
    while not on_grid(walk, tz, slot):
        walk -= timedelta(minutes=1)
    assert down == walk
