"""Ready to shard by venue, part 1 (then events 0006, bookings 0007 and 0008,
events 0007): see docs/scaling.md §3. Columns and their values first, in a
transaction of their own, so that the triggers the backfill queues have run
before the next migrations alter these tables.

- An event's slug stays unique per organization through events_eventslug,
  kept by a trigger in the event's transaction (the constraint keeps its name,
  so a taken slug still reports `event_slug_unique_per_org`).
- Registrations, waiting-list entries and check-ins get the event's venue
  (a trigger fills it when an insert leaves it out), and their unique rules
  include it.
- Django's single-column foreign keys between these tables and to bookings go;
  the composite ones replacing them come in events 0007, once the keys are
  (venue_id, id).
"""

import django.db.models.deletion
from django.db import migrations, models

SLUGS = """
INSERT INTO events_eventslug (organization_id, slug, event_id)
    SELECT organization_id, slug, id FROM events_event;

CREATE FUNCTION event_keep_slug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM events_eventslug
         WHERE organization_id = OLD.organization_id AND slug = OLD.slug;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO events_eventslug (organization_id, slug, event_id)
            VALUES (NEW.organization_id, NEW.slug, NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER event_keep_slug
    AFTER INSERT OR UPDATE OF slug, organization_id OR DELETE ON events_event
    FOR EACH ROW EXECUTE FUNCTION event_keep_slug();
"""

SLUGS_REVERSE = """
DROP TRIGGER event_keep_slug ON events_event;
DROP FUNCTION event_keep_slug();
"""

# Deferred triggers (the live stream's change log, foreign keys) fire at
# once; the next migration alters these tables.
BACKFILL = """
SET CONSTRAINTS ALL IMMEDIATE;
UPDATE events_registration child SET venue_id = event.venue_id
  FROM events_event event WHERE event.id = child.event_id;
UPDATE events_waitlistentry child SET venue_id = event.venue_id
  FROM events_event event WHERE event.id = child.event_id;
UPDATE events_checkin child SET venue_id = event.venue_id
  FROM events_event event WHERE event.id = child.event_id;
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
        ("events", "0004_waitlist_and_checkins"),
        ("bookings", "0006_idempotencyrecord_moved_to_common"),
        ("accounts", "0002_organization_booking_retention"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="event", name="event_slug_unique_per_org"),
        migrations.CreateModel(
            name="EventSlug",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("slug", models.SlugField(max_length=100)),
                ("event_id", models.UUIDField()),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "slug"),
                        name="event_slug_unique_per_org",
                    )
                ],
            },
        ),
        migrations.RunSQL(SLUGS, SLUGS_REVERSE),
        migrations.AddField("registration", "venue", _venue(null=True)),
        migrations.AddField("waitlistentry", "venue", _venue(null=True)),
        migrations.AddField("checkin", "venue", _venue(null=True)),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
