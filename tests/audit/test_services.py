"""The one audit entry point: single and bulk entries, the dotted action codes,
and the hook that lets higher layers react inside the same transaction."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.bookings.helpers import at, future_day
from tests.conftest import make_space, make_user, make_venue
from venueos.audit.actions import AuditAction
from venueos.audit.hooks import entries_recorded
from venueos.audit.models import AuditEntry
from venueos.audit.services import Change, audit_record, changed_fields, snapshot
from venueos.bookings.imports import BookingImportRow, booking_import
from venueos.bookings.models import Booking
from venueos.bookings.services import booking_create
from venueos.common.problems import Conflict

pytestmark = pytest.mark.django_db

DAY = future_day(60)


def test_every_action_is_a_dotted_code_naming_its_entity_type():
    for action in AuditAction:
        entity_type, verb = action.value.split(".")
        assert action.entity_type == entity_type
        assert entity_type in {
            "booking",
            "booking_series",
            "event",
            "registration",
            "waitlist",
            "checkin",
            "venue",
            "space",
            "gate",
        }
        assert verb and verb == verb.lower()


def test_one_entry_takes_its_entity_type_from_the_action(manager):
    entity = uuid.uuid4()
    with transaction.atomic():
        [entry] = audit_record(
            action=AuditAction.VENUE_UPDATED,
            actor=manager,
            entity_id=entity,
            old={"name": "Old", "opens": DAY},
            new={"name": "New", "opens": None},
        )
    entry.refresh_from_db()
    assert (entry.entity_type, entry.entity_id, entry.action) == (
        "venue",
        entity,
        "venue.updated",
    )
    assert entry.actor == manager
    assert entry.old_values == {"name": "Old", "opens": DAY.isoformat()}
    assert entry.new_values == {"name": "New", "opens": None}


def test_many_entries_are_one_insert(manager):
    changes = [Change(uuid.uuid4(), new={"n": n}) for n in range(50)]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        entries = audit_record(
            action=AuditAction.BOOKING_IMPORTED, actor=manager, changes=changes
        )
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert [e.entity_id for e in entries] == [c.entity_id for c in changes]
    assert AuditEntry.objects.filter(action="booking.imported").count() == 50


def test_unknown_actions_and_mixed_arguments_are_refused(manager):
    with transaction.atomic():
        with pytest.raises(ValueError):
            audit_record(
                action="booking.exploded", actor=manager, entity_id=uuid.uuid4()
            )
        with pytest.raises(TypeError):
            audit_record(
                action=AuditAction.BOOKING_IMPORTED,
                actor=manager,
                entity_id=uuid.uuid4(),
                changes=[],
            )
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_audit_log_is_written_only_inside_a_transaction(db):
    with pytest.raises(RuntimeError):
        audit_record(
            action=AuditAction.VENUE_ARCHIVED, actor=None, entity_id=uuid.uuid4()
        )
    assert not AuditEntry.objects.exists()


def test_snapshots_and_changed_fields(venue):
    assert snapshot(venue, ["name", "slot_minutes"]) == {
        "name": venue.name,
        "slot_minutes": venue.slot_minutes,
    }
    old, new = changed_fields(
        venue, ["name", "slot_minutes"], {"name": venue.name, "slot_minutes": 30}
    )
    assert (old, new) == ({"slot_minutes": venue.slot_minutes}, {"slot_minutes": 30})


@pytest.mark.django_db(transaction=True)
def test_hook_receivers_see_every_entry_inside_the_writes_transaction(manager):
    space = make_space(make_venue(manager.organization))
    alice = make_user()
    seen = []
    connected_before = entries_recorded.receivers

    def receiver(*, entries):
        # Inside the durable transaction of the write, before its commit.
        assert connection.in_atomic_block
        seen.append([(e.action, e.entity_id) for e in entries])

    with entries_recorded.connected(receiver):
        booking = booking_create(
            actor=manager,
            space=space,
            start_time=at(DAY, "10:00"),
            end_time=at(DAY, "11:00"),
            title="One",
        )
        rows = [
            BookingImportRow(space, alice, at(DAY, f"{h}:00"), at(DAY, f"{h}:30"), "b")
            for h in (12, 13, 14)
        ]
        booking_import(actor=manager, rows=rows)
    assert entries_recorded.receivers == connected_before

    imported = list(
        Booking.objects.filter(user=alice)
        .order_by("start_time")
        .values_list("id", flat=True)
    )
    assert seen == [
        [("booking.created", booking.id)],
        [("booking.imported", booking_id) for booking_id in imported],
    ]


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_refuses_rolls_the_write_back(manager):
    space = make_space(make_venue(manager.organization))

    def refuse(*, entries):
        raise Conflict("Not today.", slug="not-today", title="Not today")

    with entries_recorded.connected(refuse), pytest.raises(Conflict):
        booking_create(
            actor=manager,
            space=space,
            start_time=at(DAY, "10:00"),
            end_time=at(DAY, "11:00"),
            title="Never stored",
        )
    assert not Booking.objects.exists()
    assert not AuditEntry.objects.exists()
