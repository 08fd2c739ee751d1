"""Recurring bookings: local wall time across DST, all-or-nothing (`fail`) or
the rest (`skip`), every rule of a single booking, one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.bookings.helpers import at, future_day, iso, next_dst_change, utc
from tests.conftest import (
    ACTOR_KINDS,
    client_for,
    make_actor,
    make_space,
    make_user,
    make_venue,
    refusal_for,
)
from venueos.audit.models import AuditEntry
from venueos.bookings.models import Booking, BookingSeries
from venueos.bookings.series import (
    Recurrence,
    booking_series_cancel,
    booking_series_create,
)
from venueos.integrity import overlapping_bookings
from venueos.venues.models import Closure, Venue

pytestmark = pytest.mark.django_db


def post_series(client, space, start, end, recurrence, headers=None, **extra):
    body = {
        "space_id": str(space.id),
        "start_time": iso(start),
        "end_time": iso(end),
        "title": "Weekly sync",
        "recurrence": recurrence,
        **extra,
    }
    return client.post(
        "/api/v1/bookings/series/", body, format="json", **(headers or {})
    )


def local_times(bookings, zone):
    return [
        (
            datetime.fromisoformat(b["start_time"]).astimezone(ZoneInfo(zone)),
            datetime.fromisoformat(b["end_time"]).astimezone(ZoneInfo(zone)),
        )
        for b in bookings
    ]


@pytest.fixture
def room(venue):
    return make_space(venue, name="Room")


# --- local wall time across DST -------------------------------------------------------


@pytest.mark.parametrize("spring", [True, False])
@pytest.mark.parametrize(
    ("zone", "offset_change"),
    [("Europe/London", 60), ("Australia/Lord_Howe", 30), ("America/Santiago", 60)],
)
def test_a_weekly_series_keeps_its_local_wall_time_across_dst(
    org, customer, zone, offset_change, spring
):
    venue = make_venue(org, timezone=zone)
    room = make_space(venue)
    change = next_dst_change(zone, spring=spring)
    first = change - timedelta(days=14)
    response = post_series(
        client_for(customer),
        room,
        at(first, "09:00", zone),
        at(first, "10:00", zone),
        {"freq": "weekly", "count": 5},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["skipped"] == []
    assert len(body["bookings"]) == 5
    locals_ = local_times(body["bookings"], zone)
    for index, (start, end) in enumerate(locals_):
        assert start.date() == first + timedelta(weeks=index)
        assert (start.hour, start.minute, end.hour, end.minute) == (9, 0, 10, 0)
    # The instants moved by the offset change, in the right direction.
    before = datetime.fromisoformat(body["bookings"][0]["start_time"])
    after = datetime.fromisoformat(body["bookings"][-1]["start_time"])
    shift = (after - before) - timedelta(weeks=4)
    assert shift == timedelta(minutes=-offset_change if spring else offset_change)
    assert {b["series_id"] for b in body["bookings"]} == {body["id"]}
    assert body["recurrence"] == {
        "freq": "weekly",
        "interval": 1,
        "count": 5,
        "until": None,
        "byweekday": None,
    }


def test_a_daily_series_refuses_a_local_time_the_clocks_skip(org, customer):
    zone = "Europe/Berlin"
    venue = make_venue(org, timezone=zone)
    room = make_space(venue)
    change = next_dst_change(zone, spring=True)
    first = change - timedelta(days=1)
    client = client_for(customer)
    response = post_series(
        client,
        room,
        at(first, "02:30", zone),
        at(first, "03:30", zone),
        {"freq": "daily", "count": 3},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"].endswith("/nonexistent-local-time")
    assert len(body["occurrences"]) == 1
    assert body["occurrences"][0]["reason"] == "nonexistent-local-time"
    assert not Booking.objects.exists() and not BookingSeries.objects.exists()
    response = post_series(
        client,
        room,
        at(first, "02:30", zone),
        at(first, "03:30", zone),
        {"freq": "daily", "count": 3},
        on_conflict="skip",
    )
    assert response.status_code == 201
    body = response.json()
    assert [s["reason"] for s in body["skipped"]] == ["nonexistent-local-time"]
    days = [s.date() for s, _ in local_times(body["bookings"], zone)]
    assert days == [first, first + timedelta(days=2)]


def test_monthly_and_byweekday_rules(room, customer):
    day = future_day(20)
    monday = day + timedelta(days=(7 - day.weekday()) % 7)
    response = post_series(
        client_for(customer),
        room,
        at(monday, "12:00"),
        at(monday, "13:00"),
        {
            "freq": "weekly",
            "until": (monday + timedelta(days=13)).isoformat(),
            "byweekday": [0, 2, 4],
        },
    )
    assert response.status_code == 201, response.json()
    days = [
        s.date() for s, _ in local_times(response.json()["bookings"], "Europe/Berlin")
    ]
    assert days == [monday + timedelta(days=n) for n in (0, 2, 4, 7, 9, 11)]
    response = post_series(
        client_for(customer),
        room,
        at(monday, "15:00"),
        at(monday, "16:00"),
        {"freq": "monthly", "interval": 2, "count": 3},
    )
    assert response.status_code == 201
    starts = [s for s, _ in local_times(response.json()["bookings"], "Europe/Berlin")]
    assert [(s.month - monday.month) % 12 for s in starts] == [0, 2, 4]
    assert {s.day for s in starts} == {monday.day} or monday.day > 28


# --- all or nothing, or the rest ---------------------------------------------------


@pytest.fixture
def blocked_series(room, customer, venue):
    """A weekly series of 6 whose 3rd occurrence collides with a booking and
    whose 5th falls in a closure."""
    first = future_day(21)
    other = make_user()
    Booking.objects.create(
        venue=venue,
        space=room,
        user=other,
        created_by=other,
        start_time=at(first + timedelta(weeks=2), "09:30"),
        end_time=at(first + timedelta(weeks=2), "10:30"),
        title="in the way",
    )
    Closure.objects.create(
        venue=venue,
        start_time=at(first + timedelta(weeks=4), "00:00"),
        end_time=at(first + timedelta(weeks=4, days=1), "00:00"),
        reason="Cleaning",
    )
    return first


def test_fail_creates_nothing_and_lists_every_refused_occurrence(
    room, customer, blocked_series
):
    first = blocked_series
    response = post_series(
        client_for(customer),
        room,
        at(first, "09:00"),
        at(first, "10:00"),
        {"freq": "weekly", "count": 6},
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/booking-conflict")
    assert [(o["start_time"], o["reason"]) for o in body["occurrences"]] == [
        (utc(at(first + timedelta(weeks=2), "09:00")), "booking-conflict"),
        (utc(at(first + timedelta(weeks=4), "09:00")), "in-closure"),
    ]
    assert body["occurrences"][0]["conflicting_booking"]["start_time"] == utc(
        at(first + timedelta(weeks=2), "09:30")
    )
    assert "title" not in body["occurrences"][0]["conflicting_booking"]
    assert Booking.objects.count() == 1
    assert not BookingSeries.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="booking").exists()


def test_skip_creates_the_others_and_lists_the_skipped(room, customer, blocked_series):
    first = blocked_series
    response = post_series(
        client_for(customer),
        room,
        at(first, "09:00"),
        at(first, "10:00"),
        {"freq": "weekly", "count": 6},
        on_conflict="skip",
    )
    assert response.status_code == 201
    body = response.json()
    assert len(body["bookings"]) == 4
    assert [(s["start_time"], s["reason"]) for s in body["skipped"]] == [
        (utc(at(first + timedelta(weeks=2), "09:00")), "booking-conflict"),
        (utc(at(first + timedelta(weeks=4), "09:00")), "in-closure"),
    ]
    series = BookingSeries.objects.get(pk=body["id"])
    assert series.bookings.count() == 4
    assert AuditEntry.objects.filter(action="booking.created").count() == 4
    assert AuditEntry.objects.filter(
        action="booking_series.created", entity_id=series.id
    ).exists()
    assert overlapping_bookings() == []


def test_skip_with_nothing_left_is_refused_like_fail(room, customer):
    past = timezone.now().date() - timedelta(days=30)
    response = post_series(
        client_for(customer),
        room,
        at(past, "09:00"),
        at(past, "10:00"),
        {"freq": "daily", "count": 3},
        on_conflict="skip",
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/in-the-past")
    assert len(response.json()["occurrences"]) == 3
    assert not BookingSeries.objects.exists()


def test_occurrences_that_meet_each_other_through_buffers_are_refused(org, customer):
    venue = make_venue(org, max_duration_minutes=1440)
    room = make_space(venue, buffer_before_minutes=60, buffer_after_minutes=0)
    day = future_day(30)
    response = post_series(
        client_for(customer),
        room,
        at(day, "00:00"),
        at(day + timedelta(days=1), "00:00"),
        {"freq": "daily", "count": 3},
        on_conflict="skip",
    )
    assert response.status_code == 201
    body = response.json()
    assert len(body["bookings"]) == 2
    assert [s["reason"] for s in body["skipped"]] == ["overlaps-series"]
    assert overlapping_bookings() == []


def test_a_space_that_needs_approval_makes_every_occurrence_pending(venue, customer):
    room = make_space(venue, requires_approval=True)
    day = future_day(25)
    response = post_series(
        client_for(customer),
        room,
        at(day, "09:00"),
        at(day, "10:00"),
        {"freq": "daily", "count": 3},
    )
    assert response.status_code == 201
    assert {b["status"] for b in response.json()["bookings"]} == {"pending"}


@pytest.mark.parametrize(
    ("recurrence", "field"),
    [
        ({"freq": "weekly", "count": 201}, "count"),
        ({"freq": "weekly", "count": 0}, "count"),
        ({"freq": "weekly"}, ""),
        ({"freq": "weekly", "count": 2, "until": "2030-01-01"}, ""),
        ({"freq": "yearly", "count": 2}, "freq"),
        ({"freq": "weekly", "count": 2, "byweekday": [7]}, "byweekday"),
        ({"freq": "weekly", "count": 2, "byweekday": []}, "byweekday"),
        ({"freq": "weekly", "count": 2, "interval": 0}, "interval"),
    ],
)
def test_bad_rules_are_400s(room, customer, recurrence, field):
    day = future_day(20)
    response = post_series(
        client_for(customer), room, at(day, "09:00"), at(day, "10:00"), recurrence
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    key = f"recurrence.{field}" if field else "recurrence"
    assert any(name.startswith(key) for name in response.json()["errors"])


@pytest.mark.parametrize(
    "recurrence",
    [
        {"freq": "daily", "until": "2999-01-01"},  # more than 200
        {"freq": "monthly", "interval": 100, "count": 3},  # beyond ten years
        {"freq": "daily", "until": "2000-01-01"},  # before the first date
    ],
)
def test_rules_reaching_too_far_are_400s(room, customer, recurrence):
    day = future_day(20)
    response = post_series(
        client_for(customer), room, at(day, "09:00"), at(day, "10:00"), recurrence
    )
    assert response.status_code == 400
    assert "recurrence" in response.json()["errors"]


def test_two_hundred_occurrences_cost_the_same_queries_as_ten(room, customer):
    # 211 bookings of one customer: far beyond the default per-customer limit.
    Venue.objects.filter(pk=room.venue_id).update(max_active_bookings_per_customer=None)
    client = client_for(customer)
    counts = []
    for count, start_day in (
        (1, future_day(3)),
        (10, future_day(5)),
        (200, future_day(20)),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = post_series(
                client,
                room,
                at(start_day, "07:00"),
                at(start_day, "07:30"),
                {"freq": "daily", "count": count},
            )
        assert response.status_code == 201, response.json()
        assert len(response.json()["bookings"]) == count
        counts.append(len(queries))
    assert counts[1] == counts[2], counts
    assert Booking.objects.count() == 211


# --- reading and cancelling -------------------------------------------------------


@pytest.fixture
def weekly(room, customer):
    first = future_day(10)
    response = post_series(
        client_for(customer),
        room,
        at(first, "09:00"),
        at(first, "10:00"),
        {"freq": "weekly", "count": 4},
    )
    assert response.status_code == 201
    return first, response.json()


def test_series_id_is_on_each_booking_and_null_on_single_ones(weekly, customer, room):
    _, body = weekly
    client = client_for(customer)
    booking = client.get(f"/api/v1/bookings/{body['bookings'][0]['id']}/").json()
    assert booking["series_id"] == body["id"]
    day = future_day(12)
    single = client.post(
        "/api/v1/bookings/",
        {
            "space_id": str(room.id),
            "start_time": iso(at(day, "15:00")),
            "end_time": iso(at(day, "16:00")),
            "title": "one-off",
        },
        format="json",
    ).json()
    assert single["series_id"] is None


def test_the_series_is_visible_to_its_owner_and_managers_only(
    weekly, customer, manager, other_manager
):
    _, body = weekly
    url = f"/api/v1/bookings/series/{body['id']}/"
    response = client_for(customer).get(url)
    assert response.status_code == 200
    assert [b["id"] for b in response.json()["bookings"]] == [
        b["id"] for b in body["bookings"]
    ]
    assert client_for(manager).get(url).status_code == 200
    assert client_for(make_user()).get(url).status_code == 404
    assert client_for(other_manager).get(url).status_code == 404
    assert client_for(make_user()).delete(url).status_code == 404
    assert client_for(None).get(url).status_code == 401


def test_cancelling_a_series_cancels_only_what_has_not_started(weekly, customer):
    _, body = weekly
    started = Booking.objects.get(pk=body["bookings"][0]["id"])
    # Its first occurrence has started already (moved into the past directly).
    Booking.objects.filter(pk=started.pk).update(
        start_time=timezone.now() - timedelta(minutes=30),
        end_time=timezone.now() + timedelta(minutes=30),
    )
    response = client_for(customer).delete(f"/api/v1/bookings/series/{body['id']}/")
    assert response.status_code == 204
    statuses = dict(
        Booking.objects.filter(series_id=body["id"]).values_list("id", "status")
    )
    assert statuses.pop(started.pk) == "confirmed"
    assert set(statuses.values()) == {"cancelled"}
    assert AuditEntry.objects.filter(action="booking.cancelled").count() == 3


def test_cancelling_from_a_date_on(weekly, manager):
    first, body = weekly
    third_day = first + timedelta(weeks=2)
    response = client_for(manager).delete(
        f"/api/v1/bookings/series/{body['id']}/?from={third_day.isoformat()}&reason=x"
    )
    assert response.status_code == 204
    rows = list(
        Booking.objects.filter(series_id=body["id"])
        .order_by("start_time")
        .values_list("status", "cancellation_reason")
    )
    assert rows == [
        ("confirmed", ""),
        ("confirmed", ""),
        ("cancelled", "x"),
        ("cancelled", "x"),
    ]
    assert AuditEntry.objects.filter(action="booking.admin_cancelled").count() == 2
    response = client_for(manager).delete(
        f"/api/v1/bookings/series/{body['id']}/?from=20x1-01-01"
    )
    assert response.status_code == 400


def test_the_series_post_honours_idempotency_keys(room, customer):
    client = client_for(customer)
    day = future_day(15)
    responses = [
        post_series(
            client,
            room,
            at(day, "09:00"),
            at(day, "10:00"),
            {"freq": "daily", "count": 3},
            headers={"HTTP_IDEMPOTENCY_KEY": "series-1"},
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert responses[1]["Idempotent-Replayed"] == "true"
    assert BookingSeries.objects.count() == 1 and Booking.objects.count() == 3


def test_the_first_occurrence_keeps_its_exact_instants(room, customer):
    day = future_day(9)
    start = at(day, "09:00").astimezone(UTC)
    response = post_series(
        client_for(customer),
        room,
        start,
        start + timedelta(hours=1),
        {"freq": "daily", "count": 2},
    )
    assert response.json()["bookings"][0]["start_time"] == utc(start)


# --- the services decide, with every kind of caller -----------------------------

EVERYONE_SIGNED_IN = set(ACTOR_KINDS) - {"anonymous"}


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_the_series_services_decide_who_may_act(kind, venue):
    room = make_space(venue)
    owner = make_user()
    actor = make_actor(kind, venue.organization, owner)
    day = future_day(33)
    before = (Booking.objects.count(), BookingSeries.objects.count())
    refusal = refusal_for(kind, EVERYONE_SIGNED_IN)
    create = lambda **extra: booking_series_create(  # noqa: E731
        actor=actor,
        space=room,
        start_time=at(day, "09:00"),
        end_time=at(day, "10:00"),
        title="Weekly",
        recurrence=Recurrence(freq="weekly", count=2),
        **extra,
    )
    if refusal is None:
        series, bookings, skipped = create()
        assert len(bookings) == 2 and skipped == []
    else:
        with pytest.raises(refusal):
            create()
        assert (Booking.objects.count(), BookingSeries.objects.count()) == before
    # For someone else: the venue's managers only.
    refusal = refusal_for(kind, {"owner", "manager", "admin"})
    day = future_day(34)
    for_owner = lambda: booking_series_create(  # noqa: E731
        actor=actor,
        space=room,
        start_time=at(day, "09:00"),
        end_time=at(day, "10:00"),
        title="For the owner",
        recurrence=Recurrence(freq="daily", count=2),
        owner_id=owner.id,
    )
    if refusal is None:
        series, _, _ = for_owner()
        assert series.user_id == owner.id
        # Cancelling: the owner and the venue's managers.
        assert len(booking_series_cancel(actor=actor, series=series)) == 2
    else:
        with pytest.raises(refusal):
            for_owner()
        series, _, _ = booking_series_create(
            actor=owner,
            space=room,
            start_time=at(day, "09:00"),
            end_time=at(day, "10:00"),
            title="Owner's own",
            recurrence=Recurrence(freq="daily", count=2),
        )
        with pytest.raises(refusal):
            booking_series_cancel(actor=actor, series=series)
        assert set(series.bookings.values_list("status", flat=True)) == {"confirmed"}
