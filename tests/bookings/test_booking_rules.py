"""Booking rules through the HTTP API: closures, opening hours in local time
(DST days), one problem type per broken rule, spaces that cannot be booked."""

from __future__ import annotations

import pytest

from tests.bookings.helpers import at, book, future_day, iso, next_dst_change
from tests.conftest import (
    client_for,
    make_space,
    make_venue,
    set_opening_hours,
)
from venueos.audit.models import AuditEntry
from venueos.bookings.models import Booking
from venueos.venues.models import Closure

pytestmark = pytest.mark.django_db

DAY = future_day(40)


def test_exactly_touching_closures_do_not_block(tree, alice):
    Closure.objects.create(
        venue=tree["hall"].venue, start_time=at(DAY, "08:00"), end_time=at(DAY, "10:00")
    )
    Closure.objects.create(
        venue=tree["hall"].venue,
        space=tree["hall"],
        start_time=at(DAY, "12:00"),
        end_time=at(DAY, "14:00"),
    )
    assert (
        book(
            client_for(alice), tree["a"], at(DAY, "10:00"), at(DAY, "12:00")
        ).status_code
        == 201
    )
    response = book(
        client_for(alice), tree["corner"], at(DAY, "13:45"), at(DAY, "14:15")
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/in-closure")


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("spring", [True, False])
def test_opening_hours_hold_in_local_time_on_dst_days(org, alice, zone, spring):
    venue = make_venue(org, timezone=zone)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    room = make_space(venue)
    day = next_dst_change(zone, spring=spring)
    response = book(
        client_for(alice), room, at(day, "09:00", zone), at(day, "17:00", zone)
    )
    assert response.status_code == 201, response.json()
    assert (
        book(
            client_for(alice), room, at(day, "08:45", zone), at(day, "09:00", zone)
        ).status_code
        == 400
    )
    assert (
        book(
            client_for(alice), room, at(day, "17:00", zone), at(day, "17:15", zone)
        ).status_code
        == 400
    )


def _rule_cases():
    day = DAY
    return [
        (
            "off-grid",
            lambda s: {
                "start_time": iso(at(day, "10:07")),
                "end_time": iso(at(day, "11:00")),
            },
        ),
        (
            "outside-opening-hours",
            lambda s: {
                "start_time": iso(at(day, "06:00")),
                "end_time": iso(at(day, "07:00")),
            },
        ),
        (
            "duration-too-long",
            lambda s: {
                "start_time": iso(at(day, "08:00")),
                "end_time": iso(at(day, "17:15")),
            },
        ),
        (
            "duration-too-short",
            lambda s: {
                "start_time": iso(at(day, "10:00")),
                "end_time": iso(at(day, "10:15")),
            },
        ),
        (
            "in-the-past",
            lambda s: {
                "start_time": iso(at(future_day(-3), "10:00")),
                "end_time": iso(at(future_day(-3), "11:00")),
            },
        ),
        (
            "beyond-horizon",
            lambda s: {
                "start_time": iso(at(future_day(400), "10:00")),
                "end_time": iso(at(future_day(400), "11:00")),
            },
        ),
        ("over-capacity", lambda s: {"attendee_count": 21}),
        (
            "invalid-time-range",
            lambda s: {
                "start_time": iso(at(day, "11:00")),
                "end_time": iso(at(day, "10:00")),
            },
        ),
        (
            "in-closure",
            lambda s: {
                "start_time": iso(at(day, "12:00")),
                "end_time": iso(at(day, "13:00")),
            },
        ),
        ("invalid-timestamp-naive", lambda s: {"start_time": "2030-01-01T10:00:00"}),
    ]


@pytest.mark.parametrize(
    ("slug", "change"), _rule_cases(), ids=[c[0] for c in _rule_cases()]
)
def test_each_broken_rule_has_its_own_problem_type(org, alice, slug, change):
    venue = make_venue(
        org,
        min_duration_minutes=30,
        max_duration_minutes=8 * 60,
        booking_horizon_days=365,
    )
    set_opening_hours(venue, 7 * 60, 20 * 60)
    room = make_space(venue, capacity=20)
    Closure.objects.create(
        venue=venue, space=room, start_time=at(DAY, "12:30"), end_time=at(DAY, "12:45")
    )
    body = {
        "space_id": str(room.id),
        "start_time": iso(at(DAY, "10:00")),
        "end_time": iso(at(DAY, "11:00")),
        "title": "x",
    }
    body.update(change(room))
    response = client_for(alice).post("/api/v1/bookings/", body, format="json")
    assert response.status_code == 400, response.json()
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    if slug == "invalid-timestamp-naive":
        assert problem["type"].endswith("/validation-error")
        assert "offset" in problem["errors"]["start_time"][0]
    else:
        assert problem["type"] == f"https://venueos.dev/problems/{slug}"
    assert not Booking.objects.exists()
    assert not AuditEntry.objects.filter(entity_type="booking").exists()


def test_unbookable_space_and_archived_venue_are_refused(venue, alice, manager):
    floor = make_space(venue, is_bookable=False)
    response = book(client_for(alice), floor, at(DAY, "10:00"), at(DAY, "11:00"))
    assert response.json()["type"].endswith("/space-not-bookable")
    room = make_space(venue)
    venue.archived_at = venue.created_at
    venue.save()
    assert (
        book(client_for(manager), room, at(DAY, "10:00"), at(DAY, "11:00"))
        .json()["type"]
        .endswith("/venue-archived")
    )
    # To anyone else a space of an archived venue is as unknown as a missing
    # one (tests/security/test_existence_oracle.py).
    assert (
        book(client_for(alice), room, at(DAY, "10:00"), at(DAY, "11:00"))
        .json()["type"]
        .endswith("/unknown-space")
    )
