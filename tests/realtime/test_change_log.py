"""The change log, written by the database at commit: every write path, in
commit order, nothing for a rollback, and nothing private in it."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone

from tests.bookings.helpers import at, future_day, utc
from tests.conftest import make_space, make_user
from tests.events.helpers import make_event
from tests.realtime.helpers import WAIT
from tests.servers import database_url
from venueos.accounts.models import Role
from venueos.bookings.imports import BookingImportRow, booking_import
from venueos.bookings.services import booking_cancel, booking_create, booking_update
from venueos.events.models import EventStatus
from venueos.events.services import (
    event_create,
    event_transition,
    event_update,
    registration_cancel,
    registration_create,
)
from venueos.events.waitlist import waitlist_join
from venueos.realtime.hub import PRUNE_SQL
from venueos.realtime.models import Change, PruneMark
from venueos.realtime.pages import stream_position
from venueos.venues.services import closure_create

pytestmark = pytest.mark.django_db(transaction=True)

# What a message may carry: ids, times, statuses, counts. Never a title, a
# name, an e-mail address, a description or a reason.
ALLOWED_KEYS = {
    "booking_id",
    "venue_id",
    "space_id",
    "event_id",
    "registration_id",
    "start_time",
    "end_time",
    "start_at",
    "end_at",
    "status",
    "previous_status",
    "attendee_count",
    "capacity",
    "tickets_sold",
    "places_left",
    "quantity",
    "intervals",
    "busy",
    "closure",
}


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def changes(**filters) -> list[Change]:
    return list(Change.objects.filter(**filters).order_by("id"))


def kinds(**filters) -> list[str]:
    return [change.kind for change in changes(**filters)]


@pytest.fixture
def pg():
    """Raw connections of their own, for transactions the test interleaves."""
    opened = []

    def connect() -> psycopg.Connection:
        conn = psycopg.connect(database_url())
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


@pytest.fixture
def room(venue):
    return make_space(venue)


def test_a_booking_writes_its_messages_when_it_commits(manager, customer, room):
    day = future_day(20)
    booking = booking_create(
        actor=customer,
        space=room,
        start_time=at(day, "10:00"),
        end_time=at(day, "11:00"),
        title="Board meeting about the secret merger",
    )
    created, availability = changes()
    assert (created.kind, availability.kind) == (
        "booking.created",
        "availability.changed",
    )
    assert created.id < availability.id
    assert created.public is False
    assert str(created.user_id) == str(customer.pk)
    assert created.data["booking_id"] == str(booking.pk)
    assert availability.public is True and availability.user_id is None
    assert availability.data == {
        "venue_id": str(room.venue_id),
        "intervals": [
            {
                "space_id": str(room.pk),
                "start_time": utc(at(day, "10:00")),
                "end_time": utc(at(day, "11:00")),
                "busy": True,
            }
        ],
    }

    booking_update(actor=customer, booking=booking, title="Renamed")
    assert kinds()[-1] == "booking.updated"  # no availability change
    booking_update(
        actor=customer,
        booking=booking,
        start_time=at(day, "12:00"),
        end_time=at(day, "13:00"),
    )
    moved = changes()[-1]
    assert moved.kind == "availability.changed"
    assert [i["busy"] for i in moved.data["intervals"]] == [False, True]
    booking_cancel(actor=manager, booking=booking, reason="Private reason")
    assert kinds()[-2:] == ["booking.cancelled", "availability.changed"]
    assert changes()[-1].data["intervals"][0]["busy"] is False
    for change in changes():
        assert _keys(change.data) <= ALLOWED_KEYS, change.kind
        assert "secret" not in str(change.data).lower()


def test_a_rollback_writes_nothing(pg, venue):
    event = make_event(venue)
    before = Change.objects.count()
    conn = pg()
    with conn.transaction(force_rollback=True):
        conn.execute(
            "UPDATE events_event SET capacity = capacity + 1 WHERE id = %s", [event.pk]
        )
    assert Change.objects.count() == before
    with conn.transaction():
        conn.execute(
            "UPDATE events_event SET capacity = capacity + 1 WHERE id = %s", [event.pk]
        )
    assert Change.objects.count() == before + 1


def test_ids_follow_commit_order_not_statement_order(pg, venue):
    """T1 writes first and commits last: its id is the higher one, so a reader
    who has seen T2's id can never see T1 appear below it."""
    first, second = make_event(venue), make_event(venue)
    t1, t2 = pg(), pg()
    t1.execute(
        "UPDATE events_event SET capacity = capacity + 1 WHERE id = %s", [first.pk]
    )
    t2.execute(
        "UPDATE events_event SET capacity = capacity + 1 WHERE id = %s", [second.pk]
    )
    t2.commit()
    t1.commit()
    order = [str(change.event_id) for change in changes(kind="event.updated")]
    assert order[-2:] == [str(second.pk), str(first.pk)]


def test_an_early_id_holds_later_commits_until_it_is_visible(pg, venue):
    """With the triggers forced to run early (SET CONSTRAINTS ALL IMMEDIATE),
    T1 draws its id long before it commits. T2 then cannot draw a higher id and
    commit before T1 is visible: it waits on the commit-order lock."""
    first, second = make_event(venue), make_event(venue)
    t1, t2, watcher = pg(), pg(), pg()
    t1.execute("SET CONSTRAINTS ALL IMMEDIATE")
    t1.execute(
        "UPDATE events_event SET capacity = capacity + 1 WHERE id = %s", [first.pk]
    )
    t2_pid = t2.info.backend_pid
    done = threading.Event()

    def second_transaction():
        t2.execute(
            "UPDATE events_event SET capacity = capacity + 1 WHERE id = %s",
            [second.pk],
        )
        t2.commit()
        done.set()

    thread = threading.Thread(target=second_transaction)
    thread.start()
    watcher.autocommit = True
    for _ in range(int(WAIT * 20)):
        waiting = watcher.execute(
            "SELECT wait_event_type = 'Lock' AND wait_event = 'advisory' "
            "FROM pg_stat_activity WHERE pid = %s",
            [t2_pid],
        ).fetchone()[0]
        if waiting:
            break
        threading.Event().wait(0.05)
    else:
        raise AssertionError("T2 never waited for the commit-order lock")
    assert not done.is_set()
    t1.commit()
    thread.join(WAIT)
    assert done.is_set()
    order = [str(change.event_id) for change in changes(kind="event.updated")]
    assert order[-2:] == [str(first.pk), str(second.pk)]


def test_bulk_import_writes_a_message_per_booking(manager, customer, venue):
    rooms = [make_space(venue) for _ in range(3)]
    day = future_day(30)
    rows = [
        BookingImportRow(
            space=room,
            user=customer,
            start_time=at(day, f"{9 + hour}:00"),
            end_time=at(day, f"{10 + hour}:00"),
            title=f"Imported {hour}",
        )
        for room in rooms
        for hour in range(2)
    ]
    assert booking_import(actor=manager, rows=rows, batch_size=4) == 6
    assert kinds().count("booking.created") == 6
    assert kinds().count("availability.changed") == 6


def test_an_event_its_hold_and_its_sales_are_announced(manager, customer, venue):
    hall = make_space(venue)
    start = timezone.now() + timedelta(days=12)
    event = event_create(
        venue=venue,
        actor=manager,
        name="Gala",
        start_at=start,
        end_at=start + timedelta(hours=2),
        capacity=10,
        space=hall,
    )
    assert sorted(kinds()) == [
        "availability.changed",
        "booking.created",
        "event.updated",
    ]
    draft = changes(kind="event.updated")[0]
    assert draft.public is False and draft.data["status"] == "draft"
    event_transition(event=event, actor=manager, status=EventStatus.PUBLISHED)
    published = changes()[-1]
    assert published.kind == "event.status_changed" and published.public is True
    assert published.data["previous_status"] == "draft"
    event_transition(event=event, actor=manager, status=EventStatus.ON_SALE)
    registration = registration_create(event=event, actor=customer, quantity=3)
    sale = changes()[-2:]
    assert {change.kind for change in sale} == {"event.updated", "registration.created"}
    (count,) = [c for c in sale if c.kind == "event.updated"]
    assert count.data["places_left"] == 7 and count.public is True
    (sold,) = [c for c in sale if c.kind == "registration.created"]
    assert sold.public is False and str(sold.user_id) == str(customer.pk)
    assert sold.data["quantity"] == 3
    registration_cancel(registration=registration, actor=customer)
    assert kinds()[-2:].count("registration.cancelled") == 1
    assert changes(kind="event.updated")[-1].data["places_left"] == 10
    for change in changes():
        assert _keys(change.data) <= ALLOWED_KEYS, change.kind
        assert "Gala" not in str(change.data)


def test_a_draft_change_is_private_and_going_back_to_draft_is_public(manager, venue):
    event = make_event(venue, status=EventStatus.DRAFT)
    assert changes()[-1].public is False
    event_transition(event=event, actor=manager, status=EventStatus.PUBLISHED)
    assert changes()[-1].public is True
    event_transition(event=event, actor=manager, status=EventStatus.DRAFT)
    assert changes()[-1].public is True  # the public learns it is gone
    event.refresh_from_db()
    event_update(event=event, actor=manager, capacity=20)
    assert changes()[-1].public is False


def test_a_closure_changes_availability_publicly(manager, venue):
    day = future_day(40)
    closure_create(
        venue=venue,
        actor=manager,
        start_time=at(day, "00:00"),
        end_time=at(day + timedelta(days=1), "00:00"),
        reason="Staff party",
    )
    change = changes()[-1]
    assert change.kind == "availability.changed" and change.public
    assert change.data["intervals"][0]["space_id"] is None
    assert "Staff" not in str(change.data)


def test_pruning_deletes_a_prefix_and_remembers_where_it_ended(pg, venue):
    event = make_event(venue)
    conn = pg()
    conn.autocommit = True
    for _ in range(3):
        conn.execute(
            "UPDATE events_event SET capacity = capacity + 1 WHERE id = %s", [event.pk]
        )
    ids = [change.id for change in changes()]
    conn.execute(
        "UPDATE realtime_change SET created_at = created_at - interval '2 days' "
        "WHERE id <= %s",
        [ids[-2]],
    )
    conn.execute(PRUNE_SQL, [timedelta(days=1)])
    assert [change.id for change in changes()] == [ids[-1]]
    assert PruneMark.objects.get().pruned_through == ids[-2]
    conn.execute(PRUNE_SQL, [timedelta(days=1)])  # nothing older: unchanged
    assert PruneMark.objects.get().pruned_through == ids[-2]


def test_a_write_outside_the_services_is_announced_too(venue):
    """The database writes the log, so a direct ORM write (the admin site, a
    data migration) is announced like a service's."""
    event = make_event(venue)
    before = Change.objects.count()
    type(event).objects.filter(pk=event.pk).update(capacity=99)
    assert kinds()[before:] == ["event.updated"]
    assert changes()[-1].data["capacity"] == 99


def test_a_page_position_is_the_newest_visible_id_and_never_below_the_pruned(pg, venue):
    event = make_event(venue)
    assert stream_position() == Change.objects.latest("id").id
    conn = pg()
    conn.autocommit = True
    conn.execute("UPDATE realtime_change SET created_at = now() - interval '2 days'")
    newest = Change.objects.latest("id").id
    conn.execute(PRUNE_SQL, [timedelta(days=1)])
    assert not Change.objects.exists()
    assert stream_position() == newest
    type(event).objects.filter(pk=event.pk).update(capacity=7)
    assert stream_position() == Change.objects.get().id > newest


def test_a_waiting_list_promotion_is_announced_with_the_cancel_that_freed_it(
    customer, venue
):
    event = make_event(venue, capacity=1)
    waiting = make_user(Role.CUSTOMER)
    first = registration_create(event=event, actor=customer)
    waitlist_join(event=event, actor=waiting)
    before = Change.objects.latest("id").id
    registration_cancel(registration=first, actor=customer)
    after = changes(id__gt=before)
    assert {(c.kind, str(c.user_id)) for c in after if c.user_id} == {
        ("registration.cancelled", str(customer.pk)),
        ("registration.created", str(waiting.pk)),
    }
    # One transaction: the cancel, the promotion and the count, ids in a row.
    assert [c.id for c in after] == list(range(after[0].id, after[0].id + len(after)))
    assert changes(kind="event.updated")[-1].data["places_left"] == 0


def test_a_migration_may_backfill_other_columns_and_alter_the_table(pg, venue):
    """Only announced columns queue a commit-time event; PostgreSQL refuses to
    ALTER a table with pending trigger events in the same transaction."""
    event = make_event(venue)
    conn = pg()
    with conn.transaction(force_rollback=True):
        conn.execute(
            "UPDATE events_event SET created_at = created_at WHERE id = %s", [event.pk]
        )
        conn.execute("ALTER TABLE events_event ADD COLUMN backfilled integer")
    with (
        pytest.raises(psycopg.errors.ObjectInUse),
        conn.transaction(force_rollback=True),
    ):
        conn.execute(
            "UPDATE events_event SET capacity = capacity + 1 WHERE id = %s",
            [event.pk],
        )
        conn.execute("ALTER TABLE events_event ADD COLUMN backfilled integer")
