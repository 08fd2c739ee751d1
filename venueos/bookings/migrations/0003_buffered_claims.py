"""Set-up and clean-up buffers in the claims: the one migration that changes
the claims trigger for them (see venueos/bookings/models.py).

Each booking keeps the buffers of its space as they were when it was made or
last moved (`buffer_before_minutes`, `buffer_after_minutes`, written by a
BEFORE trigger whatever the application sends), and its claims' period is
`[start - before, end + after)`. Changing a space's buffers later re-checks
nothing already booked; it applies to bookings made or moved from then on.
"""

from django.db import migrations

SQL = """
ALTER TABLE bookings_booking
    ADD COLUMN buffer_before_minutes smallint NOT NULL DEFAULT 0,
    ADD COLUMN buffer_after_minutes smallint NOT NULL DEFAULT 0,
    ADD CONSTRAINT booking_buffers_range CHECK (
        buffer_before_minutes BETWEEN 0 AND 240
        AND buffer_after_minutes BETWEEN 0 AND 240
    );

CREATE FUNCTION booking_snapshot_buffers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.space_id = OLD.space_id
       AND NEW.start_time = OLD.start_time
       AND NEW.end_time = OLD.end_time
       AND (OLD.status IN ('pending', 'confirmed')
            OR NEW.status NOT IN ('pending', 'confirmed')) THEN
        -- Not made, moved or re-activated: the buffers it was booked with stay.
        NEW.buffer_before_minutes := OLD.buffer_before_minutes;
        NEW.buffer_after_minutes := OLD.buffer_after_minutes;
        RETURN NEW;
    END IF;
    SELECT s.buffer_before_minutes, s.buffer_after_minutes
      INTO NEW.buffer_before_minutes, NEW.buffer_after_minutes
      FROM venues_space s WHERE s.id = NEW.space_id;
    RETURN NEW;
END $$;

CREATE TRIGGER booking_snapshot_buffers
    BEFORE INSERT OR UPDATE ON bookings_booking
    FOR EACH ROW EXECUTE FUNCTION booking_snapshot_buffers();

CREATE OR REPLACE FUNCTION booking_sync_claims() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_active boolean := TG_OP = 'UPDATE' AND OLD.status IN ('pending', 'confirmed');
    is_active boolean := NEW.status IN ('pending', 'confirmed');
    -- k of this booking's shared claims [k, k+1): unique, so shared never meets shared.
    shared_key bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF was_active = is_active
           AND NEW.space_id = OLD.space_id
           AND NEW.start_time = OLD.start_time
           AND NEW.end_time = OLD.end_time THEN
            RETURN NULL;
        END IF;
        DELETE FROM bookings_bookingclaim WHERE booking_id = NEW.id;
    END IF;
    IF is_active THEN
        shared_key := nextval('bookings_claim_scope_seq');
        INSERT INTO bookings_bookingclaim (booking_id, space_id, exclusive, period, scope)
        WITH RECURSIVE up(space_id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM venues_space WHERE id = NEW.space_id
            UNION ALL
            SELECT s.id, s.parent_id, up.depth + 1
            FROM venues_space s JOIN up ON s.id = up.parent_id
            WHERE up.depth < 100
        )
        SELECT NEW.id, up.space_id, up.depth = 0,
               -- The buffered period: set-up and clean-up time block the space
               -- and its related spaces like the booking itself.
               tstzrange(
                   NEW.start_time - make_interval(mins => NEW.buffer_before_minutes),
                   NEW.end_time + make_interval(mins => NEW.buffer_after_minutes),
                   '[)'),
               CASE WHEN up.depth = 0 THEN int8range(NULL, NULL)
                    ELSE int8range(shared_key, shared_key + 1) END
        FROM up;
    END IF;
    RETURN NULL;
END $$;
"""

REVERSE = """
CREATE OR REPLACE FUNCTION booking_sync_claims() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_active boolean := TG_OP = 'UPDATE' AND OLD.status IN ('pending', 'confirmed');
    is_active boolean := NEW.status IN ('pending', 'confirmed');
    shared_key bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF was_active = is_active
           AND NEW.space_id = OLD.space_id
           AND NEW.start_time = OLD.start_time
           AND NEW.end_time = OLD.end_time THEN
            RETURN NULL;
        END IF;
        DELETE FROM bookings_bookingclaim WHERE booking_id = NEW.id;
    END IF;
    IF is_active THEN
        shared_key := nextval('bookings_claim_scope_seq');
        INSERT INTO bookings_bookingclaim (booking_id, space_id, exclusive, period, scope)
        WITH RECURSIVE up(space_id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM venues_space WHERE id = NEW.space_id
            UNION ALL
            SELECT s.id, s.parent_id, up.depth + 1
            FROM venues_space s JOIN up ON s.id = up.parent_id
            WHERE up.depth < 100
        )
        SELECT NEW.id, up.space_id, up.depth = 0,
               tstzrange(NEW.start_time, NEW.end_time, '[)'),
               CASE WHEN up.depth = 0 THEN int8range(NULL, NULL)
                    ELSE int8range(shared_key, shared_key + 1) END
        FROM up;
    END IF;
    RETURN NULL;
END $$;
UPDATE bookings_bookingclaim c SET period = tstzrange(b.start_time, b.end_time, '[)')
FROM bookings_booking b WHERE b.id = c.booking_id;
DROP TRIGGER booking_snapshot_buffers ON bookings_booking;
DROP FUNCTION booking_snapshot_buffers();
ALTER TABLE bookings_booking
    DROP CONSTRAINT booking_buffers_range,
    DROP COLUMN buffer_before_minutes,
    DROP COLUMN buffer_after_minutes;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0002_database_invariants"),
        ("venues", "0003_space_buffers"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
