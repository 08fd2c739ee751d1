"""Bulk import: the rules of a create, the database's overlap guarantee, all or
nothing per batch, managers only, one audit entry per booking."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.bookings.helpers import at, future_day
from tests.conftest import make_space, make_user, set_opening_hours
from venueos.accounts.models import Role
from venueos.audit.models import AuditEntry
from venueos.bookings.imports import BookingImportRow, booking_import
from venueos.bookings.models import Booking, BookingClaim
from venueos.bookings.rules import BookingRuleViolation
from venueos.bookings.services import BookingConflict, booking_create
from venueos.common.problems import PermissionDenied
from venueos.venues.models import Closure

pytestmark = pytest.mark.django_db

DAY = future_day(40)


@pytest.fixture
def tree(venue):
    """Hall > Room A > Corner, and Room B beside Room A; open 08:00-20:00."""
    set_opening_hours(venue, 8 * 60, 20 * 60)
    hall = make_space(venue, name="Hall", capacity=200)
    room_a = make_space(venue, hall, name="Room A", capacity=20)
    room_b = make_space(venue, hall, name="Room B", capacity=20)
    corner = make_space(venue, room_a, name="Corner", capacity=5)
    return {"hall": hall, "a": room_a, "b": room_b, "corner": corner}


@pytest.fixture
def alice(db):
    return make_user(full_name="Alice")


def row(space, start, end, user, title="Imported"):
    return BookingImportRow(
        space=space,
        user=user,
        start_time=at(DAY, start),
        end_time=at(DAY, end),
        title=title,
    )


def test_valid_rows_are_imported_with_claims_in_batches(tree, manager, alice):
    rows = [
        row(tree["a"], "10:00", "11:00", alice),
        row(tree["b"], "10:00", "11:00", alice),
        row(tree["corner"], "12:00", "13:00", alice),
        row(tree["hall"], "14:00", "16:00", alice),
        row(tree["a"], "11:00", "12:00", alice),  # back to back with the first
    ]
    assert booking_import(actor=manager, rows=iter(rows), batch_size=2) == 5

    stored = Booking.objects.order_by("start_time", "space__name")
    assert [(b.space.name, b.start_time) for b in stored] == [
        (r.space.name, r.start_time)
        for r in sorted(rows, key=lambda r: (r.start_time, r.space.name))
    ]
    assert {b.status for b in stored} == {"confirmed"}
    assert {b.user_id for b in stored} == {alice.id}
    assert {b.created_by_id for b in stored} == {manager.id}
    # The trigger wrote the claims: exclusive on the space, shared on ancestors.
    assert BookingClaim.objects.filter(exclusive=True).count() == 5
    assert BookingClaim.objects.filter(exclusive=False).count() == 1 + 1 + 2 + 0 + 1


def test_audit_entry_per_imported_booking(tree, manager, alice):
    rows = [
        row(tree["a"], "10:00", "11:00", alice),
        row(tree["b"], "12:00", "13:00", alice),
    ]
    booking_import(actor=manager, rows=rows)

    entries = AuditEntry.objects.filter(action="booking.imported")
    assert entries.count() == 2
    by_booking = {e.entity_id: e for e in entries}
    for booking in Booking.objects.all():
        entry = by_booking[booking.id]
        assert entry.entity_type == "booking"
        assert entry.actor_id == manager.id
        assert entry.old_values is None
        assert entry.new_values["space_id"] == str(booking.space_id)
        assert entry.new_values["user_id"] == str(alice.id)
        assert entry.new_values["status"] == "confirmed"
        recorded = datetime.fromisoformat(entry.new_values["start_time"])
        assert recorded == booking.start_time
        assert entry.created_at is not None


@pytest.mark.parametrize(
    ("slug", "start", "end"),
    [
        ("off-grid", "10:07", "11:00"),
        ("outside-opening-hours", "06:00", "07:00"),
        ("in-closure", "15:00", "16:00"),
    ],
)
def test_a_rule_breaking_row_is_the_create_problem_and_stores_nothing(
    tree, manager, alice, slug, start, end
):
    # A closure of the hall closes Room A too (found through the ancestors).
    Closure.objects.create(
        venue=tree["hall"].venue,
        space=tree["hall"],
        start_time=at(DAY, "15:00"),
        end_time=at(DAY, "17:00"),
        reason="maintenance",
    )
    # The same viewer both times: a closure's reason is told to managers only.
    with pytest.raises(BookingRuleViolation) as created:
        booking_create(
            actor=manager,
            owner=alice,
            space=tree["a"],
            start_time=at(DAY, start),
            end_time=at(DAY, end),
            title="Direct",
        )
    rows = [
        row(tree["b"], "10:00", "11:00", alice),
        row(tree["a"], start, end, alice),
    ]
    with pytest.raises(BookingRuleViolation) as imported:
        booking_import(actor=manager, rows=rows)

    problem = imported.value.as_dict()
    assert problem["status"] == 400
    assert problem["type"] == created.value.as_dict()["type"]
    assert problem["type"].endswith("/" + slug)
    assert problem["errors"] == created.value.as_dict()["errors"]
    assert "batch 1 (rows 1-2), row 2" in problem["detail"]
    assert not Booking.objects.exists()
    assert not AuditEntry.objects.filter(action="booking.imported").exists()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("a", "a"),  # same space
        ("hall", "corner"),  # parent and grandchild
        ("corner", "a"),  # child and parent
    ],
)
def test_overlap_within_the_batch_is_409_and_stores_nothing(
    tree, manager, alice, first, second
):
    rows = [
        row(tree["b"], "08:00", "09:00", alice),
        row(tree[first], "10:00", "12:00", alice),
        row(tree[second], "11:00", "13:00", alice),
    ]
    with pytest.raises(BookingConflict) as caught:
        booking_import(actor=manager, rows=rows)

    problem = caught.value.as_dict()
    assert problem["status"] == 409
    assert problem["type"].endswith("/booking-conflict")
    assert "batch 1 (rows 1-3)" in problem["detail"]
    assert not Booking.objects.exists()
    assert not BookingClaim.objects.exists()
    assert not AuditEntry.objects.filter(action="booking.imported").exists()


def test_overlap_with_a_stored_booking_fails_only_its_batch(tree, manager, alice):
    existing = booking_create(
        actor=alice,
        space=tree["corner"],
        start_time=at(DAY, "10:00"),
        end_time=at(DAY, "11:00"),
        title="Already here",
    )
    rows = [
        row(tree["b"], "08:00", "09:00", alice),  # batch 1: fine
        row(tree["b"], "09:00", "10:00", alice),  # batch 2: fine ...
        row(tree["a"], "10:30", "11:30", alice),  # ... but Room A holds the corner
    ]
    with pytest.raises(BookingConflict) as caught:
        booking_import(actor=manager, rows=rows, batch_size=1)

    assert caught.value.status == 409
    assert "batch 3 (rows 3-3)" in caught.value.detail
    assert Booking.objects.count() == 3  # the existing one + batches 1 and 2

    # In one batch: the hall overlaps the corner's booking; the valid row goes too.
    with pytest.raises(BookingConflict) as caught:
        booking_import(
            actor=manager,
            rows=[
                row(tree["b"], "14:00", "15:00", alice),
                row(tree["hall"], "10:30", "10:45", alice),
            ],
        )
    assert "batch 1 (rows 1-2)" in caught.value.detail
    assert Booking.objects.count() == 3
    assert Booking.objects.filter(pk=existing.pk).exists()


def test_a_customer_may_not_import(tree, customer, alice):
    with pytest.raises(PermissionDenied) as caught:
        booking_import(actor=customer, rows=[row(tree["a"], "10:00", "11:00", alice)])
    assert caught.value.as_dict()["status"] == 403
    assert not Booking.objects.exists()


def test_a_manager_of_another_organization_may_not_import(tree, other_manager, alice):
    with pytest.raises(PermissionDenied):
        booking_import(
            actor=other_manager, rows=[row(tree["a"], "10:00", "11:00", alice)]
        )
    assert not Booking.objects.exists()


def test_an_admin_may_import(tree, alice):
    admin = make_user(Role.ADMIN)
    assert booking_import(actor=admin, rows=[row(tree["a"], "10:00", "11:00", alice)])
    assert Booking.objects.get().created_by_id == admin.id
