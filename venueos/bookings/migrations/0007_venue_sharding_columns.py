"""Ready to shard by venue: claims get their booking's venue, in a
transaction of their own (see bookings 0008)."""

import django.db.models.deletion
from django.db import migrations, models

# Deferred triggers fire at once; bookings 0008 alters this table.
BACKFILL = """
SET CONSTRAINTS ALL IMMEDIATE;
UPDATE bookings_bookingclaim claim SET venue_id = booking.venue_id
  FROM bookings_booking booking WHERE booking.id = claim.booking_id;
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
        ("bookings", "0006_idempotencyrecord_moved_to_common"),
        ("events", "0006_venue_sharding_prepare"),
    ]

    operations = [
        migrations.AddField("bookingclaim", "venue", _venue(null=True)),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
