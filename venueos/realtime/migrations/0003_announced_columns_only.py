"""The change triggers queue an event only for changes the stream announces.

A deferred trigger leaves a "pending trigger event" on its table for every
row it fires on, and PostgreSQL refuses an ALTER TABLE on a table with pending
events in the same transaction. A data migration that backfills a new column
and then alters the table (events 0003, ticket codes) failed that way. With
`UPDATE OF <announced columns>` and a WHEN clause (evaluated at once, even for
deferred constraint triggers: a false condition queues nothing) such writes
leave nothing pending. A migration that changes an announced column and then
alters the same table still has to be split in two, as with Django's own
deferred foreign keys.
"""

from django.db import migrations

BOOKING = (
    "status, space_id, start_time, end_time, title, description, attendee_count, "
    "external_meeting_url, user_id"
)
EVENT = (
    "status, venue_id, space_id, name, slug, description, start_at, end_at, "
    "capacity, tickets_sold, settings"
)
CLOSURE = "space_id, start_time, end_time"


def _changed(columns: str) -> str:
    old = ", ".join(f"OLD.{c.strip()}" for c in columns.split(","))
    new = ", ".join(f"NEW.{c.strip()}" for c in columns.split(","))
    return f"({old}) IS DISTINCT FROM ({new})"


def _trigger(name: str, table: str, events: str, function: str, when: str = "") -> str:
    condition = f" WHEN ({when})" if when else ""
    return (
        f"CREATE CONSTRAINT TRIGGER {name} AFTER {events} ON {table} "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW{condition} "
        f"EXECUTE FUNCTION {function}();"
    )


SQL = "\n".join(
    [
        "DROP TRIGGER realtime_booking_changed ON bookings_booking;",
        "DROP TRIGGER realtime_event_changed ON events_event;",
        "DROP TRIGGER realtime_registration_changed ON events_registration;",
        "DROP TRIGGER realtime_closure_changed ON venues_closure;",
        _trigger(
            "realtime_booking_created",
            "bookings_booking",
            "INSERT",
            "realtime_booking_changed",
        ),
        _trigger(
            "realtime_booking_changed",
            "bookings_booking",
            f"UPDATE OF {BOOKING}",
            "realtime_booking_changed",
            _changed(BOOKING),
        ),
        _trigger(
            "realtime_event_created", "events_event", "INSERT", "realtime_event_changed"
        ),
        _trigger(
            "realtime_event_changed",
            "events_event",
            f"UPDATE OF {EVENT}",
            "realtime_event_changed",
            _changed(EVENT),
        ),
        _trigger(
            "realtime_registration_created",
            "events_registration",
            "INSERT",
            "realtime_registration_changed",
            "NEW.status = 'active'",
        ),
        _trigger(
            "realtime_registration_changed",
            "events_registration",
            "UPDATE OF status",
            "realtime_registration_changed",
            "OLD.status IS DISTINCT FROM NEW.status",
        ),
        _trigger(
            "realtime_closure_added_or_removed",
            "venues_closure",
            "INSERT OR DELETE",
            "realtime_closure_changed",
        ),
        _trigger(
            "realtime_closure_changed",
            "venues_closure",
            f"UPDATE OF {CLOSURE}",
            "realtime_closure_changed",
            _changed(CLOSURE),
        ),
    ]
)

REVERSE = """
DROP TRIGGER realtime_booking_created ON bookings_booking;
DROP TRIGGER realtime_booking_changed ON bookings_booking;
DROP TRIGGER realtime_event_created ON events_event;
DROP TRIGGER realtime_event_changed ON events_event;
DROP TRIGGER realtime_registration_created ON events_registration;
DROP TRIGGER realtime_registration_changed ON events_registration;
DROP TRIGGER realtime_closure_added_or_removed ON venues_closure;
DROP TRIGGER realtime_closure_changed ON venues_closure;
CREATE CONSTRAINT TRIGGER realtime_booking_changed
    AFTER INSERT OR UPDATE ON bookings_booking DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION realtime_booking_changed();
CREATE CONSTRAINT TRIGGER realtime_event_changed
    AFTER INSERT OR UPDATE ON events_event DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION realtime_event_changed();
CREATE CONSTRAINT TRIGGER realtime_registration_changed
    AFTER INSERT OR UPDATE ON events_registration DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION realtime_registration_changed();
CREATE CONSTRAINT TRIGGER realtime_closure_changed
    AFTER INSERT OR UPDATE OR DELETE ON venues_closure DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION realtime_closure_changed();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("realtime", "0002_change_triggers"),
        ("bookings", "0002_database_invariants"),
        ("events", "0002_database_invariants"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
