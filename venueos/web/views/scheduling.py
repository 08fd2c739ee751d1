"""Recurring bookings, the calendar feed and the utilization report in the
web UI. Every decision is the services' and selectors'; times are shown in
the venue's zone."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from venueos.bookings.selectors import booking_series_get_for
from venueos.bookings.series import booking_series_cancel
from venueos.calendars.services import calendar_feed_rotate, calendar_feed_secret
from venueos.common.api import parse_uuid
from venueos.common.permissions import require_signed_in
from venueos.common.problems import Problem
from venueos.reports.selectors import COLUMNS, utilization_report
from venueos.venues.selectors import venue_get_managed, venues_managed_by
from venueos.web.charts import bar_chart
from venueos.web.forms_scheduling import ReportForm, SeriesCancelForm
from venueos.web.problems import add_problem_to_form, shows_problems

REASONS = {
    "booking-conflict": "already booked",
    "overlaps-series": "meets the previous occurrence",
    "nonexistent-local-time": "that time does not exist (clocks change)",
    "outside-opening-hours": "outside opening hours",
    "in-closure": "the venue is closed",
    "in-the-past": "in the past",
    "beyond-horizon": "too far ahead",
    "off-grid": "not on the time grid",
}


def refused_occurrences(problem: Problem, zone: ZoneInfo) -> list[dict]:
    """A refused series' occurrences, in local time, with a reason a person
    understands."""
    return [
        {
            "start": datetime.fromisoformat(item["start_time"]).astimezone(zone),
            "end": datetime.fromisoformat(item["end_time"]).astimezone(zone),
            "reason": REASONS.get(item["reason"], item["detail"]),
        }
        for item in problem.extra.get("occurrences", [])
    ]


def feed_url(request, user) -> str:
    path = reverse("calendar-feed", kwargs={"secret": calendar_feed_secret(actor=user)})
    return request.build_absolute_uri(path)


@shows_problems
def series_detail(request, series_id):
    user = require_signed_in(request.user)
    series, bookings = booking_series_get_for(user, parse_uuid(str(series_id), "id"))
    zone = ZoneInfo(series.timezone)
    form = SeriesCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = booking_series_cancel(
                actor=user,
                series=series,
                from_day=form.cleaned_data["from_day"],
                reason=form.cleaned_data["reason"],
            )
        except Problem as problem:
            add_problem_to_form(form, problem)
        else:
            messages.success(
                request,
                f"{len(cancelled)} occurrence{'s' if len(cancelled) != 1 else ''} "
                f"of “{series.title}” cancelled.",
            )
            return redirect("web:series", series.id)
    now = timezone.now()
    return render(
        request,
        "web/bookings/series.html",
        {
            "series": series,
            "bookings": bookings,
            "zone": zone,
            "form": form,
            "cancellable": any(b.is_active and b.start_time > now for b in bookings),
            "nav": "my-bookings",
        },
        status=400 if form.errors else 200,
    )


@shows_problems
def calendar_rotate(request):
    user = require_signed_in(request.user)
    if request.method == "POST":
        calendar_feed_rotate(actor=user)
        messages.success(
            request,
            "Your calendar link is new; the old one no longer works. Update it "
            "in your calendar app.",
        )
    return redirect("web:my-bookings")


def _report_range(form) -> tuple[date, date]:
    today = timezone.localdate()
    data = form.cleaned_data if form.is_valid() else {}
    start = data.get("start") or today - timedelta(days=today.weekday())
    end = data.get("end") or start + timedelta(days=6)
    return start, end


@shows_problems
def reports(request):
    """Utilization per space: a table, a chart per space, and the CSV."""
    user = require_signed_in(request.user)
    venues = list(venues_managed_by(user).filter(archived_at__isnull=True))
    form = ReportForm(request.GET or None, venues=venues)
    context = {"form": form, "manage_nav": "reports", "nav": "dashboard"}
    venue_id = form.data.get("venue") or (str(venues[0].id) if venues else None)
    if venue_id:
        venue = venue_get_managed(parse_uuid(venue_id, "venue"), user=user)
        start, end = _report_range(form)
        try:
            rows = utilization_report(venue, user=user, start_date=start, end_date=end)
        except Problem as problem:
            add_problem_to_form(form, problem, field="end")
            rows = []
        per_space = defaultdict(list)
        for row in rows:
            per_space[(row[0], row[1])].append(dict(zip(COLUMNS, row, strict=True)))
        spaces = []
        for (_, name), days in per_space.items():
            open_minutes = sum(day["open_minutes"] for day in days)
            booked_minutes = sum(day["booked_minutes"] for day in days)
            bars = [
                (
                    date.fromisoformat(day["date"]).strftime("%d"),
                    None
                    if day["utilization_percent"] is None
                    else day["utilization_percent"] / 100,
                )
                for day in days
            ]
            spaces.append(
                {
                    "name": name,
                    "open_hours": round(open_minutes / 60, 1),
                    "booked_hours": round(booked_minutes / 60, 1),
                    "percent": round(booked_minutes * 100 / open_minutes, 1)
                    if open_minutes
                    else None,
                    "chart": bar_chart(bars, title=f"Utilization per day, {name}"),
                }
            )
        context.update(
            venue=venue,
            start=start,
            end=end,
            spaces=spaces,
            csv_url=reverse("report-utilization")
            + f"?venue_id={venue.id}&start_date={start}&end_date={end}&format=csv",
        )
    # A date the form refused (shown next to its field) is the asker's error.
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "web/manage/reports.html", context, status=status)
