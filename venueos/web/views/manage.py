"""The managers' dashboard: per venue, today's and the coming bookings, the
bookings waiting for approval (confirm or reject in place), and this week's
numbers with a utilization chart drawn on the server.

The other managers' pages live beside this module: `manage_venues.py` (the
venue editor), `manage_bookings.py` (oversight, decisions, booking on behalf),
`manage_events.py` and `manage_admin.py` (organizations and managers). What a
person sees is scoped by the selectors (`venues_managed_by`: a manager their
organization's venues, an administrator every venue, anyone else a 403), and
every change is a service call that decides whether it is allowed.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.shortcuts import render
from django.utils import timezone

from venueos.bookings.models import BookingStatus
from venueos.bookings.selectors import booking_list
from venueos.bookings.utilization import week_numbers
from venueos.common.permissions import require_signed_in
from venueos.common.timeutils import local_wall_time
from venueos.venues.selectors import venues_managed_by
from venueos.web.charts import bar_chart
from venueos.web.problems import add_problem_to_form, shows_problems

UPCOMING_DAYS = 7
LIST_LIMIT = 50


def posted(request):
    """The form data of a POST (even an empty one), else None (unbound)."""
    return request.POST if request.method == "POST" else None


def show_problem(form, problem, *, fields=None, field=None) -> None:
    """Show a service's refusal next to the field it names, translated to this
    form's field names by `fields` (service name -> form name), else next to
    `field`, else above the form."""
    for name in problem.errors or {}:
        name = (fields or {}).get(name, name)
        if name in form.fields:
            field = name
            break
    add_problem_to_form(form, problem, field=field)


def attach_venues(bookings, venues) -> list:
    """Give each booking its venue object (for the time zone and the name)."""
    by_id = {venue.id: venue for venue in venues}
    bookings = list(bookings)
    for booking in bookings:
        booking.venue = by_id[booking.venue_id]
    return bookings


def _venue_days(user, venue, now) -> dict:
    """Today's active bookings (local day) and those of the next days."""
    zone = ZoneInfo(venue.timezone)
    today = now.astimezone(zone).date()
    tomorrow = local_wall_time(today + timedelta(days=1), 0, zone)
    later = local_wall_time(today + timedelta(days=UPCOMING_DAYS + 1), 0, zone)
    bookings = attach_venues(
        booking_list(user=user, venue_id=venue.id, active=True, start=now, end=later)[
            :LIST_LIMIT
        ],
        [venue],
    )
    return {
        "venue": venue,
        "today": [booking for booking in bookings if booking.start_time < tomorrow],
        "upcoming": [booking for booking in bookings if booking.start_time >= tomorrow],
    }


@shows_problems
def dashboard(request):
    user = require_signed_in(request.user)
    venues = list(venues_managed_by(user).filter(archived_at__isnull=True))
    now = timezone.now()
    pending = attach_venues(
        booking_list(
            user=user,
            venue_ids=[venue.id for venue in venues],
            status=BookingStatus.PENDING,
            start=now,
        )[:LIST_LIMIT],
        venues,
    )
    numbers = []
    for week in week_numbers(venues, now=now):
        bars = [(day.day.strftime("%a"), day.utilization) for day in week.days]
        numbers.append(
            {
                "week": week,
                "chart": bar_chart(bars, title=f"Utilization per day, {week.venue}"),
            }
        )
    return render(
        request,
        "web/manage/dashboard.html",
        {
            "pending": pending,
            "venue_days": [_venue_days(user, venue, now) for venue in venues],
            "numbers": numbers,
            "upcoming_days": UPCOMING_DAYS,
            "nav": "dashboard",
            "manage_nav": "dashboard",
        },
    )
