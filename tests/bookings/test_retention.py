"""Data retention: the free text of old bookings is erased per organization
setting; times, spaces, statuses and the audit facts stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.conftest import make_organization, make_space, make_user, make_venue
from venueos.audit.models import AuditEntry
from venueos.audit.services import audit_record
from venueos.bookings.models import Booking
from venueos.bookings.retention import (
    ERASED_ACTION,
    booking_personal_data_erase_expired,
)

pytestmark = pytest.mark.django_db(transaction=True)

NOW = timezone.now()


def _booking(space, *, ended_days_ago: float, cancelled_days_ago=None) -> Booking:
    user = make_user()
    end = NOW - timedelta(days=ended_days_ago)
    fields = {}
    if cancelled_days_ago is not None:
        fields = {
            "status": "cancelled",
            "cancelled_at": NOW - timedelta(days=cancelled_days_ago),
            "cancelled_by": user,
        }
    booking = Booking.objects.create(
        venue=space.venue,
        space=space,
        user=user,
        created_by=user,
        start_time=end - timedelta(hours=1),
        end_time=end,
        title=f"Therapy session for {user.full_name}",
        description="Private notes",
        external_meeting_url="https://meet.example.com/secret",
        **fields,
    )
    with transaction.atomic():
        audit_record(
            entity_type="booking",
            entity_id=booking.pk,
            action="booking.created",
            actor=user,
            new={
                "title": booking.title,
                "description": booking.description,
                "external_meeting_url": booking.external_meeting_url,
                "space_id": booking.space_id,
                "start_time": booking.start_time,
            },
        )
    return booking


@pytest.fixture
def spaces():
    keeping = make_organization()
    keeping.booking_retention_days = 30
    keeping.save()
    never = make_organization()  # no setting: off
    return (
        make_space(make_venue(keeping), name="Room A"),
        make_space(make_venue(never), name="Room B"),
    )


def test_only_bookings_past_their_organizations_retention_lose_their_text(spaces):
    space, other_space = spaces
    old = _booking(space, ended_days_ago=40)
    recent = _booking(space, ended_days_ago=10)
    cancelled_long_ago = _booking(space, ended_days_ago=-20, cancelled_days_ago=45)
    cancelled_lately = _booking(space, ended_days_ago=-20, cancelled_days_ago=5)
    other_org = _booking(other_space, ended_days_ago=400)

    assert booking_personal_data_erase_expired(now=NOW) == 2

    for booking in (old, cancelled_long_ago):
        stored = Booking.objects.get(pk=booking.pk)
        assert (stored.title, stored.description, stored.external_meeting_url) == (
            "",
            "",
            "",
        )
        # The facts stay.
        assert (stored.start_time, stored.end_time, stored.space_id) == (
            booking.start_time,
            booking.end_time,
            booking.space_id,
        )
        assert (stored.status, stored.user_id) == (booking.status, booking.user_id)
        created = AuditEntry.objects.get(entity_id=booking.pk, action="booking.created")
        assert created.new_values["title"] == ""
        assert created.new_values["external_meeting_url"] == ""
        assert created.new_values["space_id"] == str(booking.space_id)
        assert created.actor_id == booking.user_id
        assert AuditEntry.objects.filter(
            entity_id=booking.pk, action=ERASED_ACTION
        ).exists()
    for booking in (recent, cancelled_lately, other_org):
        stored = Booking.objects.get(pk=booking.pk)
        assert stored.title == booking.title
        assert stored.external_meeting_url == booking.external_meeting_url
        assert (
            AuditEntry.objects.get(
                entity_id=booking.pk, action="booking.created"
            ).new_values["title"]
            == booking.title
        )

    assert booking_personal_data_erase_expired(now=NOW) == 0  # idempotent


def test_erasure_runs_in_batches_until_done(spaces):
    space, _ = spaces
    for day in range(7):
        _booking(space, ended_days_ago=60 + day)
    assert booking_personal_data_erase_expired(now=NOW, batch_size=3) == 7
    assert not Booking.objects.exclude(title="").exists()


def test_the_audit_log_still_refuses_every_other_change(spaces):
    space, _ = spaces
    booking = _booking(space, ended_days_ago=1)
    entry = AuditEntry.objects.get(entity_id=booking.pk)
    refused = [
        "UPDATE audit_auditentry SET action = 'booking.cancelled' WHERE id = %s",
        "UPDATE audit_auditentry SET new_values = new_values || "
        '\'{"title": "rewritten"}\' WHERE id = %s',
        "UPDATE audit_auditentry SET new_values = audit_erase_personal(new_values),"
        " request_id = 'forged' WHERE id = %s",
        "UPDATE audit_auditentry SET new_values = new_values - 'space_id' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ]
    for statement in refused:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.new_values["title"] == booking.title


def test_the_retention_job_is_scheduled_daily():
    from procrastinate.contrib.django import app

    [periodic] = [
        task
        for task in app.periodic_registry.periodic_tasks.values()
        if task.task.name == "bookings.erase_expired_personal_data"
    ]
    assert periodic.cron == "17 3 * * *"


def test_the_admin_shows_the_setting_and_which_bookings_were_erased(spaces, client):
    space, _ = spaces
    erased = _booking(space, ended_days_ago=90)
    kept = _booking(space, ended_days_ago=1)
    booking_personal_data_erase_expired(now=NOW)
    client.force_login(make_user("admin"))
    organization = space.venue.organization
    page = client.get(f"/admin/accounts/organization/{organization.pk}/change/")
    assert page.status_code == 200
    assert b"booking_retention_days" in page.content
    listing = client.get("/admin/bookings/booking/?personal_data=erased")
    assert listing.status_code == 200
    assert str(erased.pk).encode() in listing.content
    assert str(kept.pk).encode() not in listing.content
