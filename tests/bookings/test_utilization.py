"""This week's numbers on the managers' dashboard: bookings, booked hours and
utilization per local day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_organization, make_space, make_user, make_venue
from venueos.bookings.models import Booking, BookingStatus
from venueos.bookings.utilization import week_numbers, week_start
from venueos.venues.models import OpeningHours
from venueos.web.charts import bar_chart

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
# A Wednesday; that week runs from Monday 2030-03-04 to Sunday 2030-03-10.
NOW = datetime(2030, 3, 6, 12, 0, tzinfo=BERLIN)
MONDAY = date(2030, 3, 4)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


def book(space, start, end, status=BookingStatus.CONFIRMED) -> Booking:
    # Written directly: the figures read bookings, whatever made them.
    owner = make_user()
    return Booking.objects.create(
        venue=space.venue,
        space=space,
        user=owner,
        created_by=owner,
        start_time=start,
        end_time=end,
        title="x",
        status=status,
        cancelled_at=NOW if status == BookingStatus.CANCELLED else None,
    )


@pytest.fixture
def venue():
    venue = make_venue(make_organization(), timezone="Europe/Berlin")
    # Open 08:00-20:00 Monday to Friday, closed at the weekend.
    OpeningHours.objects.bulk_create(
        OpeningHours(venue=venue, weekday=day, opens_minute=480, closes_minute=1200)
        for day in range(5)
    )
    return venue


def test_utilization_is_booked_over_open_space_hours_per_local_day(venue):
    floor = make_space(venue, name="Floor", is_bookable=False)
    room = make_space(venue, parent=floor, name="Room")
    other = make_space(venue, parent=floor, name="Other")
    book(room, at(MONDAY, 9), at(MONDAY, 12))  # 3 h of 24 open space-hours
    book(other, at(MONDAY, 19), at(MONDAY, 22))  # 1 h inside opening hours
    book(room, at(MONDAY, 14), at(MONDAY, 16), status=BookingStatus.CANCELLED)
    book(room, at(MONDAY - timedelta(days=1), 10), at(MONDAY - timedelta(days=1), 11))
    book(room, at(MONDAY + timedelta(days=2), 8), at(MONDAY + timedelta(days=2), 20))

    [week] = week_numbers([venue], now=NOW)

    assert [day.day for day in week.days] == [
        MONDAY + timedelta(days=n) for n in range(7)
    ]
    assert [day.open_hours for day in week.days] == [24] * 5 + [0, 0]
    assert [day.booked_hours for day in week.days] == [4, 0, 12, 0, 0, 0, 0]
    assert [day.utilization for day in week.days] == [
        4 / 24,
        0,
        0.5,
        0,
        0,
        None,
        None,
    ]
    assert week.bookings == 3
    assert (week.booked_hours, week.open_hours) == (16, 120)
    assert week.utilization == 16 / 120


def test_the_week_follows_the_venues_zone_and_can_move(venue):
    room = make_space(venue, name="Room")
    tokyo = make_venue(make_organization(), timezone="Asia/Tokyo")
    # 23:30 on Sunday in Berlin is already Monday in Tokyo.
    sunday_night = datetime(2030, 3, 10, 23, 30, tzinfo=BERLIN)
    berlin_week, tokyo_week = week_numbers([venue, tokyo], now=sunday_night)
    assert berlin_week.days[0].day == MONDAY
    assert tokyo_week.days[0].day == MONDAY + timedelta(days=7)
    book(room, at(MONDAY + timedelta(days=7), 10), at(MONDAY + timedelta(days=7), 11))
    [next_week] = week_numbers([venue], now=NOW, weeks_ahead=1)
    assert (next_week.days[0].day, next_week.bookings) == (
        MONDAY + timedelta(days=7),
        1,
    )
    assert week_start(date(2030, 3, 10)) == MONDAY


def test_a_venue_without_opening_hours_is_open_all_day(db):
    venue = make_venue(make_organization(), timezone="Europe/Berlin")
    make_space(venue, name="Room")
    [week] = week_numbers([venue], now=NOW)
    assert [day.open_hours for day in week.days] == [24] * 7


def test_the_chart_names_every_value_and_scales_low_figures():
    chart = bar_chart([("Mon", 0.04), ("Tue", None), ("Wed", 0.08)], title="Use")
    assert 'role="img" aria-label="Use: Mon 4%, Tue closed, Wed 8%"' in chart
    assert ">10%</text>" in chart  # the axis ends at 10 %
    # Wed's bar fills 80 % of the 82-unit plot; Tue's is empty and says "–".
    assert 'height="65.6"' in chart and ">–</text>" in chart
