"""What everyone sees: the home page with its search, venues and their
availability grid. The grid is the fragment `venues/_grid.html`: htmx swaps it
in place, and without JavaScript every grid link is an ordinary page."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode

from venueos.bookings.calendar import (
    availability_grid,
    default_duration,
    free_starts,
    grid_durations,
    week_summary,
)
from venueos.common.problems import InvalidInput
from venueos.common.timeutils import format_hhmm, parse_day, utc_now
from venueos.events.models import EventStatus
from venueos.events.selectors import event_list
from venueos.realtime.pages import streams_from_here
from venueos.venues.selectors import (
    feature_names,
    opening_hours,
    space_tree,
    venue_get,
    venue_list,
)
from venueos.web.forms import SearchForm
from venueos.web.problems import shows_problems

WEEKDAYS = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
]
PUBLIC_EVENT_STATUSES = [EventStatus.ON_SALE, EventStatus.PUBLISHED, EventStatus.PAUSED]


def upcoming_events(user, *, limit: int):
    events = event_list(user=user, upcoming=True).filter(
        status__in=PUBLIC_EVENT_STATUSES
    )
    return list(events.select_related("venue")[:limit])


def home(request):
    searched = bool(request.GET)
    form = SearchForm(
        request.GET if searched else None,
        feature_names=feature_names(),
        initial={"date": utc_now().date()},
    )
    results = None
    if searched and form.is_valid():
        data = form.cleaned_data
        results = free_starts(
            venues=list(venue_list(query=data["q"] or None)[:20]),
            day=data["date"],
            duration_minutes=data["duration"],
            min_capacity=data["people"] or 1,
            features=data["features"],
        )
    return render(
        request,
        "web/home.html",
        {
            "form": form,
            "results": results,
            "people": form.cleaned_data.get("people") if results is not None else 1,
            "venues": venue_list()[:12],
            "events": upcoming_events(request.user, limit=6),
            "nav": "home",
        },
    )


def _grid_params(request, venue) -> dict:
    """Parse the grid's query string: the local day, day or week, duration."""
    zone = ZoneInfo(venue.timezone)
    today = utc_now().astimezone(zone).date()
    raw_day = request.GET.get("date")
    day = parse_day(raw_day, "date") if raw_day else today
    view = "week" if request.GET.get("view") == "week" else "day"
    durations = grid_durations(venue)
    raw_duration = request.GET.get("duration") or str(default_duration(venue))
    duration = int(raw_duration) if raw_duration.isdigit() else None
    if duration not in durations:
        raise InvalidInput.field(
            "duration",
            "Pick one of the booking lengths offered for this venue: "
            + ", ".join(f"{minutes} minutes" for minutes in durations)
            + ".",
        )
    if view == "week":
        day -= timedelta(days=day.weekday())
    return {"day": day, "view": view, "duration": duration, "today": today}


def _grid_context(request, venue) -> dict:
    params = _grid_params(request, venue)
    day, view, duration = params["day"], params["view"], params["duration"]
    days = [day + timedelta(days=n) for n in range(7 if view == "week" else 1)]
    grid = availability_grid(venue=venue, days=days, duration_minutes=duration)
    step = timedelta(days=7 if view == "week" else 1)

    def link(**changes) -> dict:
        query = {"date": day.isoformat(), "view": view, "duration": duration}
        query.update(changes)
        encoded = urlencode(query)
        return {
            "href": reverse("web:venue", args=[venue.id]) + "?" + encoded,
            "fragment": reverse("web:venue-grid", args=[venue.id]) + "?" + encoded,
        }

    return {
        "venue": venue,
        "grid": grid,
        "view": view,
        "day": day,
        "last_day": days[-1],
        "duration": duration,
        "durations": grid_durations(venue),
        "week": week_summary(grid) if view == "week" else None,
        "earlier": link(date=(day - step).isoformat()),
        "later": link(date=(day + step).isoformat()),
        "today_link": link(date=params["today"].isoformat()),
        "day_link": link(view="day"),
        "week_link": link(view="week"),
        "days_links": [(d, link(view="day", date=d.isoformat())["href"]) for d in days],
        "on_today": params["today"] in days,
    }


def _hours_table(venue) -> list[tuple[str, list[str]]]:
    by_day: dict[int, list[str]] = {n: [] for n in range(7)}
    for row in opening_hours(venue.id):
        by_day[row.weekday].append(
            f"{format_hhmm(row.opens_minute)}–{format_hhmm(row.closes_minute)}"
        )
    return [(WEEKDAYS[n], by_day[n]) for n in range(7)]


@shows_problems
@streams_from_here
def venue_detail(request, venue_id):
    venue = venue_get(venue_id, user=request.user)
    context = _grid_context(request, venue)
    hours = _hours_table(venue)
    context.update(
        {
            "hours": hours,
            "has_hours": any(intervals for _, intervals in hours),
            "tree": space_tree(venue.id),
            "events": list(
                event_list(user=request.user, venue_id=venue.id, upcoming=True).filter(
                    status__in=PUBLIC_EVENT_STATUSES
                )[:5]
            ),
        }
    )
    return render(request, "web/venues/detail.html", context)


@shows_problems
@streams_from_here
def venue_grid(request, venue_id):
    """The grid alone for htmx; a page of its own otherwise."""
    venue = venue_get(venue_id, user=request.user)
    context = _grid_context(request, venue)
    fragment = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    response = render(
        request,
        "web/venues/_grid.html" if fragment else "web/venues/grid.html",
        context,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response
