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

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.shortcuts import render
from django.utils import timezone

from venueos.bookings.models import BookingStatus
from venueos.bookings.selectors import booking_list
from venueos.common.permissions import require_signed_in
from venueos.common.timeutils import local_wall_time
from venueos.realtime.pages import streams_from_here
from venueos.reports.selectors import utilization_report
from venueos.venues.selectors import venue_spaces, venues_managed_by
from venueos.web.charts import bar_chart
from venueos.web.problems import add_problem_to_form, shows_problems

UPCOMING_DAYS = 7
LIST_LIMIT = 50
WEEKS_SHOWN = 52  # how far the week navigation goes either way


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


@dataclass(frozen=True)
class DayUse:
    day: date
    open_minutes: int
    booked_minutes: int

    @property
    def utilization(self) -> float | None:
        return self.booked_minutes / self.open_minutes if self.open_minutes else None


@dataclass(frozen=True)
class WeekFigures:
    venue: object
    days: list[DayUse]
    bookings: int

    @property
    def booked_hours(self) -> float:
        return sum(day.booked_minutes for day in self.days) / 60

    @property
    def utilization(self) -> float | None:
        open_minutes = sum(day.open_minutes for day in self.days)
        booked = sum(day.booked_minutes for day in self.days)
        return booked / open_minutes if open_minutes else None


def _week_figures(user, venue, now, weeks_ahead: int) -> WeekFigures:
    """A venue's week (Monday to Sunday in its zone): the utilization report's
    open and booked minutes of its bookable spaces, summed per day, and the
    active bookings in the week."""
    zone = ZoneInfo(venue.timezone)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)
    sunday = monday + timedelta(days=6)
    bookable = {str(space.id) for space in venue_spaces(venue.id) if space.is_bookable}
    open_minutes = dict.fromkeys(range(7), 0)
    booked_minutes = dict.fromkeys(range(7), 0)
    rows = utilization_report(venue, user=user, start_date=monday, end_date=sunday)
    for space_id, _, day, open_, booked, _ in rows:
        if space_id in bookable:
            weekday = date.fromisoformat(day).weekday()
            open_minutes[weekday] += open_
            booked_minutes[weekday] += booked
    bookings = booking_list(
        user=user,
        venue_id=venue.id,
        active=True,
        start=local_wall_time(monday, 0, zone),
        end=local_wall_time(sunday + timedelta(days=1), 0, zone),
    ).count()
    days = [
        DayUse(monday + timedelta(days=n), open_minutes[n], booked_minutes[n])
        for n in range(7)
    ]
    return WeekFigures(venue=venue, days=days, bookings=bookings)


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


def _weeks_ahead(request) -> int:
    """`?week=1` is next week, `-1` the last; anything else this week."""
    try:
        weeks = int(request.GET.get("week", "0"))
    except ValueError:
        return 0
    return weeks if -WEEKS_SHOWN <= weeks <= WEEKS_SHOWN else 0


def _feed(request, user, venues) -> dict:
    """The live feed of the organization's changes (realtime/_live_feed.html),
    from the stream position noted before the page read anything. An
    administrator runs no organization of their own: no feed."""
    if user.organization_id is None:
        return {"feed_stream": None}
    zones = {venue.timezone for venue in venues}
    return {
        "feed_stream": f"organization_id={user.organization_id}"
        f"&last_event_id={request.stream_position}",
        "feed_timezone": zones.pop() if len(zones) == 1 else "",
    }


@shows_problems
@streams_from_here
def dashboard(request):
    user = require_signed_in(request.user)
    weeks_ahead = _weeks_ahead(request)
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
    for venue in venues:
        week = _week_figures(user, venue, now, weeks_ahead)
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
            "weeks_ahead": weeks_ahead,
            "earlier_week": weeks_ahead - 1 if weeks_ahead > -WEEKS_SHOWN else None,
            "later_week": weeks_ahead + 1 if weeks_ahead < WEEKS_SHOWN else None,
            "nav": "dashboard",
            "manage_nav": "dashboard",
            **_feed(request, user, venues),
        },
    )
