"""`events_take_places`: the sale's conditional UPDATE, raising when it takes
nothing.

A sale sends this statement and its COMMIT in one round trip
(`venueos.common.locking.execute_and_commit`), so the event's row is released
by the server without waiting for the selling thread to run again. A refusal
must then abort the transaction before the COMMIT is reached, or the
registration written before it would commit without its places: an UPDATE
that matches no row is not an error, so this function makes it one (SQLSTATE
VE409, `venueos.events.services.PLACES_NOT_TAKEN`).
"""

from django.db import migrations

SQL = """
CREATE FUNCTION events_take_places(p_event_id uuid, p_places integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    sold integer;
BEGIN
    UPDATE events_event SET tickets_sold = tickets_sold + p_places
    WHERE id = p_event_id AND status = 'on_sale'
      AND tickets_sold + p_places <= capacity AND start_at > now()
    RETURNING tickets_sold INTO sold;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no places taken' USING ERRCODE = 'VE409';
    END IF;
    RETURN sold;
END $$;
"""

REVERSE = "DROP FUNCTION events_take_places(uuid, integer);"


class Migration(migrations.Migration):
    dependencies = [("events", "0007_venue_sharding")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
