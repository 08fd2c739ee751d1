"""`availability.changed` announces the period a booking blocks: its times
widened by the space's set-up and clean-up buffers, so open grids turn the
buffer-blocked cells busy (and free again)."""

from __future__ import annotations

import pytest

from tests.bookings.helpers import at, future_day, utc
from tests.conftest import make_space
from venueos.bookings.services import booking_cancel, booking_create, booking_update
from venueos.realtime.models import Change

pytestmark = pytest.mark.django_db(transaction=True)


def _availability() -> list[list[tuple]]:
    return [
        [(i["start_time"], i["end_time"], i["busy"]) for i in change.data["intervals"]]
        for change in Change.objects.filter(kind="availability.changed").order_by("id")
    ]


def test_availability_carries_the_buffered_period(manager, customer, venue):
    room = make_space(venue, buffer_before_minutes=15, buffer_after_minutes=30)
    day = future_day(21)
    booking = booking_create(
        actor=customer,
        space=room,
        start_time=at(day, "10:00"),
        end_time=at(day, "11:00"),
        title="Buffered",
    )
    booking_update(
        actor=customer,
        booking=booking,
        start_time=at(day, "13:00"),
        end_time=at(day, "14:00"),
    )
    booking_cancel(actor=manager, booking=booking, reason="")
    first = (utc(at(day, "09:45")), utc(at(day, "11:30")))
    second = (utc(at(day, "12:45")), utc(at(day, "14:30")))
    assert _availability() == [
        [(*first, True)],
        [(*first, False), (*second, True)],
        [(*second, False)],
    ]
    # The booking's own message keeps the booked times.
    created = Change.objects.get(kind="booking.created")
    assert created.data["start_time"] == utc(at(day, "10:00"))


def test_without_buffers_the_period_is_the_booking(customer, venue):
    room = make_space(venue)
    day = future_day(22)
    booking_create(
        actor=customer,
        space=room,
        start_time=at(day, "10:00"),
        end_time=at(day, "11:00"),
        title="Plain",
    )
    assert _availability() == [[(utc(at(day, "10:00")), utc(at(day, "11:00")), True)]]
