"""Cached free-time answers are never stale: the data version behind
`venueos/common/readcache.py`, and searches racing bookings across the two
worker processes of a real `venueos serve`."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta

import httpx
import pytest
from django.db import transaction

from tests.bookings.helpers import at, future_day, iso
from tests.conftest import (
    PASSWORD,
    make_organization,
    make_space,
    make_user,
    make_venue,
)
from tests.servers import database_url, serve
from venueos.accounts.models import Role
from venueos.accounts.services import token_create
from venueos.bookings.services import booking_cancel, booking_create
from venueos.common.readcache import VersionedCache
from venueos.venues.models import Closure, OpeningHours, Venue
from venueos.venues.selectors import data_version

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setting():
    organization = make_organization()
    manager = make_user(role=Role.MANAGER, organization=organization)
    venue = make_venue(
        organization,
        slot_minutes=30,
        min_duration_minutes=30,
        max_active_bookings_per_customer=None,
    )
    room = make_space(venue, name="Room", capacity=10)
    return organization, manager, venue, room


def test_every_change_a_free_time_answer_depends_on_bumps_the_version(setting):
    _, manager, venue, room = setting
    customer = make_user()
    seen = [data_version(venue_id=venue.id)]

    def bumped() -> None:
        seen.append(data_version(venue_id=venue.id))
        assert seen[-1] > seen[-2], seen

    assert data_version(space_id=room.id) == seen[0] is not None
    day = future_day(10)
    booking = booking_create(
        actor=customer,
        space=room,
        start_time=at(day, "10:00"),
        end_time=at(day, "11:00"),
        title="t",
    )
    bumped()
    booking_cancel(actor=customer, booking=booking, reason="")
    bumped()
    closure = Closure.objects.create(
        venue=venue, start_time=at(day, "12:00"), end_time=at(day, "13:00")
    )
    bumped()
    closure.delete()
    bumped()
    OpeningHours.objects.create(
        venue=venue, weekday=0, opens_minute=480, closes_minute=1020
    )
    bumped()
    room.buffer_after_minutes = 15
    room.save()
    bumped()
    Venue.objects.filter(pk=venue.pk).update(booking_horizon_days=30)
    bumped()
    # A rolled-back change bumps nothing.
    with transaction.atomic():
        Closure.objects.create(
            venue=venue, start_time=at(day, "14:00"), end_time=at(day, "15:00")
        )
        transaction.set_rollback(True)
    assert data_version(venue_id=venue.id) == seen[-1]
    # One transaction bumps once, however many rows it writes.
    with transaction.atomic():
        for hour in (14, 15, 16):
            Closure.objects.create(
                venue=venue,
                start_time=at(day, f"{hour}:00"),
                end_time=at(day, f"{hour}:30"),
            )
    bumped()


def test_unknown_ids_have_no_version(db):
    import uuid

    assert data_version(venue_id=uuid.uuid4()) is None
    assert data_version(space_id=uuid.uuid4()) is None


def test_a_repeated_search_costs_one_query_until_something_changes(
    setting, django_assert_num_queries
):
    from django.test import Client

    _, _, venue, room = setting
    make_space(venue, name="Other room", capacity=4)
    day = future_day(9)
    params = {
        "venue_id": str(venue.id),
        "start_time": iso(at(day, "00:00")),
        "end_time": iso(at(day, "00:00") + timedelta(days=7)),
    }
    client = Client()
    first = client.get("/api/v1/availability/search", params)
    assert first.status_code == 200
    with django_assert_num_queries(1):  # the data version
        again = client.get("/api/v1/availability/search", params)
    assert again.content == first.content
    booking_create(
        actor=make_user(),
        space=room,
        start_time=at(day, "10:00"),
        end_time=at(day, "11:00"),
        title="t",
    )
    # Claims changed, the layout did not: version, layout version, claims.
    with django_assert_num_queries(3):
        after = client.get("/api/v1/availability/search", params)
    assert after.content != first.content


def test_identical_concurrent_computations_run_once():
    cache = VersionedCache("test")
    release = threading.Event()
    calls = []

    def compute():
        calls.append(1)
        release.wait(5)
        return ["answer"]

    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(cache.get_or_compute(lambda: 7, "k", compute))
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(calls) == 1
    assert results == [["answer"]] * 8
    # Same key, new version: computed again.
    assert cache.get_or_compute(lambda: 8, "k", lambda: ["new"]) == ["new"]
    assert cache.get_or_compute(lambda: 7, "k", lambda: ["other"]) == ["answer"]


def test_failures_are_not_cached_and_transactions_bypass_the_cache():
    cache = VersionedCache("test", max_entries=2)

    def fail():
        raise ValueError("boom")

    with pytest.raises(ValueError):
        cache.get_or_compute(lambda: 1, "k", fail)
    assert cache.get_or_compute(lambda: 1, "k", lambda: "ok") == "ok"
    with transaction.atomic():
        assert cache.get_or_compute(lambda: 1, "k", lambda: "fresh") == "fresh"
    for key in ("a", "b", "c"):
        cache.get_or_compute(lambda: 1, key, lambda: "filler")
    assert cache.get_or_compute(lambda: 1, "k", lambda: "evicted") == "evicted"


def _cache_hits(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return sum(
        float(value)
        for value in re.findall(
            r'venueos_read_cache_total\{cache="availability",outcome="(?:hit|shared)"\}'
            r" (\S+)",
            text,
        )
    )


def test_searches_racing_bookings_across_processes_never_see_a_booked_slot(setting):
    """Two worker processes, each with its own cache; 4 threads search one
    space's week over and over (the same question, so mostly cache hits) while
    2 threads book its free hours one after another. Every search sent after a
    booking's 201 arrived must not offer that booking's time."""
    _, _, venue, room = setting
    customers = [make_user(email=f"racer{i}@example.org") for i in range(2)]
    tokens = [token_create(email=c.email, password=PASSWORD)[1] for c in customers]
    day = future_day(12)
    window = {
        "space_id": str(room.id),
        "start_time": iso(at(day, "00:00")),
        "end_time": iso(at(day, "00:00") + timedelta(days=7)),
    }
    hours = [at(day, "00:00") + timedelta(hours=h) for h in range(0, 7 * 24, 3)]
    db_url = database_url()
    booked: list[tuple[float, datetime, datetime]] = []  # (201 received, start, end)
    searches: list[tuple[float, list[dict]]] = []  # (sent, free slots)
    stop = threading.Event()
    errors: list[str] = []

    def booker(index: int) -> None:
        with httpx.Client(
            timeout=20, headers={"Authorization": f"Bearer {tokens[index]}"}
        ) as client:
            for start in hours[index::2]:
                body = {
                    "space_id": str(room.id),
                    "start_time": iso(start),
                    "end_time": iso(start + timedelta(hours=1)),
                    "title": "race",
                }
                response = client.post(f"{base}/api/v1/bookings/", json=body)
                if response.status_code != 201:
                    errors.append(f"booking {response.status_code}: {response.text}")
                    return
                booked.append((time.monotonic(), start, start + timedelta(hours=1)))

    def searcher() -> None:
        with httpx.Client(timeout=20) as client:
            while not stop.is_set():
                sent = time.monotonic()
                response = client.get(
                    f"{base}/api/v1/availability/search", params=window
                )
                if response.status_code != 200:
                    errors.append(f"search {response.status_code}: {response.text}")
                    return
                searches.append((sent, response.json()[0]["available_slots"]))

    with serve(db_url, workers=2) as base:
        hits_before = _cache_hits(base)
        search_threads = [threading.Thread(target=searcher) for _ in range(4)]
        book_threads = [threading.Thread(target=booker, args=(i,)) for i in range(2)]
        for thread in search_threads + book_threads:
            thread.start()
        for thread in book_threads:
            thread.join(120)
        time.sleep(0.5)
        stop.set()
        for thread in search_threads:
            thread.join(30)
        hits = _cache_hits(base) - hits_before

    assert not errors, errors[:3]
    assert len(booked) == len(hours)
    assert hits > 0, "the searches never used the cache: this test proves nothing"
    checked = 0
    for sent, slots in searches:
        for acknowledged, start, end in booked:
            if acknowledged < sent:
                checked += 1
                offered = [
                    slot
                    for slot in slots
                    if datetime.fromisoformat(slot["start_time"]) <= start
                    and end <= datetime.fromisoformat(slot["end_time"])
                ]
                assert not offered, (
                    f"a search sent {sent - acknowledged:.3f}s after booking "
                    f"{start}-{end} was acknowledged still offered it: {offered}"
                )
    assert checked > len(hours)


def test_a_409_reads_the_venues_versions_once(setting):
    """The create reads the venue's versions with its layout; the refusal's
    suggestions key on that same read instead of asking again (twice, before)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from venueos.bookings.conflicts import BookingConflict

    _, _, venue, room = setting
    make_space(venue, name="Other room", capacity=10)
    day = future_day(9)
    slot = {"start_time": at(day, "10:00"), "end_time": at(day, "11:00")}
    booking_create(actor=make_user(), space=room, title="first", **slot)
    late = make_user()
    with (
        CaptureQueriesContext(connection) as captured,
        pytest.raises(BookingConflict) as refused,
    ):
        booking_create(actor=late, space_id=room.id, title="late", **slot)
    assert refused.value.extra["suggested_alternatives"]
    version_reads = [
        query
        for query in captured.captured_queries
        if "venues_dataversion" in query["sql"]
    ]
    assert len(version_reads) == 1


def test_the_losers_of_a_rush_share_one_read_of_the_taken_time(setting):
    """At the same data version a repeated refusal does not read the taken
    time again; once the winner is cancelled (the version moves) the time is
    free again at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from venueos.bookings.conflicts import BookingConflict
    from venueos.bookings.services import booking_update

    _, _, venue, room = setting
    day = future_day(11)
    slot = {"start_time": at(day, "10:00"), "end_time": at(day, "11:00")}
    winner = make_user()
    first = booking_create(actor=winner, space=room, title="first", **slot)
    taken_time_reads = []
    for _ in range(3):
        with (
            CaptureQueriesContext(connection) as captured,
            pytest.raises(BookingConflict) as refused,
        ):
            booking_create(actor=make_user(), space_id=room.id, title="late", **slot)
        conflicting = refused.value.extra["conflicting_booking"]
        assert conflicting["start_time"]
        # Another customer learns the time is taken, not whose or what.
        assert "id" not in conflicting and "title" not in conflicting
        taken_time_reads.append(
            sum(
                "c.booking_id FROM bookings_bookingclaim" in query["sql"]
                for query in captured.captured_queries
            )
        )
    assert taken_time_reads == [1, 0, 0]
    # A new title changes no claim and no version: the winner's own refusal
    # still names the booking as it is now.
    booking_update(actor=winner, booking=first, title="renamed")
    with pytest.raises(BookingConflict) as own:
        booking_create(actor=winner, space_id=room.id, title="again", **slot)
    assert own.value.extra["conflicting_booking"]["id"] == str(first.id)
    assert own.value.extra["conflicting_booking"]["title"] == "renamed"
    first.refresh_from_db()
    booking_cancel(actor=winner, booking=first, reason="freed")
    retry = booking_create(actor=make_user(), space_id=room.id, title="late", **slot)
    assert retry.start_time == slot["start_time"]
