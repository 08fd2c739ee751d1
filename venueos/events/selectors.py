"""Event and registration reads.

Visibility: drafts exist only for the managers of their organization (and
admins); everyone else gets a 404, as if the draft did not exist.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from venueos.common.permissions import (
    manages_organization,
    require_manager_of,
    require_manager_or_admin,
)
from venueos.common.problems import InvalidInput, NotFound
from venueos.events.models import Event, EventStatus, Registration, RegistrationStatus


def _choice(value: str | None, choices: list[str], message: str) -> str | None:
    if value and value not in choices:
        raise InvalidInput.field("status", f"{message} {', '.join(choices)}.")
    return value or None


def _visible_events(user) -> QuerySet:
    events = Event.objects.select_related("organization")
    if user is not None and user.is_authenticated and user.is_admin:
        return events
    visible = ~Q(status=EventStatus.DRAFT)
    if user is not None and user.is_authenticated and user.is_manager:
        visible |= Q(organization_id=user.organization_id)
    return events.filter(visible)


def event_list(
    *,
    user=None,
    venue_id=None,
    organization_slug: str | None = None,
    status: str | None = None,
    upcoming: bool = False,
) -> QuerySet:
    status = _choice(status, EventStatus.values, "Must be one of")
    events = _visible_events(user)
    if venue_id:
        events = events.filter(venue_id=venue_id)
    if organization_slug:
        events = events.filter(organization__slug=organization_slug)
    if status:
        events = events.filter(status=status)
    if upcoming:
        events = events.filter(end_at__gt=timezone.now())
    return events.order_by("start_at", "id")


def event_get(event_id, *, user=None) -> Event:
    event = (
        Event.objects.select_related("organization", "venue", "space")
        .filter(pk=event_id)
        .first()
    )
    return _visible_or_404(event, user)


# What a sale and its answer read of the event (the others load on access),
# in the model's field order, as `Model.from_db` takes them.
_SALE_FIELDS = tuple(
    field.attname
    for field in Event._meta.concrete_fields
    if field.attname
    in {"id", "organization_id", "venue_id", "name", "start_at", "end_at",
        "status", "capacity", "tickets_sold"}
)  # fmt: skip
_SALE_SQL = f"SELECT {', '.join(_SALE_FIELDS)} FROM events_event WHERE id = %s"


def event_get_for_sale(event_id, *, user=None) -> Event:
    """The event without its organization, venue or space: one plain query,
    for the registration path every buyer of a busy sale takes. Same
    visibility as `event_get`."""
    with connection.cursor() as cursor:
        cursor.execute(_SALE_SQL, [event_id])
        row = cursor.fetchone()
    event = None if row is None else Event.from_db("default", _SALE_FIELDS, row)
    return _visible_or_404(event, user)


def _visible_or_404(event: Event | None, user) -> Event:
    if event is None or (
        event.status == EventStatus.DRAFT
        and not manages_organization(user, event.organization_id)
    ):
        raise NotFound("No such event.")
    return event


def registration_get(registration_id, *, user=None) -> Registration:
    """A registration its attendee or the event's managers may see."""
    registration = (
        Registration.objects.select_related("event", "attendee")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or not (
        (user is not None and user.pk == registration.attendee_id)
        or manages_organization(user, registration.event.organization_id)
    ):
        raise NotFound("No such registration.")
    return registration


def registration_list_for_event(
    event: Event, *, user, status: str | None = None
) -> QuerySet:
    """An event's registrations, for its managers only."""
    require_manager_of(user, event.organization_id)
    status = _choice(status, RegistrationStatus.values, "Use one of:")
    registrations = Registration.objects.filter(event_id=event.id).select_related(
        "attendee", "event"
    )
    if status:
        registrations = registrations.filter(status=status)
    return registrations.order_by("created_at", "id")


def registration_list_for_user(user, *, status: str | None = None) -> QuerySet:
    status = _choice(status, RegistrationStatus.values, "Use one of:")
    registrations = Registration.objects.filter(attendee=user).select_related(
        "attendee", "event"
    )
    if status:
        registrations = registrations.filter(status=status)
    return registrations.order_by("-created_at", "id")


def oversold_events() -> list[str]:
    """Every event whose tickets_sold disagrees with its active registrations or
    exceeds its capacity (one query). Empty when the invariant holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.id, e.name, e.capacity, e.tickets_sold, COALESCE(r.sold, 0)
            FROM events_event e
            LEFT JOIN (
                SELECT event_id, SUM(quantity) AS sold
                FROM events_registration WHERE status = 'active'
                GROUP BY event_id
            ) r ON r.event_id = e.id
            WHERE e.tickets_sold <> COALESCE(r.sold, 0)
               OR e.tickets_sold > e.capacity
               OR COALESCE(r.sold, 0) > e.capacity
            ORDER BY e.start_at, e.id
            """
        )
        rows = cursor.fetchall()
    return [
        f"event {event_id} ({name}): tickets_sold={sold}, active registrations="
        f"{registered}, capacity={capacity}"
        for event_id, name, capacity, sold, registered in rows
    ]


def events_managed_by(user) -> QuerySet:
    """The events a person runs (all for administrators, their organization's
    for managers), latest first; anyone else is refused (403)."""
    require_manager_or_admin(user)
    events = Event.objects.select_related("venue", "space")
    if not user.is_admin:
        events = events.filter(organization_id=user.organization_id)
    return events.order_by("-start_at", "id")


def event_get_managed(event_id, *, user) -> Event:
    """An event for its managers' pages: 404 if missing or a draft the
    caller may not see (as `event_get`), 403 for others."""
    event = (
        Event.objects.select_related("organization", "venue", "space")
        .filter(pk=event_id)
        .first()
    )
    if event is None or (
        event.status == EventStatus.DRAFT
        and not manages_organization(user, event.organization_id)
    ):
        raise NotFound("No such event.")
    require_manager_of(user, event.organization_id)
    return event
