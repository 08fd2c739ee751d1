"""Event day in the browser: joining and leaving a waiting list, what the
managers' event page shows of the queue and the doors (`doors_context`, used
by `manage_events.event_edit`) and the check-in screen for gate staff. As thin as the API views: parse the form, call the same
service or selector, render; a refusal is shown as the service worded it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import redirect, render

from venueos.common.permissions import require_signed_in
from venueos.common.problems import Problem
from venueos.events import checkin, waitlist
from venueos.events.selectors import event_get, event_get_managed
from venueos.venues.gates import gate_list
from venueos.web.forms import CheckInForm, WaitlistForm
from venueos.web.problems import problem_message, shows_problems


@shows_problems
def waitlist_join_view(request, event_id):
    """POST from the event page; anything else goes back there."""
    user = require_signed_in(request.user)
    event = event_get(event_id, user=user)
    if request.method != "POST":
        return redirect("web:event", event_id=event.id)
    form = WaitlistForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("quantity", [])))
        return redirect("web:event", event_id=event.id)
    try:
        entry = waitlist.waitlist_join(
            event=event, actor=user, quantity=form.cleaned_data["quantity"]
        )
    except Problem as problem:
        messages.error(request, problem_message(problem))
        return redirect("web:event", event_id=event.id)
    messages.success(
        request,
        f"You are on the waiting list for {event.name}: number {entry.position} "
        f"in the queue. When places come back they are yours in turn, and your "
        f"ticket appears here.",
    )
    return redirect("web:my-tickets")


@shows_problems
def waitlist_leave_view(request, entry_id):
    user = require_signed_in(request.user)
    entry = waitlist.waitlist_entry_get(entry_id, user=user)
    if request.method == "POST":
        try:
            waitlist.waitlist_leave(entry=entry, actor=user)
        except Problem as problem:
            messages.error(request, problem_message(problem))
        else:
            messages.success(
                request, f"You left the waiting list for {entry.event.name}."
            )
    return redirect("web:my-tickets")


def doors_context(event, user) -> dict:
    """What the managers' event page shows of event day: the waiting list in
    order and the admissions per gate (both checked for `user` by their
    selectors)."""
    return {
        "counts": checkin.checkin_counts(event, user=user),
        "queue": list(waitlist.waitlist_for_event(event, user=user)[:200]),
        "queue_count": waitlist.waitlist_waiting_count(event, user=user),
        "window": checkin.checkin_window(event),
    }


def _scan_result(event, *, problem: Problem | None = None, check_in=None) -> dict:
    """What the check-in screen shows: a tone (admitted, already, invalid), a
    headline readable at arm's length, and one line of detail."""
    zone = ZoneInfo(event.venue.timezone)
    if problem is None:
        people = check_in.quantity
        return {
            "tone": "admitted",
            "headline": f"Admitted — {people} {'person' if people == 1 else 'people'}",
            "detail": check_in.attendee_name,
        }
    if problem.slug == "already-checked-in":
        first = datetime.fromisoformat(
            problem.extra["checked_in_at"].replace("Z", "+00:00")
        ).astimezone(zone)
        gate = problem.extra.get("gate_name")
        return {
            "tone": "already",
            "headline": f"Already checked in{f' at {gate}' if gate else ''} "
            f"{first:%H:%M}",
            "detail": f"First admitted {first:%d %b %Y, %H:%M:%S} "
            f"({event.venue.timezone}). Do not let this ticket in again.",
        }
    reasons = {
        "unknown-code": "No ticket of this event has that code.",
        "registration-cancelled": "This ticket was cancelled.",
    }
    return {
        "tone": "invalid",
        "headline": "Not valid",
        "detail": reasons.get(problem.slug) or problem_message(problem),
    }


@shows_problems
def checkin_screen(request, event_id):
    """GET: the screen. POST (a plain form, or htmx swapping only the result):
    one scan. The code field is empty and focused again after every scan, so a
    hardware scanner that types the code and Enter can go on."""
    user = require_signed_in(request.user)
    event = event_get_managed(event_id, user=user)
    counts = checkin.checkin_counts(event, user=user)
    gates = list(gate_list(event.venue, user=user))
    form = CheckInForm(request.POST or None, gates=gates)
    result, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            gate_id = form.cleaned_data["gate"]
            try:
                check_in = checkin.checkin_create(
                    event=event,
                    actor=user,
                    code=form.cleaned_data["code"],
                    gate_id=gate_id,
                )
            except Problem as problem:
                result = _scan_result(event, problem=problem)
                status = problem.status
            else:
                result = _scan_result(event, check_in=check_in)
                status = 201
                counts = checkin.checkin_counts(event, user=user)
            form = CheckInForm(initial={"gate": gate_id}, gates=gates)
        else:
            result = {
                "tone": "invalid",
                "headline": "Not valid",
                "detail": "Scan or type a ticket code.",
            }
            status = 400
    context = {
        "event": event,
        "form": form,
        "result": result,
        "counts": counts,
        "window": checkin.checkin_window(event),
        "nav": "dashboard",
    }
    if request.headers.get("HX-Request"):
        # htmx swaps 2xx answers only; the tone says what happened.
        return render(request, "web/manage/_scan_result.html", context)
    return render(request, "web/manage/checkin.html", context, status=status)
