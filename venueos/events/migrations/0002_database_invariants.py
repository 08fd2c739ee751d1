"""Event invariants that Django's ORM cannot declare."""

from django.db import migrations

SQL = """
ALTER TABLE events_event
    ADD CONSTRAINT event_space_in_venue
    FOREIGN KEY (space_id, venue_id) REFERENCES venues_space (id, venue_id);
"""

REVERSE = "ALTER TABLE events_event DROP CONSTRAINT event_space_in_venue;"


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
