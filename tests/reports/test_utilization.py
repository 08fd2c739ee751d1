"""The utilization report, checked by hand on a small venue in Europe/London
around both DST changes, with closures, cancelled and partly-outside bookings."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from tests.bookings.helpers import at
from tests.conftest import client_for, make_space, make_user, make_venue
from venueos.bookings.models import Booking
from venueos.venues.models import Closure, OpeningHours

pytestmark = pytest.mark.django_db

ZONE = "Europe/London"
SPRING = date(2026, 3, 29)  # Sunday: 23 hours
AUTUMN = date(2026, 10, 25)  # Sunday: 25 hours


def london(day, hhmm):
    return at(day, hhmm, ZONE)


@pytest.fixture
def world(org, manager):
    venue = make_venue(org, timezone=ZONE, slug="london")
    # Monday-Saturday 09:00-17:00, Sunday all day.
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(venue=venue, weekday=day, opens_minute=540, closes_minute=1020)
            for day in range(6)
        ]
        + [OpeningHours(venue=venue, weekday=6, opens_minute=0, closes_minute=1440)]
    )
    hall = make_space(venue, name="Hall")
    room = make_space(venue, hall, name="Room")
    side = make_space(venue, name="Side")
    Closure.objects.create(
        venue=venue,
        space=hall,
        start_time=london(date(2026, 3, 27), "15:00"),
        end_time=london(date(2026, 3, 27), "17:00"),
    )
    Closure.objects.create(
        venue=venue,
        start_time=london(date(2026, 3, 28), "12:00"),
        end_time=london(date(2026, 3, 28), "13:00"),
    )
    user = make_user()

    def book(space, day, start, end, **fields):
        Booking.objects.create(
            venue=venue,
            space=space,
            user=user,
            created_by=user,
            start_time=london(day, start),
            end_time=london(day, end),
            title="b",
            **fields,
        )

    book(room, date(2026, 3, 27), "08:00", "10:00")  # 60 of it inside hours
    book(room, date(2026, 3, 27), "15:30", "16:30")  # inside the hall's closure
    book(hall, date(2026, 3, 28), "11:00", "14:00")  # 12-13 closed: 120
    book(room, SPRING, "00:00", "04:00")  # 01:00-02:00 never happens: 180
    book(
        side,
        SPRING,
        "10:00",
        "11:00",
        status="cancelled",
        cancelled_at=london(SPRING, "09:00"),
    )
    book(side, date(2026, 3, 30), "09:00", "17:00")  # the whole day
    book(room, AUTUMN, "00:00", "04:00")  # 01:00-02:00 twice: 300
    return venue


def report(client, venue, start, end, **params):
    return client.get(
        "/api/v1/reports/utilization/",
        {
            "venue_id": str(venue.id),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            **params,
        },
    )


def test_the_numbers_by_hand_around_the_spring_change(world, manager):
    response = report(client_for(manager), world, date(2026, 3, 27), date(2026, 3, 30))
    assert response.status_code == 200
    rows = [
        (r["space_name"], r["date"], r["open_minutes"], r["booked_minutes"])
        for r in response.json()
    ]
    assert rows == [
        ("Hall", "2026-03-27", 360, 0),
        ("Hall", "2026-03-28", 420, 120),
        ("Hall", "2026-03-29", 1380, 0),
        ("Hall", "2026-03-30", 480, 0),
        ("Room", "2026-03-27", 360, 60),
        ("Room", "2026-03-28", 420, 0),
        ("Room", "2026-03-29", 1380, 180),
        ("Room", "2026-03-30", 480, 0),
        ("Side", "2026-03-27", 480, 0),
        ("Side", "2026-03-28", 420, 0),
        ("Side", "2026-03-29", 1380, 0),
        ("Side", "2026-03-30", 480, 480),
    ]
    percents = {
        (r["space_name"], r["date"]): r["utilization_percent"] for r in response.json()
    }
    assert percents[("Room", "2026-03-27")] == 16.7
    assert percents[("Hall", "2026-03-28")] == 28.6
    assert percents[("Room", "2026-03-29")] == 13.0
    assert percents[("Side", "2026-03-30")] == 100.0
    assert percents[("Side", "2026-03-29")] == 0.0


def test_the_autumn_day_has_25_open_hours(world, manager):
    response = report(client_for(manager), world, AUTUMN, AUTUMN)
    rows = {
        r["space_name"]: (r["open_minutes"], r["booked_minutes"])
        for r in response.json()
    }
    assert rows == {"Hall": (1500, 0), "Room": (1500, 300), "Side": (1500, 0)}


def test_a_day_without_open_time_has_no_percentage(org, manager):
    venue = make_venue(org)
    OpeningHours.objects.create(
        venue=venue, weekday=0, opens_minute=540, closes_minute=600
    )
    make_space(venue, name="Only")
    tuesday = date(2026, 12, 1)
    response = report(client_for(manager), venue, tuesday, tuesday)
    assert response.json() == [
        {
            "space_id": response.json()[0]["space_id"],
            "space_name": "Only",
            "date": "2026-12-01",
            "open_minutes": 0,
            "booked_minutes": 0,
            "utilization_percent": None,
        }
    ]


def test_csv_has_the_same_columns_with_a_header_row(world, manager):
    client = client_for(manager)
    as_json = report(client, world, date(2026, 3, 27), date(2026, 3, 30)).json()
    response = report(client, world, date(2026, 3, 27), date(2026, 3, 30), format="csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "space_id",
        "space_name",
        "date",
        "open_minutes",
        "booked_minutes",
        "utilization_percent",
    ]
    assert len(rows) == 1 + len(as_json)
    assert rows[5] == [
        as_json[4]["space_id"],
        "Room",
        "2026-03-27",
        "360",
        "60",
        "16.7",
    ]


def test_errors_are_problems_in_csv_too(world, manager):
    response = report(
        client_for(manager), world, date(2026, 3, 27), date(2026, 1, 1), format="csv"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["end_date"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": "2026-01-01", "end_date": "2026-04-04"}, "end_date"),
        ({"start_date": "2026-02-01", "end_date": "2026-01-31"}, "end_date"),
        ({"start_date": "2026-13-01", "end_date": "2026-01-31"}, "start_date"),
        ({"start_date": "2026-01-01"}, "end_date"),
        (
            {"venue_id": "nope", "start_date": "2026-01-01", "end_date": "2026-01-02"},
            "venue_id",
        ),
    ],
)
def test_bad_parameters_are_400s(world, manager, params, field):
    query = {"venue_id": str(world.id), **params}
    response = client_for(manager).get("/api/v1/reports/utilization/", query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_only_the_venues_managers_see_it(world, customer, other_manager, admin):
    start = end = date(2026, 3, 27)
    assert report(client_for(None), world, start, end).status_code == 401
    assert report(client_for(customer), world, start, end).status_code == 403
    assert report(client_for(other_manager), world, start, end).status_code == 403
    assert report(client_for(admin), world, start, end).status_code == 200
