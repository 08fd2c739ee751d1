"""Per-venue data versions (venueos/venues/models.py `DataVersion`): `version`
for anything a free-time answer reads, `layout_version` for the venue's own
rows only (venueos/venues/layout.py).

The version is bumped by DEFERRABLE INITIALLY DEFERRED constraint triggers, so
at COMMIT and once per venue per transaction (a transaction-local setting
remembers the venues already bumped). The bump takes the live stream's
commit-order lock first (realtime migration 0002) and draws the number from
one sequence under it: every writer takes that lock before the version row,
so the two can never deadlock, and versions grow in commit order. The
bookings' claims get the same trigger in bookings 0009.
"""

from django.db import migrations, models

SQL = """
CREATE SEQUENCE venues_dataversion_seq;

-- TG_ARGV[0]: 'layout' for the venue's own rows (policy, spaces, hours,
-- closures), which bump both numbers; 'claims' for bookings' claims, which
-- bump `version` only.
CREATE FUNCTION venues_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    venue uuid;
    marker text;
    stamp bigint;
    layout boolean := TG_ARGV[0] = 'layout';
BEGIN
    IF TG_TABLE_NAME = 'venues_venue' THEN
        venue := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
    ELSE
        venue := CASE WHEN TG_OP = 'DELETE' THEN OLD.venue_id ELSE NEW.venue_id END;
    END IF;
    marker := 'venueos.bumped_' || TG_ARGV[0] || '_' || replace(venue::text, '-', '');
    IF current_setting(marker, true) = 'yes' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(1986358644, 1);
    stamp := nextval('venues_dataversion_seq');
    INSERT INTO venues_dataversion AS d (venue_id, version, layout_version)
        VALUES (venue, stamp, stamp)
        ON CONFLICT (venue_id) DO UPDATE SET
            version = stamp,
            layout_version = CASE WHEN layout THEN stamp ELSE d.layout_version END;
    PERFORM set_config(marker, 'yes', true);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER venues_data_version AFTER INSERT OR UPDATE ON venues_venue
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION venues_bump_data_version('layout');
CREATE CONSTRAINT TRIGGER venues_data_version
    AFTER INSERT OR UPDATE OR DELETE ON venues_space
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION venues_bump_data_version('layout');
CREATE CONSTRAINT TRIGGER venues_data_version
    AFTER INSERT OR UPDATE OR DELETE ON venues_openinghours
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION venues_bump_data_version('layout');
CREATE CONSTRAINT TRIGGER venues_data_version
    AFTER INSERT OR UPDATE OR DELETE ON venues_closure
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION venues_bump_data_version('layout');

INSERT INTO venues_dataversion (venue_id, version, layout_version)
    SELECT id, nextval('venues_dataversion_seq'), currval('venues_dataversion_seq')
    FROM venues_venue;
"""

REVERSE = """
DROP TRIGGER venues_data_version ON venues_closure;
DROP TRIGGER venues_data_version ON venues_openinghours;
DROP TRIGGER venues_data_version ON venues_space;
DROP TRIGGER venues_data_version ON venues_venue;
DROP FUNCTION venues_bump_data_version();
DROP SEQUENCE venues_dataversion_seq;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("venues", "0007_venue_customer_booking_limit"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("venue_id", models.UUIDField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
                ("layout_version", models.BigIntegerField()),
            ],
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
