"""A customer's bookings: the booking form (pre-filled from a grid cell), the
conflict page with one-click alternatives, confirmation, "My bookings",
change (edit or move), cancel.

Times are typed and shown in the venue's local time; the services receive
instants. Every decision (rules, permissions, conflicts) is the services'.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from venueos.bookings.conflicts import BookingConflict
from venueos.bookings.selectors import (
    booking_get_for,
    booking_history,
    booking_list_for_user,
)
from venueos.bookings.series import Recurrence, booking_series_create
from venueos.bookings.services import (
    booking_cancel,
    booking_create,
    booking_update,
)
from venueos.common.api import parse_uuid
from venueos.common.permissions import require_signed_in
from venueos.common.problems import InvalidInput, Problem
from venueos.common.throttling import BookingCreateRateThrottle
from venueos.common.timeutils import local_wall_time, parse_aware
from venueos.venues.selectors import space_get, venue_spaces, venues_by_id
from venueos.web.forms import BookingForm, CancelForm
from venueos.web.problems import (
    add_problem_to_form,
    problem_message,
    shows_problems,
)
from venueos.web.views.scheduling import feed_url, refused_occurrences

HISTORY_LABELS = {
    "booking.created": "Booked",
    "booking.created_on_behalf": "Booked on your behalf",
    "booking.updated": "Changed",
    "booking.cancelled": "Cancelled",
    "booking.admin_cancelled": "Cancelled by the venue",
    "booking.confirmed": "Confirmed by the venue",
    "booking.rejected": "Declined by the venue",
}


def _local_fields(start: datetime, end: datetime, zone: ZoneInfo) -> dict:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    return {
        "date": local_start.date(),
        "start": local_start.time().replace(second=0, microsecond=0),
        "end": local_end.time().replace(second=0, microsecond=0),
    }


def _instants(data: dict, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The form's local date and times as instants; an end at or before the
    start on the clock (e.g. 00:00) is on the next day."""
    day = data["date"]
    start_minute = data["start"].hour * 60 + data["start"].minute
    end_minute = data["end"].hour * 60 + data["end"].minute
    if end_minute <= start_minute:
        end_minute += 24 * 60
    return (
        local_wall_time(day, start_minute, zone),
        local_wall_time(day, end_minute, zone),
    )


# Far above any space's capacity; the booking service decides the real limit.
MAX_PREFILL_ATTENDEES = 100_000


def _whole_number(value: str, field: str, highest: int) -> int:
    """A pre-fill number from a link: 1..`highest` in ASCII digits (`isdigit`
    accepts '²', which `int` refuses; a huge one overflows the datetimes)."""
    if (
        value.isascii()
        and value.isdecimal()
        and len(value) <= 9
        and 1 <= int(value) <= highest
    ):
        return int(value)
    raise InvalidInput.field(
        field, f"The {field} must be a whole number from 1 to {highest}."
    )


def _initial_from_query(request, space) -> dict:
    """Pre-fill from a grid cell or a search result: start and end (or
    duration) as timestamps with an offset."""
    zone = ZoneInfo(space.venue.timezone)
    params = request.GET
    initial = {
        "space": space.id,
        "title": f"Meeting in {space.name}",
        "attendee_count": 1,
    }
    if params.get("attendees"):
        initial["attendee_count"] = _whole_number(
            params["attendees"], "attendees", MAX_PREFILL_ATTENDEES
        )
    if params.get("start"):
        start = parse_aware(params["start"], "start")
        if params.get("end"):
            end = parse_aware(params["end"], "end")
        else:
            minutes = 60
            if params.get("duration"):
                minutes = _whole_number(params["duration"], "duration", 24 * 60)
            end = start + timedelta(minutes=minutes)
        initial.update(_local_fields(start, end, zone))
    return initial


def _space_id(value):
    if value is None or value == "":
        raise InvalidInput.field("space", "Pick a space in the availability grid.")
    return parse_uuid(str(value), "space")


def _alternatives(problem: BookingConflict, venue, zone: ZoneInfo) -> dict:
    """The conflict's collision and suggestions, with spaces and local times."""
    spaces = {str(space.id): space for space in venue_spaces(venue.id)}

    def moment(value: str) -> datetime:
        return datetime.fromisoformat(value).astimezone(zone)

    collided = problem.extra.get("conflicting_booking")
    if collided:
        collided = {
            "space": spaces.get(collided["space_id"]),
            "start": moment(collided["start_time"]),
            "end": moment(collided["end_time"]),
            "title": collided.get("title"),
            "id": collided.get("id"),
        }
    suggestions = []
    for item in problem.extra.get("suggested_alternatives", []):
        start, end = moment(item["start_time"]), moment(item["end_time"])
        suggestions.append(
            {
                "space": spaces.get(item["space_id"]),
                "start": start,
                "end": end,
                "fields": _local_fields(start, end, zone),
            }
        )
    return {"collided": collided, "suggestions": suggestions}


def _conflict_page(request, *, problem, form, space, start, end, action_url):
    zone = ZoneInfo(space.venue.timezone)
    context = {
        "message": problem_message(problem),
        "form": form,
        "space": space,
        "venue": space.venue,
        "asked": {"start": start.astimezone(zone), "end": end.astimezone(zone)},
        "action_url": action_url,
        **_alternatives(problem, space.venue, zone),
    }
    for suggestion in context["suggestions"]:
        suggestion["other_day"] = (
            suggestion["start"].date() != context["asked"]["start"].date()
        )
    return render(request, "web/bookings/conflict.html", context, status=409)


def _throttled(request) -> Problem | None:
    """The API's per-user limit on booking creates, shared with the site."""
    if BookingCreateRateThrottle().allow_request(request, None):
        return None
    return Problem(status=429, slug="throttled", title="Too many requests")


@shows_problems
def booking_new(request):
    user = require_signed_in(request.user)
    if request.method == "POST":
        form = BookingForm(request.POST)
        valid = form.is_valid()
        space = space_get(_space_id(form.cleaned_data.get("space")), user=user)
        if valid and (problem := _throttled(request)):
            add_problem_to_form(form, problem)
            return render(
                request,
                "web/bookings/form.html",
                {"form": form, "space": space, "venue": space.venue},
                status=429,
            )
        if not valid:
            return render(
                request,
                "web/bookings/form.html",
                {"form": form, "space": space, "venue": space.venue},
                status=400,
            )
        zone = ZoneInfo(space.venue.timezone)
        data = form.cleaned_data
        start, end = _instants(data, zone)
        if data.get("repeat"):
            return _create_series(request, user, form, space, start, end)
        try:
            booking = booking_create(
                actor=user,
                space=space,
                start_time=start,
                end_time=end,
                title=data["title"],
                description=data["description"],
                attendee_count=data["attendee_count"],
            )
        except BookingConflict as problem:
            return _conflict_page(
                request,
                problem=problem,
                form=form,
                space=space,
                start=start,
                end=end,
                action_url=request.path,
            )
        except Problem as problem:
            add_problem_to_form(form, problem)
            return render(
                request,
                "web/bookings/form.html",
                {"form": form, "space": space, "venue": space.venue},
                status=400,
            )
        return redirect("web:booking", booking.id)
    space = space_get(_space_id(request.GET.get("space")), user=user)
    form = BookingForm(initial=_initial_from_query(request, space))
    return render(
        request,
        "web/bookings/form.html",
        {"form": form, "space": space, "venue": space.venue},
    )


def _create_series(request, user, form, space, start, end):
    """The booking form with "Repeat": all occurrences or none."""
    data = form.cleaned_data
    try:
        series, bookings, _ = booking_series_create(
            actor=user,
            space=space,
            start_time=start,
            end_time=end,
            title=data["title"],
            description=data["description"],
            attendee_count=data["attendee_count"],
            recurrence=Recurrence(
                freq=data["repeat"], count=data.get("repeat_count") or 4
            ),
        )
    except Problem as problem:
        add_problem_to_form(form, problem)
        refused = refused_occurrences(problem, ZoneInfo(space.venue.timezone))
        return render(
            request,
            "web/bookings/form.html",
            {"form": form, "space": space, "venue": space.venue, "refused": refused},
            status=problem.status,
        )
    messages.success(request, f"{len(bookings)} bookings made.")
    return redirect("web:series", series.id)


_CHANGED_FIELDS = {
    "space_id": "space",
    "start_time": "time",
    "end_time": "time",
    "title": "title",
    "attendee_count": "attendees",
    "description": "description",
    "external_meeting_url": "meeting link",
    "status": "status",
}


def _history_label(entry) -> str:
    label = HISTORY_LABELS.get(entry.action, entry.action)
    if entry.action == "booking.updated" and entry.new_values:
        changed = dict.fromkeys(
            label for name, label in _CHANGED_FIELDS.items() if name in entry.new_values
        )
        if changed:
            label += ": " + ", ".join(changed)
    return label


def _history(booking) -> list[dict]:
    return [
        {
            "label": _history_label(entry),
            "at": entry.created_at,
            "actor": entry.actor.full_name if entry.actor else "",
            "reason": (entry.new_values or {}).get("reason", ""),
        }
        for entry in booking_history(booking)
    ]


@shows_problems
def booking_detail(request, booking_id):
    user = require_signed_in(request.user)
    booking = booking_get_for(user, booking_id)
    return render(
        request,
        "web/bookings/detail.html",
        {
            "booking": booking,
            "venue": booking.venue,
            "history": _history(booking),
            "is_upcoming": booking.end_time > timezone.now(),
            "nav": "my-bookings",
        },
    )


@shows_problems
def my_bookings(request):
    user = require_signed_in(request.user)
    past = request.GET.get("when") == "past"
    now = timezone.now()
    if past:
        bookings = booking_list_for_user(user=user, end=now).filter(end_time__lte=now)
        bookings = bookings.order_by("-start_time", "id")[:100]
    else:
        bookings = booking_list_for_user(user=user)[:100]
    bookings = list(bookings)
    venues = venues_by_id(booking.venue_id for booking in bookings)
    for booking in bookings:
        booking.venue = venues[booking.venue_id]
    return render(
        request,
        "web/bookings/mine.html",
        {
            "bookings": bookings,
            "past": past,
            "nav": "my-bookings",
            "feed_url": feed_url(request, user),
        },
    )


@shows_problems
def booking_change(request, booking_id):
    """Edit the title, attendees and description, or move to another time or
    space of the same venue: one form, one service call."""
    user = require_signed_in(request.user)
    booking = booking_get_for(user, booking_id)
    venue = booking.venue
    zone = ZoneInfo(venue.timezone)
    spaces = [space for space in venue_spaces(venue.id) if space.is_bookable]
    if request.method == "POST":
        form = BookingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            start, end = _instants(data, zone)
            space = space_get(data["space"], user=user, venue_id=venue.id)
            try:
                changed = booking_update(
                    actor=user,
                    booking=booking,
                    space=space,
                    start_time=start,
                    end_time=end,
                    title=data["title"],
                    description=data["description"],
                    attendee_count=data["attendee_count"],
                )
            except BookingConflict as problem:
                return _conflict_page(
                    request,
                    problem=problem,
                    form=form,
                    space=space,
                    start=start,
                    end=end,
                    action_url=request.path,
                )
            except Problem as problem:
                add_problem_to_form(form, problem)
            else:
                if changed.status == "pending" and booking.status != "pending":
                    messages.success(
                        request,
                        "Your booking was changed. This space needs the venue's "
                        "approval, so it is pending again until they confirm it.",
                    )
                else:
                    messages.success(request, "Your booking was changed.")
                return redirect("web:booking", booking.id)
        status = 400
    else:
        form = BookingForm(
            initial={
                "space": booking.space_id,
                "title": booking.title,
                "attendee_count": booking.attendee_count,
                "description": booking.description,
                **_local_fields(booking.start_time, booking.end_time, zone),
            }
        )
        status = 200
    return render(
        request,
        "web/bookings/change.html",
        {
            "form": form,
            "booking": booking,
            "venue": venue,
            "spaces": spaces,
            "selected_space": str(form["space"].value()),
            "nav": "my-bookings",
        },
        status=status,
    )


@shows_problems
def booking_cancel_view(request, booking_id):
    user = require_signed_in(request.user)
    booking = booking_get_for(user, booking_id)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            booking_cancel(
                actor=user, booking=booking, reason=form.cleaned_data["reason"]
            )
        except Problem as problem:
            add_problem_to_form(form, problem)
        else:
            messages.success(request, f"“{booking.title}” is cancelled.")
            return redirect("web:my-bookings")
    return render(
        request,
        "web/bookings/cancel.html",
        {
            "form": form,
            "booking": booking,
            "venue": booking.venue,
            "nav": "my-bookings",
        },
        status=400 if form.errors else 200,
    )
