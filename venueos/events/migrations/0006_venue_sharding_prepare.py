"""Ready to shard by venue, part 2: the venue columns become required and
are filled by a trigger for inserts that leave them out; the unique rules
include the venue; Django's single-column foreign keys between these tables
and to bookings go (the composite ones come in events 0007)."""

import django.db.models.deletion
from django.db import migrations, models

# Inserts that leave the venue out (fixtures, raw SQL such as the waiting
# list's promotion) take the event's. Under Citus the services pass it.
FILL_VENUE = """
CREATE FUNCTION venue_from_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.venue_id IS NULL THEN
        SELECT venue_id INTO NEW.venue_id FROM events_event WHERE id = NEW.event_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER registration_venue BEFORE INSERT ON events_registration
    FOR EACH ROW EXECUTE FUNCTION venue_from_event();
CREATE TRIGGER waitlistentry_venue BEFORE INSERT ON events_waitlistentry
    FOR EACH ROW EXECUTE FUNCTION venue_from_event();
CREATE TRIGGER checkin_venue BEFORE INSERT ON events_checkin
    FOR EACH ROW EXECUTE FUNCTION venue_from_event();
"""

FILL_VENUE_REVERSE = """
DROP TRIGGER checkin_venue ON events_checkin;
DROP TRIGGER waitlistentry_venue ON events_waitlistentry;
DROP TRIGGER registration_venue ON events_registration;
DROP FUNCTION venue_from_event();
"""

def _venue(null: bool) -> models.ForeignKey:
    return models.ForeignKey(
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="venues.venue",
    )


class Migration(migrations.Migration):
    dependencies = [("events", "0005_venue_sharding_columns")]

    operations = [
        migrations.AlterField("registration", "venue", _venue(null=False)),
        migrations.AlterField("waitlistentry", "venue", _venue(null=False)),
        migrations.AlterField("checkin", "venue", _venue(null=False)),
        migrations.RunSQL(FILL_VENUE, FILL_VENUE_REVERSE),
        migrations.AlterField(
            model_name="event",
            name="hold",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="event",
                to="bookings.booking",
            ),
        ),
        migrations.AlterField(
            model_name="registration",
            name="event",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="registrations",
                to="events.event",
            ),
        ),
        migrations.AlterField(
            model_name="waitlistentry",
            name="event",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="waitlist_entries",
                to="events.event",
            ),
        ),
        migrations.AlterField(
            model_name="waitlistentry",
            name="registration",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="waitlist_entry",
                to="events.registration",
            ),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="registration",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="check_in",
                to="events.registration",
            ),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="event",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="check_ins",
                to="events.event",
            ),
        ),
        migrations.RemoveConstraint("registration", "registration_one_active_per_attendee"),
        migrations.AddConstraint(
            "registration",
            models.UniqueConstraint(
                condition=models.Q(("status", "active")),
                fields=("venue", "event", "attendee"),
                name="registration_one_active_per_attendee",
            ),
        ),
        migrations.RemoveConstraint("registration", "registration_code_unique"),
        migrations.AddConstraint(
            "registration",
            models.UniqueConstraint(
                fields=("venue", "code"), name="registration_code_unique"
            ),
        ),
        migrations.RemoveConstraint("waitlistentry", "waitlist_one_waiting_per_attendee"),
        migrations.AddConstraint(
            "waitlistentry",
            models.UniqueConstraint(
                condition=models.Q(("status", "waiting")),
                fields=("venue", "event", "attendee"),
                name="waitlist_one_waiting_per_attendee",
            ),
        ),
        migrations.RemoveConstraint("checkin", "checkin_registration_unique"),
        migrations.AddConstraint(
            "checkin",
            models.UniqueConstraint(
                fields=("venue", "registration"), name="checkin_registration_unique"
            ),
        ),
    ]
