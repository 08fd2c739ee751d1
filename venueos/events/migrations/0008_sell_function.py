"""The sale's conditional UPDATE as a function that refuses with an error.

`events_sell` is the same conditional statement the service ran before; a
refusal is an error (SQLSTATE VE409) instead of an empty result, so that the
service can send the sale and its COMMIT in one round trip: the error stops
the COMMIT, and a busy event's row is released without waiting for the client
in between (venueos/events/services.py: `_sell`).
"""

from django.db import migrations

SQL = """
CREATE FUNCTION events_sell(p_event uuid, p_quantity integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    sold integer;
BEGIN
    UPDATE events_event SET tickets_sold = tickets_sold + p_quantity
    WHERE id = p_event AND status = 'on_sale'
      AND tickets_sold + p_quantity <= capacity AND start_at > now()
    RETURNING tickets_sold INTO sold;
    IF sold IS NULL THEN
        RAISE EXCEPTION 'the sale was refused' USING ERRCODE = 'VE409';
    END IF;
    RETURN sold;
END $$;
"""

REVERSE = "DROP FUNCTION events_sell(uuid, integer);"


class Migration(migrations.Migration):
    dependencies = [("events", "0007_venue_sharding")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
