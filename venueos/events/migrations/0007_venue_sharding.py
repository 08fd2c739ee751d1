"""Ready to shard by venue, last part: events, registrations, waiting-list
entries and check-ins keyed by (venue_id, id); the single-column unique
indexes Django made for one-to-one fields and `seq` replaced by ones that
include the venue (Django's model state keeps `unique` on those fields, so a
later AlterField of them must drop these instead); composite foreign keys."""

from django.db import migrations

SQL = """
ALTER TABLE events_event DROP CONSTRAINT events_event_hold_id_key;
ALTER TABLE events_event ADD CONSTRAINT event_hold_unique UNIQUE (venue_id, hold_id);
ALTER TABLE events_waitlistentry DROP CONSTRAINT events_waitlistentry_seq_key;
ALTER TABLE events_waitlistentry ADD CONSTRAINT waitlist_seq_unique UNIQUE (venue_id, seq);
ALTER TABLE events_waitlistentry DROP CONSTRAINT events_waitlistentry_registration_id_key;
ALTER TABLE events_waitlistentry
    ADD CONSTRAINT waitlist_registration_unique UNIQUE (venue_id, registration_id);
ALTER TABLE events_checkin DROP CONSTRAINT events_checkin_registration_id_key;

ALTER TABLE events_event DROP CONSTRAINT events_event_pkey;
ALTER TABLE events_event ADD CONSTRAINT events_event_pkey PRIMARY KEY (venue_id, id);
CREATE INDEX event_by_id ON events_event (id);
ALTER TABLE events_registration DROP CONSTRAINT events_registration_pkey;
ALTER TABLE events_registration
    ADD CONSTRAINT events_registration_pkey PRIMARY KEY (venue_id, id);
CREATE INDEX registration_by_id ON events_registration (id);
ALTER TABLE events_waitlistentry DROP CONSTRAINT events_waitlistentry_pkey;
ALTER TABLE events_waitlistentry
    ADD CONSTRAINT events_waitlistentry_pkey PRIMARY KEY (venue_id, id);
CREATE INDEX waitlistentry_by_id ON events_waitlistentry (id);
ALTER TABLE events_checkin DROP CONSTRAINT events_checkin_pkey;
ALTER TABLE events_checkin ADD CONSTRAINT events_checkin_pkey PRIMARY KEY (venue_id, id);

ALTER TABLE events_event
    ADD CONSTRAINT event_hold_booking FOREIGN KEY (venue_id, hold_id)
    REFERENCES bookings_booking (venue_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE events_registration
    ADD CONSTRAINT registration_event FOREIGN KEY (venue_id, event_id)
    REFERENCES events_event (venue_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE events_waitlistentry
    ADD CONSTRAINT waitlist_event FOREIGN KEY (venue_id, event_id)
    REFERENCES events_event (venue_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE events_waitlistentry
    ADD CONSTRAINT waitlist_registration FOREIGN KEY (venue_id, registration_id)
    REFERENCES events_registration (venue_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE events_checkin
    ADD CONSTRAINT checkin_event FOREIGN KEY (venue_id, event_id)
    REFERENCES events_event (venue_id, id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE events_checkin
    ADD CONSTRAINT checkin_registration FOREIGN KEY (venue_id, registration_id)
    REFERENCES events_registration (venue_id, id) DEFERRABLE INITIALLY DEFERRED;
"""

REVERSE = """
ALTER TABLE events_checkin DROP CONSTRAINT checkin_registration;
ALTER TABLE events_checkin DROP CONSTRAINT checkin_event;
ALTER TABLE events_waitlistentry DROP CONSTRAINT waitlist_registration;
ALTER TABLE events_waitlistentry DROP CONSTRAINT waitlist_event;
ALTER TABLE events_registration DROP CONSTRAINT registration_event;
ALTER TABLE events_event DROP CONSTRAINT event_hold_booking;
ALTER TABLE events_checkin DROP CONSTRAINT events_checkin_pkey;
ALTER TABLE events_checkin ADD CONSTRAINT events_checkin_pkey PRIMARY KEY (id);
DROP INDEX waitlistentry_by_id;
ALTER TABLE events_waitlistentry DROP CONSTRAINT events_waitlistentry_pkey;
ALTER TABLE events_waitlistentry ADD CONSTRAINT events_waitlistentry_pkey PRIMARY KEY (id);
DROP INDEX registration_by_id;
ALTER TABLE events_registration DROP CONSTRAINT events_registration_pkey;
ALTER TABLE events_registration ADD CONSTRAINT events_registration_pkey PRIMARY KEY (id);
DROP INDEX event_by_id;
ALTER TABLE events_event DROP CONSTRAINT events_event_pkey;
ALTER TABLE events_event ADD CONSTRAINT events_event_pkey PRIMARY KEY (id);
ALTER TABLE events_checkin
    ADD CONSTRAINT events_checkin_registration_id_key UNIQUE (registration_id);
ALTER TABLE events_waitlistentry DROP CONSTRAINT waitlist_registration_unique;
ALTER TABLE events_waitlistentry
    ADD CONSTRAINT events_waitlistentry_registration_id_key UNIQUE (registration_id);
ALTER TABLE events_waitlistentry DROP CONSTRAINT waitlist_seq_unique;
ALTER TABLE events_waitlistentry ADD CONSTRAINT events_waitlistentry_seq_key UNIQUE (seq);
ALTER TABLE events_event DROP CONSTRAINT event_hold_unique;
ALTER TABLE events_event ADD CONSTRAINT events_event_hold_id_key UNIQUE (hold_id);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0006_venue_sharding_prepare"),
        ("bookings", "0008_venue_sharding"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
