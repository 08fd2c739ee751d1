"""Ready to shard by venue (after events 0006): claims carry
their booking's venue, both exclusion constraints include it, bookings, claims
and series are keyed by (venue_id, id) (an index on id alone keeps lookups by
id fast on one server), and claims and bookings reference their booking and
series by venue too. See docs/scaling.md §3."""

import django.db.models.deletion
from django.db import migrations, models

# Deferred triggers (the live stream's change log) fire now, so that the
# ALTER TABLE below finds no pending trigger events.
SQL = """
-- The claims trigger (migrations 0002, 0003) writes claims without naming the
-- venue: they take their booking's. Under Citus the trigger passes NEW.venue_id.
CREATE FUNCTION claim_venue_from_booking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.venue_id IS NULL THEN
        SELECT venue_id INTO NEW.venue_id FROM bookings_booking WHERE id = NEW.booking_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER claim_venue BEFORE INSERT ON bookings_bookingclaim
    FOR EACH ROW EXECUTE FUNCTION claim_venue_from_booking();

ALTER TABLE bookings_booking DROP CONSTRAINT booking_no_overlap_same_space;
ALTER TABLE bookings_booking
    ADD CONSTRAINT booking_no_overlap_same_space
    EXCLUDE USING gist (venue_id WITH =, space_id WITH =,
                        tstzrange(start_time, end_time, '[)') WITH &&)
    WHERE (status IN ('pending', 'confirmed'));

ALTER TABLE bookings_bookingclaim DROP CONSTRAINT claim_no_conflict;
ALTER TABLE bookings_bookingclaim
    ADD CONSTRAINT claim_no_conflict
    EXCLUDE USING gist (venue_id WITH =, space_id WITH =, period WITH &&, scope WITH &&);
ALTER TABLE bookings_bookingclaim
    ADD CONSTRAINT claim_space_in_venue
    FOREIGN KEY (space_id, venue_id) REFERENCES venues_space (id, venue_id);

ALTER TABLE bookings_bookingseries DROP CONSTRAINT bookings_bookingseries_pkey;
ALTER TABLE bookings_bookingseries
    ADD CONSTRAINT bookings_bookingseries_pkey PRIMARY KEY (venue_id, id);
CREATE INDEX bookingseries_by_id ON bookings_bookingseries (id);

ALTER TABLE bookings_booking DROP CONSTRAINT bookings_booking_pkey;
ALTER TABLE bookings_booking ADD CONSTRAINT bookings_booking_pkey PRIMARY KEY (venue_id, id);
CREATE INDEX booking_by_id ON bookings_booking (id);
ALTER TABLE bookings_booking
    ADD CONSTRAINT booking_series FOREIGN KEY (venue_id, series_id)
    REFERENCES bookings_bookingseries (venue_id, id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE bookings_bookingclaim DROP CONSTRAINT bookings_bookingclaim_pkey;
ALTER TABLE bookings_bookingclaim
    ADD CONSTRAINT bookings_bookingclaim_pkey PRIMARY KEY (venue_id, id);
ALTER TABLE bookings_bookingclaim
    ADD CONSTRAINT claim_booking FOREIGN KEY (venue_id, booking_id)
    REFERENCES bookings_booking (venue_id, id) DEFERRABLE INITIALLY DEFERRED;
"""

REVERSE = """
ALTER TABLE bookings_bookingclaim DROP CONSTRAINT claim_booking;
ALTER TABLE bookings_bookingclaim DROP CONSTRAINT bookings_bookingclaim_pkey;
ALTER TABLE bookings_bookingclaim ADD CONSTRAINT bookings_bookingclaim_pkey PRIMARY KEY (id);
ALTER TABLE bookings_booking DROP CONSTRAINT booking_series;
DROP INDEX booking_by_id;
ALTER TABLE bookings_booking DROP CONSTRAINT bookings_booking_pkey;
ALTER TABLE bookings_booking ADD CONSTRAINT bookings_booking_pkey PRIMARY KEY (id);
DROP INDEX bookingseries_by_id;
ALTER TABLE bookings_bookingseries DROP CONSTRAINT bookings_bookingseries_pkey;
ALTER TABLE bookings_bookingseries ADD CONSTRAINT bookings_bookingseries_pkey PRIMARY KEY (id);
ALTER TABLE bookings_bookingclaim DROP CONSTRAINT claim_space_in_venue;
ALTER TABLE bookings_bookingclaim DROP CONSTRAINT claim_no_conflict;
ALTER TABLE bookings_bookingclaim
    ADD CONSTRAINT claim_no_conflict
    EXCLUDE USING gist (space_id WITH =, period WITH &&, scope WITH &&);
ALTER TABLE bookings_booking DROP CONSTRAINT booking_no_overlap_same_space;
ALTER TABLE bookings_booking
    ADD CONSTRAINT booking_no_overlap_same_space
    EXCLUDE USING gist (space_id WITH =, tstzrange(start_time, end_time, '[)') WITH &&)
    WHERE (status IN ('pending', 'confirmed'));
DROP TRIGGER claim_venue ON bookings_bookingclaim;
DROP FUNCTION claim_venue_from_booking();
"""


def _venue(null: bool) -> models.ForeignKey:
    return models.ForeignKey(
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="venues.venue",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0007_venue_sharding_columns"),
        ("events", "0006_venue_sharding_prepare"),
    ]

    operations = [
        migrations.AlterField("bookingclaim", "venue", _venue(null=False)),
        migrations.AlterField(
            model_name="bookingclaim",
            name="booking",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="claims",
                to="bookings.booking",
            ),
        ),
        migrations.AlterField(
            model_name="booking",
            name="series",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="bookings",
                to="bookings.bookingseries",
            ),
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
