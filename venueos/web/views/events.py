"""Events for everyone, registration with a quantity, and "My tickets"."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render

from venueos.common.permissions import require_signed_in
from venueos.common.problems import Problem
from venueos.events.selectors import (
    event_get,
    registration_get,
    registration_list_for_user,
)
from venueos.events.services import registration_cancel, registration_create
from venueos.events.waitlist import waitlist_for_user
from venueos.realtime.pages import streams_from_here
from venueos.web.forms import RegistrationForm, WaitlistForm
from venueos.web.problems import (
    add_problem_to_form,
    problem_message,
    shows_problems,
)
from venueos.web.views.public import upcoming_events


def event_list_view(request):
    return render(
        request,
        "web/events/list.html",
        {"events": upcoming_events(request.user, limit=100), "nav": "events"},
    )


def _my_registration(user, event):
    if not user.is_authenticated:
        return None
    return registration_list_for_user(user, status="active").filter(event=event).first()


def _my_waiting_entry(user, event):
    if not user.is_authenticated:
        return None
    return waitlist_for_user(user, status="waiting").filter(event=event).first()


@shows_problems
@streams_from_here
def event_detail(request, event_id):
    event = event_get(event_id, user=request.user)
    form = RegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        user = require_signed_in(request.user)
        if form.is_valid():
            try:
                registration = registration_create(
                    event=event,
                    actor=user,
                    quantity=form.cleaned_data["quantity"],
                    state_read_now=True,
                )
            except Problem as problem:
                add_problem_to_form(form, problem, field="quantity")
            else:
                places = registration.quantity
                messages.success(
                    request,
                    f"You are registered for {event.name}: {places} "
                    f"place{'s' if places != 1 else ''}.",
                )
                return redirect("web:my-tickets")
        status = 409 if form.errors else 400
        event = event_get(event_id, user=request.user)
    return render(
        request,
        "web/events/detail.html",
        {
            "event": event,
            "form": form,
            "registration": _my_registration(request.user, event),
            "waiting": _my_waiting_entry(request.user, event),
            "waitlist_form": WaitlistForm(),
            "nav": "events",
        },
        status=status,
    )


@shows_problems
def my_tickets(request):
    user = require_signed_in(request.user)
    registrations = registration_list_for_user(user).select_related("event__venue")
    waiting = waitlist_for_user(user, status="waiting").select_related("event__venue")
    return render(
        request,
        "web/events/tickets.html",
        {
            "registrations": list(registrations[:100]),
            "waiting": list(waiting[:100]),
            "nav": "my-tickets",
        },
    )


@shows_problems
def ticket_cancel(request, registration_id):
    user = require_signed_in(request.user)
    registration = registration_get(registration_id, user=user)
    error = None
    if request.method == "POST":
        try:
            registration_cancel(registration=registration, actor=user)
        except Problem as problem:
            error = problem_message(problem)
        else:
            messages.success(
                request, f"Your places for {registration.event.name} are cancelled."
            )
            return redirect("web:my-tickets")
    return render(
        request,
        "web/events/cancel.html",
        {"registration": registration, "error": error, "nav": "my-tickets"},
        status=409 if error else 200,
    )
