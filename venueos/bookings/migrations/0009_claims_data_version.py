"""A booking's claims are what a free-time answer reads: any claim written,
moved or dropped bumps its venue's data version (venues 0008), at COMMIT."""

from django.db import migrations

SQL = """
CREATE CONSTRAINT TRIGGER venues_data_version
    AFTER INSERT OR UPDATE OR DELETE ON bookings_bookingclaim
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION venues_bump_data_version('claims');
"""

REVERSE = "DROP TRIGGER venues_data_version ON bookings_bookingclaim;"


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0008_venue_sharding"),
        ("venues", "0008_data_version"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
