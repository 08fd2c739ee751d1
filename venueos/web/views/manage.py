"""Managers' and administrators' pages (the dashboard; the venue editor,
bookings oversight, events and organizations belong here too, with their
templates under `web/manage/`). What a user sees is scoped by the selectors:
a manager their organization's venues, an administrator everything."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from venueos.bookings.models import BookingStatus
from venueos.bookings.selectors import booking_list
from venueos.common.permissions import require_signed_in
from venueos.venues.selectors import venues_by_id
from venueos.web.problems import shows_problems


def _with_venues(bookings) -> list:
    bookings = list(bookings)
    venues = venues_by_id(booking.venue_id for booking in bookings)
    for booking in bookings:
        booking.venue = venues[booking.venue_id]
    return bookings


@shows_problems
def dashboard(request):
    user = require_signed_in(request.user)
    now = timezone.now()
    pending = booking_list(user=user, status=BookingStatus.PENDING, start=now)
    upcoming = booking_list(
        user=user,
        status=BookingStatus.CONFIRMED,
        start=now,
        end=now + timedelta(days=1),
    )
    return render(
        request,
        "web/manage/dashboard.html",
        {
            "pending": _with_venues(pending[:50]),
            "upcoming": _with_venues(upcoming[:50]),
            "nav": "dashboard",
        },
    )
