"""Availability agrees with the database, for random trees, hours, closures,
buffers and bookings in a dozen time zones (hypothesis).

For every grid slot of every space in a local day (DST days of both directions
included), the search reports it free exactly when it lies in opening hours
(checked here on local wall-clock time, independently of the implementation),
meets no closure of the venue, the space or an ancestor, and PostgreSQL
accepts a booking of it (inserted inside a savepoint and rolled back; the
claims trigger widens it by the space's buffers). Alternatives offered on a
conflict pass the same checks. A daily series across the day keeps its local
wall time and creates exactly the occurrences a single booking could have,
skipping the others with the right reason. The utilization report's open and
booked minutes equal a minute-by-minute count.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests.conftest import make_organization, make_space, make_user, make_venue
from venueos.accounts.models import Role
from venueos.bookings.availability import (
    grid_ceil,
    grid_floor,
    space_availability,
)
from venueos.bookings.models import Booking
from venueos.bookings.series import Recurrence, booking_series_create
from venueos.bookings.suggestions import suggest_alternatives
from venueos.common.problems import Problem
from venueos.common.timeutils import local_wall_time, on_grid
from venueos.reports.selectors import utilization_report
from venueos.venues.models import Closure, OpeningHours

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/St_Johns",  # -3:30, DST
    "America/Santiago",  # southern hemisphere, changes at midnight
    "Australia/Lord_Howe",  # 30-minute DST
    "Australia/Sydney",
    "Pacific/Chatham",  # +12:45, DST at 02:45
    "Asia/Kathmandu",  # +5:45
    "Asia/Kolkata",  # +5:30
    "Asia/Tehran",  # +3:30
    "Africa/Casablanca",  # DST switched off for Ramadan
]


def _offset_changes(zone_name: str, year: int = 2026) -> list[date]:
    """The local days of `year` on which the zone's UTC offset changes (from
    one local midnight to the next), found from the zone's own rules."""
    zone = ZoneInfo(zone_name)
    day, found = date(year, 1, 2), []
    while day.year == year:
        following = day + timedelta(days=1)
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        next_midnight = datetime(
            following.year, following.month, following.day, tzinfo=zone
        )
        if midnight.utcoffset() != next_midnight.utcoffset():
            found.append(day)
        day = following
    return found


# Per zone: every DST day of 2026 (both directions) and an ordinary day.
DAYS = {zone: [*_offset_changes(zone), date(2026, 6, 17)] for zone in ZONES}
BUFFERS = [0, 0, 15, 30, 60, 90]
# Opening-hour boundaries stay out of the hours the clocks skip or repeat
# (between 01:00 and 04:00 local in these zones; America/Santiago changes at
# midnight, where 00:00 and 24:00 still name one instant each), where "02:30
# local" names no instant or two of them.
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


def _open_at(hours, zone, moment) -> bool:
    if not hours:
        return True
    local = moment.astimezone(zone)
    minute = local.hour * 60 + local.minute
    return any(
        opens <= minute < closes for opens, closes in hours.get(local.weekday(), [])
    )


def _open(hours, zone, start, end) -> bool:
    """Every moment of [start, end) has a local wall time inside an opening row
    of its local weekday (rows are whole hours, so 15-minute probes suffice)."""
    moment = start
    while moment < end:
        if not _open_at(hours, zone, moment):
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
    zone = draw(st.sampled_from(ZONES))
    return {
        "zone": zone,
        "day": draw(st.sampled_from(DAYS[zone])),
        "buffers": [
            (draw(st.sampled_from(BUFFERS)), draw(st.sampled_from(BUFFERS)))
            for _ in range(size)
        ],
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
            before, after = scenario["buffers"][index]
            spaces.append(
                make_space(
                    venue,
                    parent=None if parent is None else spaces[parent],
                    capacity=10 + index,
                    buffer_before_minutes=before,
                    buffer_after_minutes=after,
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

        self._check_report(venue, spaces, scenario, hours, closed)
        self._check_series(spaces[index], user, start, slots * length, hours, closed)

    def _check_report(self, venue, spaces, scenario, hours, closed):
        """Open and booked minutes, minute by minute, against the report."""
        zone = ZoneInfo(scenario["zone"])
        day = scenario["day"]
        day_start = local_wall_time(day, 0, zone)
        day_end = local_wall_time(day + timedelta(days=1), 0, zone)
        manager = make_user(Role.MANAGER, organization=venue.organization)
        report = {
            row[0]: row
            for row in utilization_report(
                venue, user=manager, start_date=day, end_date=day
            )
        }
        minute = timedelta(minutes=1)
        for space in spaces:
            booked = list(
                Booking.objects.filter(
                    space=space, status__in=["pending", "confirmed"]
                ).values_list("start_time", "end_time")
            )
            open_minutes = booked_minutes = 0
            moment = day_start
            while moment < day_end:
                if _open_at(hours, zone, moment) and not closed(
                    space, moment, moment + minute
                ):
                    open_minutes += 1
                    if any(s <= moment < e for s, e in booked):
                        booked_minutes += 1
                moment += minute
            _, _, date_text, reported_open, reported_booked, _ = report[str(space.id)]
            assert date_text == day.isoformat()
            assert (reported_open, reported_booked) == (open_minutes, booked_minutes), (
                space.name
            )

    def _check_series(self, space, user, first_start, length, hours, closed):
        """A daily series from the day before the world's day to the day after,
        at the request's local time: each occurrence keeps it, and is created
        exactly when a single booking of it would have been."""
        zone = ZoneInfo(space.venue.timezone)
        start = first_start - timedelta(days=1)
        probes = {}
        local = start.astimezone(zone).replace(tzinfo=None)
        wall = (start + length).astimezone(zone).replace(tzinfo=None) - local

        def ambiguous(naive) -> bool:
            return (
                naive.replace(tzinfo=zone, fold=0).utcoffset()
                != naive.replace(tzinfo=zone, fold=1).utcoffset()
            )

        if wall <= timedelta(0) or any(
            ambiguous(local + timedelta(days=offset))
            or ambiguous(local + timedelta(days=offset) + wall)
            for offset in range(3)
        ):
            # A start or end in the hour the clocks go back over (or a wall
            # duration the fold makes empty) names two instants; the probes
            # below assume one. Series over such times are the series tests'.
            return
        for offset in range(3):
            naive = local + timedelta(days=offset)
            begin = naive.replace(tzinfo=zone).astimezone(UTC)
            finish = (naive + wall).replace(tzinfo=zone).astimezone(UTC)
            exists = all(
                moment.astimezone(zone).replace(tzinfo=None) == wall_time
                for moment, wall_time in ((begin, naive), (finish, naive + wall))
            )
            probes[begin] = (finish, exists)
        with mock.patch("venueos.bookings.series.timezone.now", return_value=NOW):
            try:
                _, bookings, skipped = booking_series_create(
                    actor=user,
                    space=space,
                    start_time=start,
                    end_time=start + length,
                    title="series",
                    recurrence=Recurrence(freq="daily", count=3),
                    on_conflict="skip",
                    attendee_count=1,
                )
            except Problem as exc:  # nothing left: every occurrence refused
                assert exc.status in (400, 409), exc
                assert len(exc.extra["occurrences"]) == 3
                return
        assert len(bookings) + len(skipped) == 3
        created = {b.start_time: b for b in bookings}
        for booking in bookings:
            wall_start = booking.start_time.astimezone(zone)
            assert (wall_start.hour, wall_start.minute) == (local.hour, local.minute)
            assert (
                booking.end_time.astimezone(zone).replace(tzinfo=None)
                - (wall_start.replace(tzinfo=None))
                == wall
            )
            assert _open(hours, zone, booking.start_time, booking.end_time)
            assert not closed(space, booking.start_time, booking.end_time)
        for item in skipped:
            finish, exists = probes[item.start]
            assert item.start not in created
            if item.reason == "nonexistent-local-time":
                assert not exists
            elif item.reason == "booking-conflict":
                assert not _db_accepts(space, user, item.start, item.end)
            elif item.reason == "outside-opening-hours":
                assert not _open(hours, zone, item.start, item.end)
            elif item.reason == "in-closure":
                assert closed(space, item.start, item.end)
            elif item.reason == "in-the-past":
                assert item.start < NOW
            elif item.reason == "off-grid":
                slot = space.venue.slot_minutes
                assert not (
                    on_grid(item.start, zone, slot) and on_grid(item.end, zone, slot)
                )
            elif item.reason in {"duration-too-short", "duration-too-long"}:
                minutes = (item.end - item.start) / timedelta(minutes=1)
                venue = space.venue
                assert not (
                    venue.min_duration_minutes <= minutes <= venue.max_duration_minutes
                )
            else:
                assert item.reason == "overlaps-series", item.reason


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
