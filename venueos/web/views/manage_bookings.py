"""Bookings oversight for managers: every booking of their venues, filtered by
venue, space, status and dates; confirm or reject a pending one; cancel one
with a reason; book on behalf of a customer. Times are shown and typed in the
venue's zone. The services decide who may do what."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from venueos.accounts.selectors import user_by_email
from venueos.bookings.selectors import booking_get_for, booking_list
from venueos.bookings.services import booking_cancel, booking_create, booking_decide
from venueos.common.permissions import require_signed_in
from venueos.common.problems import Problem
from venueos.common.timeutils import local_wall_time
from venueos.venues.selectors import (
    space_get,
    venue_get_managed,
    venue_spaces,
    venues_managed_by,
)
from venueos.web.forms_manage import (
    BookingFilterForm,
    DecisionForm,
    ManagerCancelForm,
    OnBehalfForm,
    label_spaces,
    local_instant,
    minute_of_day,
)
from venueos.web.problems import problem_message, shows_problems
from venueos.web.views.manage import attach_venues, posted, show_problem

LIST_LIMIT = 200


def spaces_of(venues) -> list:
    """The spaces of the venues, labelled with their ancestors, by venue."""
    spaces = []
    for venue in venues:
        for space in label_spaces(venue_spaces(venue.id)):
            space.venue = venue
            spaces.append(space)
    return spaces


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@shows_problems
def bookings_oversight(request):
    user = require_signed_in(request.user)
    venues = list(venues_managed_by(user))
    spaces = spaces_of(venues)
    form = BookingFilterForm(request.GET or None, venues=venues, spaces=spaces)
    filters = form.cleaned_data if form.is_valid() else {}
    venue = next((v for v in venues if str(v.id) == filters.get("venue")), None)
    # Dates are whole days in the chosen venue's zone (UTC across venues).
    zone = ZoneInfo(venue.timezone if venue else "UTC")
    # Unfiltered, the list starts with what is still to come.
    start = None if request.GET else timezone.now()
    end = None
    if filters.get("start"):
        start = local_wall_time(filters["start"], 0, zone)
    if filters.get("end"):
        end = local_wall_time(filters["end"] + timedelta(days=1), 0, zone)
    bookings = booking_list(
        user=user,
        venue_ids=[venue.id] if venue else [v.id for v in venues],
        space_id=filters.get("space") or None,
        status=filters.get("status") or None,
        start=start,
        end=end,
    )
    bookings = attach_venues(bookings[: LIST_LIMIT + 1], venues)
    return render(
        request,
        "web/manage/bookings.html",
        {
            "form": form,
            "bookings": bookings[:LIST_LIMIT],
            "truncated": len(bookings) > LIST_LIMIT,
            "limit": LIST_LIMIT,
            "filtered": bool(request.GET),
            "nav": "dashboard",
            "manage_nav": "bookings",
        },
    )


@shows_problems
def booking_decide_view(request, booking_id):
    """Confirm or reject a pending booking (POST), then back where the
    manager came from."""
    user = require_signed_in(request.user)
    booking = booking_get_for(user, booking_id)
    form = DecisionForm(posted(request))
    if request.method != "POST" or not form.is_valid():
        return redirect("web:manage-bookings")
    approve = form.cleaned_data["decision"] == "confirm"
    try:
        booking_decide(
            actor=user,
            booking=booking,
            approve=approve,
            reason=form.cleaned_data["reason"],
        )
    except Problem as problem:
        messages.error(request, problem_message(problem))
    else:
        verb = "confirmed" if approve else "rejected"
        messages.success(request, f"“{booking.title}” is {verb}.")
    return redirect(_back(request, "web:dashboard"))


@shows_problems
def booking_cancel_manage(request, booking_id):
    """Cancel a booking of one's venue with a reason the customer sees; a
    pending one can also be confirmed or rejected here."""
    user = require_signed_in(request.user)
    booking = booking_get_for(user, booking_id)
    # A manager's page: its owner cancels from "My bookings" instead.
    venue_get_managed(booking.venue_id, user=user)
    form = ManagerCancelForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            booking_cancel(
                actor=user, booking=booking, reason=form.cleaned_data["reason"]
            )
        except Problem as problem:
            show_problem(form, problem)
        else:
            messages.success(request, f"“{booking.title}” is cancelled.")
            return redirect(_back(request, "web:manage-bookings"))
    return render(
        request,
        "web/manage/booking_cancel.html",
        {
            "form": form,
            "booking": booking,
            "venue": booking.venue,
            "next": _back(request, ""),
            "nav": "dashboard",
            "manage_nav": "bookings",
        },
        status=400 if form.errors else 200,
    )


@shows_problems
def booking_on_behalf(request):
    """Book any space of one's venues for a customer, found by e-mail."""
    user = require_signed_in(request.user)
    venues = list(venues_managed_by(user).filter(archived_at__isnull=True))
    spaces = [space for space in spaces_of(venues) if space.is_bookable]
    initial = {"attendee_count": 1, "space": request.GET.get("space", "")}
    form = OnBehalfForm(posted(request), spaces=spaces, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = user_by_email(data["customer"])
        space = space_get(data["space"], user=user)
        if customer is None:
            form.add_error("customer", "No account has that e-mail address.")
        else:
            zone = ZoneInfo(space.venue.timezone)
            start = local_instant(data["date"], data["start"], zone)
            end = local_instant(data["date"], data["end"], zone)
            if minute_of_day(data["end"]) <= minute_of_day(data["start"]):
                end = local_instant(data["date"] + timedelta(days=1), data["end"], zone)
            try:
                booking = booking_create(
                    actor=user,
                    owner=customer,
                    space=space,
                    start_time=start,
                    end_time=end,
                    title=data["title"],
                    description=data["description"],
                    attendee_count=data["attendee_count"],
                )
            except Problem as problem:
                show_problem(form, problem)
            else:
                messages.success(
                    request,
                    f"“{booking.title}” is booked for {customer.full_name}.",
                )
                return redirect("web:booking", booking.id)
    return render(
        request,
        "web/manage/booking_on_behalf.html",
        {
            "form": form,
            "nav": "dashboard",
            "manage_nav": "bookings",
        },
        status=400 if form.errors else 200,
    )
