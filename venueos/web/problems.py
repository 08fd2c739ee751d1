"""Domain problems worded for people.

Services raise the same `Problem` exceptions for the API and for the site; the
API shows them as problem+json, the site shows the message this module makes of
them. Views never decide a rule themselves: they call the service, and when it
refuses, they show why with `problem_message` (a whole-page message) or
`add_problem_to_form` (next to the form field it concerns).
"""

from __future__ import annotations

import functools

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse

from venueos.common.problems import NotAuthenticated, Problem

# Problem types whose API wording names request fields or headers; everything
# else already reads well and is shown as the service worded it.
_MESSAGES = {
    "not-authenticated": "Please sign in to continue.",
    "invalid-credentials": "That e-mail and password do not match an account.",
    "permission-denied": "Your account is not allowed to do that.",
    "not-found": "We could not find that. It may have been removed, or it is not "
    "yours to see.",
    "invalid-time-range": "The end time must be after the start time.",
    "in-the-past": "That time has already passed. Please pick a later time.",
    "outside-opening-hours": "The venue is closed for part of that time. Please "
    "pick a time within its opening hours.",
    "in-closure": "The space is closed for part of that time (a holiday or "
    "maintenance). Please pick another time.",
    "booking-conflict": "Someone else has booked that time (or a space that "
    "contains it or lies inside it).",
    "busy": "Many people are booking right now and nothing was changed. Please "
    "try again.",
    "throttled": "Too many attempts in a short time. Please wait a minute and try "
    "again.",
    "server-error": "Something went wrong on our side. Please try again.",
}

# How the services name fields, and which form field shows the message.
_FIELD_ALIASES = {
    "start_time": "start",
    "end_time": "end",
    "attendee_count": "attendee_count",
    "space_id": "space",
}


def problem_message(problem: Problem) -> str:
    """One sentence or two a person understands, for any problem."""
    if problem.slug == "off-grid":
        return (
            "Bookings here start and end on the venue's time grid. Please pick "
            "times like those in the availability grid."
        )
    message = _MESSAGES.get(problem.slug)
    if message:
        return message
    if problem.errors and problem.detail == problem.title:
        return " ".join(messages[0] for messages in problem.errors.values())
    return problem.detail


def add_problem_to_form(
    form: forms.Form, problem: Problem, *, field: str | None = None
) -> None:
    """Show a problem next to the field it concerns (the one its `errors` name,
    else `field`), or above the form."""
    for name in problem.errors or {}:
        candidate = _FIELD_ALIASES.get(name, name)
        if candidate in form.fields:
            field = candidate
            break
    form.add_error(field, problem_message(problem))


_HEADINGS = {
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    409: "That did not work",
}


def shows_problems(view):
    """A view decorator: a problem nobody handled closer becomes a page.

    Not signed in: to the sign-in page, coming back here afterwards. Any other
    problem: a page with its message and its HTTP status.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotAuthenticated:
            return redirect_to_login(request.get_full_path(), reverse("web:sign-in"))
        except Problem as problem:
            context = {
                "heading": _HEADINGS.get(problem.status, "That did not work"),
                "message": problem_message(problem),
            }
            return render(request, "web/problem.html", context, status=problem.status)

    return wrapper
