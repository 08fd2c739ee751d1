"""`availability.changed` announces the period a booking blocks: its times
widened by the set-up and clean-up buffers it keeps in its own columns
(bookings migration 0003), so an open grid turns the buffer-blocked cells busy
and frees them again. The `booking.*` messages keep the booked times."""

from importlib import import_module

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION realtime_booking_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_active boolean := TG_OP = 'UPDATE' AND OLD.status IN ('pending', 'confirmed');
    is_active boolean := NEW.status IN ('pending', 'confirmed');
    moved boolean := TG_OP = 'UPDATE'
        AND (NEW.space_id, NEW.start_time, NEW.end_time)
            IS DISTINCT FROM (OLD.space_id, OLD.start_time, OLD.end_time);
    organization uuid;
    kind text;
    intervals jsonb := '[]';
BEGIN
    IF TG_OP = 'INSERT' THEN
        kind := 'booking.created';
    ELSIF NEW.status = 'cancelled' AND OLD.status <> 'cancelled' THEN
        kind := 'booking.cancelled';
    ELSIF to_jsonb(NEW) - 'updated_at' IS DISTINCT FROM to_jsonb(OLD) - 'updated_at' THEN
        kind := 'booking.updated';
    ELSE
        RETURN NULL;
    END IF;
    SELECT organization_id INTO organization FROM venues_venue WHERE id = NEW.venue_id;
    IF organization IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM realtime_emit(kind, organization, NEW.venue_id, NULL, NEW.user_id, false,
        jsonb_build_object(
            'booking_id', NEW.id, 'venue_id', NEW.venue_id, 'space_id', NEW.space_id,
            'start_time', realtime_iso(NEW.start_time),
            'end_time', realtime_iso(NEW.end_time),
            'status', NEW.status, 'attendee_count', NEW.attendee_count));
    IF was_active AND (moved OR NOT is_active) THEN
        intervals := intervals || realtime_interval(
            OLD.space_id,
            OLD.start_time - make_interval(mins => OLD.buffer_before_minutes),
            OLD.end_time + make_interval(mins => OLD.buffer_after_minutes),
            false);
    END IF;
    IF is_active AND (moved OR NOT was_active) THEN
        intervals := intervals || realtime_interval(
            NEW.space_id,
            NEW.start_time - make_interval(mins => NEW.buffer_before_minutes),
            NEW.end_time + make_interval(mins => NEW.buffer_after_minutes),
            true);
    END IF;
    IF jsonb_array_length(intervals) > 0 THEN
        PERFORM realtime_emit('availability.changed', organization, NEW.venue_id, NULL,
            NULL, true, jsonb_build_object('venue_id', NEW.venue_id, 'intervals', intervals));
    END IF;
    RETURN NULL;
END $$;
"""


def _unbuffered() -> str:
    """0002's version of the function, to go back to."""
    sql = import_module("venueos.realtime.migrations.0002_change_triggers").SQL
    start = sql.index("CREATE FUNCTION realtime_booking_changed()")
    end = sql.index("END $$;", start) + len("END $$;")
    return sql[start:end].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


class Migration(migrations.Migration):
    dependencies = [
        ("realtime", "0003_announced_columns_only"),
        ("bookings", "0003_buffered_claims"),
    ]

    operations = [migrations.RunSQL(SQL, _unbuffered())]
