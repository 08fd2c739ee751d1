"""The venue editor: details and booking policy, the weekly opening-hours
table, closures, and the space tree (add inside, rename, move, capacity,
features, bookable, approval, delete). Times are typed in the venue's zone.

Each page reads the venue through `venue_get_managed` (404 if it does not
exist, 403 for anyone who does not manage it) and changes it through the
venue services, whose refusals are shown next to the fields they concern.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from venueos.common.permissions import require_signed_in
from venueos.common.problems import Problem
from venueos.venues.selectors import (
    closure_get,
    closure_list,
    opening_hours,
    space_get,
    space_tree,
    venue_get_managed,
    venue_spaces,
    venues_managed_by,
)
from venueos.venues.services import (
    closure_create,
    closure_delete,
    opening_hours_replace,
    space_create,
    space_delete,
    space_update,
    venue_update,
)
from venueos.web.forms_manage import (
    ADDRESS_KEYS,
    ClosureForm,
    OpeningHoursForm,
    SpaceForm,
    VenueForm,
    label_spaces,
    local_instant,
)
from venueos.web.problems import problem_message, shows_problems
from venueos.web.views.manage import posted, show_problem

POLICY_FIELDS = [
    "name",
    "slug",
    "timezone",
    "max_capacity",
    "slot_minutes",
    "min_duration_minutes",
    "max_duration_minutes",
    "booking_horizon_days",
    "max_active_bookings_per_customer",
]
# The services' field names -> the forms' (where they differ).
SPACE_FIELDS = {"parent_id": "parent"}
# (start_time and end_time stay: the foundation's aliases would name fields
# this form does not have.)
CLOSURE_FIELDS = {
    "start_time": "start_time",
    "end_time": "end_time",
    "space_id": "space",
}
VENUE_FIELDS = {"address": "street"}


def _page(request, template: str, venue, tab: str, status: int = 200, **context):
    return render(
        request,
        f"web/manage/{template}",
        {
            "venue": venue,
            "tab": tab,
            "nav": "dashboard",
            "manage_nav": "venues",
            **context,
        },
        status=status,
    )


@shows_problems
def venues_manage(request):
    user = require_signed_in(request.user)
    return render(
        request,
        "web/manage/venues.html",
        {
            "venues": list(venues_managed_by(user)),
            "nav": "dashboard",
            "manage_nav": "venues",
        },
    )


@shows_problems
def venue_edit(request, venue_id):
    """Details and booking policy."""
    user = require_signed_in(request.user)
    venue = venue_get_managed(venue_id, user=user)
    initial = {field: getattr(venue, field) for field in POLICY_FIELDS}
    address = venue.address or {}
    if isinstance(address, str):  # stored before addresses had parts
        address = {"street": address}
    initial.update({key: address.get(key, "") for key in ADDRESS_KEYS})
    form = VenueForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        updates = {field: form.cleaned_data[field] for field in POLICY_FIELDS}
        updates["slug"] = updates["slug"] or venue.slug
        updates["address"] = form.address(address)
        try:
            venue = venue_update(venue=venue, actor=user, **updates)
        except Problem as problem:
            show_problem(form, problem, fields=VENUE_FIELDS)
        else:
            messages.success(request, f"{venue.name} is saved.")
            return redirect("web:manage-venue", venue.id)
    return _page(
        request,
        "venue_edit.html",
        venue,
        "details",
        status=400 if form.errors else 200,
        form=form,
    )


def _hours_problem(form: OpeningHoursForm, problem: Problem) -> None:
    """Put the service's refusal next to the interval it names ("[3].closes":
    the fourth interval sent), or above the table."""
    for name in problem.errors or {}:
        if name.startswith("[") and name.endswith("].closes"):
            index = int(name[1 : name.index("]")])
            form.add_error(form.fields_of[index], problem_message(problem))
            return
    if "opening_hours" in (problem.errors or {}):
        form.add_error(
            None, "Two intervals of the same day overlap. Please separate them."
        )
        return
    form.add_error(None, problem_message(problem))


@shows_problems
def venue_hours(request, venue_id):
    """The weekly opening-hours table (several intervals a day)."""
    user = require_signed_in(request.user)
    venue = venue_get_managed(venue_id, user=user)
    form = OpeningHoursForm(posted(request), hours=opening_hours(venue.id))
    if request.method == "POST" and form.is_valid():
        try:
            opening_hours_replace(venue=venue, actor=user, intervals=form.intervals)
        except Problem as problem:
            _hours_problem(form, problem)
        else:
            messages.success(request, "The opening hours are saved.")
            return redirect("web:manage-venue-hours", venue.id)
    return _page(
        request,
        "venue_hours.html",
        venue,
        "hours",
        status=400 if form.errors else 200,
        form=form,
    )


@shows_problems
def venue_closures(request, venue_id):
    """Closures of the venue or one space: the list, and a form to add one."""
    user = require_signed_in(request.user)
    venue = venue_get_managed(venue_id, user=user)
    zone = ZoneInfo(venue.timezone)
    spaces = label_spaces(venue_spaces(venue.id))
    form = ClosureForm(posted(request), spaces=spaces)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            closure_create(
                venue=venue,
                actor=user,
                space=space_get(data["space"], user=user, venue_id=venue.id)
                if data["space"]
                else None,
                start_time=local_instant(data["start_date"], data["start_time"], zone),
                end_time=local_instant(data["end_date"], data["end_time"], zone),
                reason=data["reason"],
                reason_public=data["reason_public"],
            )
        except Problem as problem:
            show_problem(form, problem, fields=CLOSURE_FIELDS)
        else:
            messages.success(request, "The closure is added.")
            return redirect("web:manage-venue-closures", venue.id)
    elif request.method != "POST":
        tomorrow = timezone.now().astimezone(zone).date() + timedelta(days=1)
        form.initial.update(
            start_date=tomorrow,
            end_date=tomorrow,
            start_time="00:00",
            end_time="23:59",
        )
    labels = {space.id: space.label for space in spaces}
    closures = list(closure_list(venue, user=user))
    for closure in closures:
        closure.space_label = labels.get(closure.space_id, "The whole venue")
    return _page(
        request,
        "venue_closures.html",
        venue,
        "closures",
        status=400 if form.errors else 200,
        form=form,
        closures=closures,
    )


@shows_problems
def closure_remove(request, venue_id, closure_id):
    user = require_signed_in(request.user)
    venue = venue_get_managed(venue_id, user=user)
    closure = closure_get(closure_id, user=user, venue_id=venue.id)
    if request.method == "POST":
        try:
            closure_delete(closure=closure, actor=user)
        except Problem as problem:
            messages.error(request, problem_message(problem))
        else:
            messages.success(request, "The closure is removed.")
    return redirect("web:manage-venue-closures", venue.id)


@shows_problems
def venue_spaces_view(request, venue_id):
    """The space tree, each space with what can be done to it."""
    user = require_signed_in(request.user)
    venue = venue_get_managed(venue_id, user=user)
    return _page(
        request,
        "venue_spaces.html",
        venue,
        "spaces",
        roots=space_tree(venue.id),
    )


def _space_form_values(data: dict) -> dict:
    return {
        "name": data["name"],
        "capacity": data["capacity"],
        "features": data["features"],
        "is_bookable": data["is_bookable"],
        "requires_approval": data["requires_approval"],
        "buffer_before_minutes": data["buffer_before_minutes"],
        "buffer_after_minutes": data["buffer_after_minutes"],
    }


@shows_problems
def space_new(request, venue_id):
    """Add a space, at the top level or inside another (`?parent=`)."""
    user = require_signed_in(request.user)
    venue = venue_get_managed(venue_id, user=user)
    spaces = label_spaces(venue_spaces(venue.id))
    initial = {
        "parent": request.GET.get("parent", ""),
        "is_bookable": True,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
    }
    form = SpaceForm(posted(request), spaces=spaces, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            space = space_create(
                venue=venue,
                actor=user,
                parent=space_get(data["parent"], user=user, venue_id=venue.id)
                if data["parent"]
                else None,
                **_space_form_values(data),
            )
        except Problem as problem:
            show_problem(form, problem, fields=SPACE_FIELDS, field="name")
        else:
            messages.success(request, f"{space.name} is added.")
            return redirect("web:manage-venue-spaces", venue.id)
    return _page(
        request,
        "space_form.html",
        venue,
        "spaces",
        status=400 if form.errors else 200,
        form=form,
        space=None,
    )


@shows_problems
def space_edit(request, venue_id, space_id):
    """Rename, move, capacity, features, bookable, approval, buffers; or
    delete."""
    user = require_signed_in(request.user)
    venue = venue_get_managed(venue_id, user=user)
    space = space_get(space_id, user=user, venue_id=venue.id)
    spaces = [s for s in label_spaces(venue_spaces(venue.id)) if s.id != space.id]
    initial = {
        "name": space.name,
        "parent": str(space.parent_id or ""),
        "capacity": space.capacity,
        "features": ", ".join(space.features),
        "is_bookable": space.is_bookable,
        "requires_approval": space.requires_approval,
        "buffer_before_minutes": space.buffer_before_minutes,
        "buffer_after_minutes": space.buffer_after_minutes,
    }
    form = SpaceForm(posted(request), spaces=spaces, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            space = space_update(
                space=space,
                actor=user,
                parent=space_get(data["parent"], user=user, venue_id=venue.id)
                if data["parent"]
                else None,
                **_space_form_values(data),
            )
        except Problem as problem:
            show_problem(form, problem, fields=SPACE_FIELDS, field="name")
        else:
            messages.success(request, f"{space.name} is saved.")
            return redirect("web:manage-venue-spaces", venue.id)
    return _page(
        request,
        "space_form.html",
        venue,
        "spaces",
        status=400 if form.errors else 200,
        form=form,
        space=space,
    )


@shows_problems
def space_remove(request, venue_id, space_id):
    user = require_signed_in(request.user)
    venue = venue_get_managed(venue_id, user=user)
    space = space_get(space_id, user=user, venue_id=venue.id)
    if request.method == "POST":
        try:
            space_delete(space=space, actor=user)
        except Problem as problem:
            messages.error(request, problem_message(problem))
            return redirect("web:manage-space", venue.id, space.id)
        messages.success(request, f"{space.name} is deleted.")
    return redirect("web:manage-venue-spaces", venue.id)
