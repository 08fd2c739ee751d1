"""No double booking, in the database: see venueos/bookings/models.py."""

from django.db import migrations

SQL = """
ALTER TABLE bookings_booking
    ADD CONSTRAINT booking_duration_at_most_24h
    CHECK (end_time - start_time <= interval '24 hours');

ALTER TABLE bookings_booking
    ADD CONSTRAINT booking_space_in_venue
    FOREIGN KEY (space_id, venue_id) REFERENCES venues_space (id, venue_id);

ALTER TABLE bookings_booking
    ADD CONSTRAINT booking_no_overlap_same_space
    EXCLUDE USING gist (space_id WITH =, tstzrange(start_time, end_time, '[)') WITH &&)
    WHERE (status IN ('pending', 'confirmed'));

ALTER TABLE bookings_bookingclaim
    ADD COLUMN period tstzrange NOT NULL,
    ADD COLUMN scope int8range NOT NULL;

ALTER TABLE bookings_bookingclaim
    ADD CONSTRAINT claim_no_conflict
    EXCLUDE USING gist (space_id WITH =, period WITH &&, scope WITH &&);

CREATE SEQUENCE bookings_claim_scope_seq;

-- Claims follow the booking: written when it becomes active, rewritten when its
-- time or space changes, removed when it is cancelled.
CREATE FUNCTION booking_sync_claims() RETURNS trigger LANGUAGE plpgsql AS $$
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
               tstzrange(NEW.start_time, NEW.end_time, '[)'),
               CASE WHEN up.depth = 0 THEN int8range(NULL, NULL)
                    ELSE int8range(shared_key, shared_key + 1) END
        FROM up;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER booking_sync_claims
    AFTER INSERT OR UPDATE ON bookings_booking
    FOR EACH ROW EXECUTE FUNCTION booking_sync_claims();
"""

REVERSE = """
DROP TRIGGER booking_sync_claims ON bookings_booking;
DROP FUNCTION booking_sync_claims();
DROP SEQUENCE bookings_claim_scope_seq;
ALTER TABLE bookings_bookingclaim DROP CONSTRAINT claim_no_conflict;
ALTER TABLE bookings_bookingclaim DROP COLUMN period, DROP COLUMN scope;
ALTER TABLE bookings_booking DROP CONSTRAINT booking_no_overlap_same_space;
ALTER TABLE bookings_booking DROP CONSTRAINT booking_space_in_venue;
ALTER TABLE bookings_booking DROP CONSTRAINT booking_duration_at_most_24h;
"""


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial"), ("venues", "0002_database_invariants")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
