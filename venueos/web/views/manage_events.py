"""Events for their managers: the list, create and edit (times in the
venue's zone), lifecycle buttons for exactly the moves the domain's transition
table allows from the current status, and the registrations with a CSV
export. The event services decide; their refusals become messages."""

from __future__ import annotations

import csv
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from venueos.common.permissions import require_signed_in
from venueos.common.problems import Problem
from venueos.events.models import EventStatus
from venueos.events.selectors import (
    event_get_managed,
    events_managed_by,
    registration_list_for_event,
)
from venueos.events.services import (
    TRANSITIONS,
    event_create,
    event_transition,
    event_update,
)
from venueos.venues.selectors import space_get, venues_managed_by
from venueos.web.forms_manage import EventForm, local_instant
from venueos.web.problems import problem_message, shows_problems
from venueos.web.views.eventday import doors_context
from venueos.web.views.manage import posted, show_problem
from venueos.web.views.manage_bookings import spaces_of

# How a lifecycle move reads on its button, by (from, to); then by target.
_MOVE_LABELS = {
    (EventStatus.PAUSED, EventStatus.ON_SALE): "Resume sales",
    (EventStatus.PUBLISHED, EventStatus.DRAFT): "Back to draft",
}
_TARGET_LABELS = {
    EventStatus.PUBLISHED: "Publish",
    EventStatus.ON_SALE: "Start selling",
    EventStatus.PAUSED: "Pause sales",
    EventStatus.CLOSED: "Close event",
    EventStatus.DRAFT: "Back to draft",
}
_LIFECYCLE_ORDER = list(EventStatus.values)

# Spreadsheets run a cell that starts like a formula; such cells get a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def allowed_moves(event) -> list[dict]:
    """The buttons: every status the transition table allows from here."""
    targets = sorted(TRANSITIONS.get(event.status, ()), key=_LIFECYCLE_ORDER.index)
    return [
        {
            "status": target,
            "label": _MOVE_LABELS.get((event.status, target), _TARGET_LABELS[target]),
            "danger": target == EventStatus.CLOSED,
        }
        for target in targets
    ]


def _form_context(user):
    venues = list(venues_managed_by(user).filter(archived_at__isnull=True))
    return venues, spaces_of(venues)


def _times(data: dict, zone: ZoneInfo) -> dict:
    return {
        "start_at": local_instant(data["start_date"], data["start_time"], zone),
        "end_at": local_instant(data["end_date"], data["end_time"], zone),
    }


@shows_problems
def events_manage(request):
    user = require_signed_in(request.user)
    events = list(events_managed_by(user)[:200])
    for event in events:
        event.local_start = event.start_at.astimezone(ZoneInfo(event.venue.timezone))
    return render(
        request,
        "web/manage/events.html",
        {"events": events, "nav": "dashboard", "manage_nav": "events"},
    )


@shows_problems
def event_new(request):
    user = require_signed_in(request.user)
    venues, spaces = _form_context(user)
    form = EventForm(posted(request), venues=venues, spaces=spaces)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        venue = next(venue for venue in venues if str(venue.id) == data["venue"])
        try:
            event = event_create(
                venue=venue,
                actor=user,
                space=space_get(data["space"], user=user) if data["space"] else None,
                name=data["name"],
                description=data["description"],
                capacity=data["capacity"],
                **_times(data, ZoneInfo(venue.timezone)),
            )
        except Problem as problem:
            show_problem(form, problem, field="name")
        else:
            messages.success(request, f"{event.name} is created as a draft.")
            return redirect("web:manage-event", event.id)
    elif request.method != "POST":
        start = timezone.now() + timedelta(days=14)
        form.initial.update(
            start_date=start.date(),
            end_date=start.date(),
            start_time="18:00",
            end_time="21:00",
            capacity=100,
        )
    return render(
        request,
        "web/manage/event_form.html",
        {
            "form": form,
            "event": None,
            "nav": "dashboard",
            "manage_nav": "events",
        },
        status=400 if form.errors else 200,
    )


@shows_problems
def event_edit(request, event_id):
    """The event's details and lifecycle, and a summary of its sales."""
    user = require_signed_in(request.user)
    event = event_get_managed(event_id, user=user)
    zone = ZoneInfo(event.venue.timezone)
    venues, spaces = _form_context(user)
    spaces = [space for space in spaces if space.venue_id == event.venue_id]
    start, end = event.start_at.astimezone(zone), event.end_at.astimezone(zone)
    initial = {
        "venue": str(event.venue_id),
        "space": str(event.space_id or ""),
        "name": event.name,
        "description": event.description,
        "start_date": start.date(),
        "start_time": start.time(),
        "end_date": end.date(),
        "end_time": end.time(),
        "capacity": event.capacity,
    }
    form = EventForm(
        posted(request), venues=[event.venue], spaces=spaces, initial=initial
    )
    form.fields["venue"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = event_update(
                event=event,
                actor=user,
                space=space_get(data["space"], user=user) if data["space"] else None,
                name=data["name"],
                description=data["description"],
                capacity=data["capacity"],
                **_times(data, zone),
            )
        except Problem as problem:
            show_problem(form, problem, field="name")
        else:
            messages.success(request, f"{event.name} is saved.")
            return redirect("web:manage-event", event.id)
    return render(
        request,
        "web/manage/event_form.html",
        {
            "form": form,
            "event": event,
            "moves": allowed_moves(event),
            "nav": "dashboard",
            "manage_nav": "events",
            **doors_context(event, user),
        },
        status=400 if form.errors else 200,
    )


@shows_problems
def event_move(request, event_id):
    """One lifecycle move (POST), then back to the event."""
    user = require_signed_in(request.user)
    event = event_get_managed(event_id, user=user)
    if request.method == "POST":
        try:
            event = event_transition(
                event=event, actor=user, status=request.POST.get("status", "")
            )
        except Problem as problem:
            messages.error(request, problem_message(problem))
        else:
            messages.success(
                request, f"{event.name} is now {event.get_status_display().lower()}."
            )
    return redirect("web:manage-event", event.id)


def _registrations(event, user):
    return list(registration_list_for_event(event, user=user))


@shows_problems
def event_registrations(request, event_id):
    user = require_signed_in(request.user)
    event = event_get_managed(event_id, user=user)
    registrations = _registrations(event, user)
    return render(
        request,
        "web/manage/event_registrations.html",
        {
            "event": event,
            "zone": event.venue.timezone,
            "registrations": registrations,
            "places": sum(r.quantity for r in registrations if r.status == "active"),
            "nav": "dashboard",
            "manage_nav": "events",
        },
    )


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


@shows_problems
def event_registrations_csv(request, event_id):
    user = require_signed_in(request.user)
    event = event_get_managed(event_id, user=user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="registrations-{event.slug}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        ["name", "email", "places", "status", "registered_at", "cancelled_at"]
    )
    for registration in _registrations(event, user):
        writer.writerow(
            _cell(value)
            for value in (
                registration.attendee.full_name,
                registration.attendee.email,
                registration.quantity,
                registration.status,
                registration.created_at.isoformat(),
                registration.cancelled_at.isoformat()
                if registration.cancelled_at
                else "",
            )
        )
    return response
