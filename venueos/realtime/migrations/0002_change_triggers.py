"""The change log is written by the database, in the transaction of the change.

Constraint triggers, DEFERRABLE INITIALLY DEFERRED, on every table whose rows
the stream announces (bookings, events, registrations, closures): they fire at
COMMIT, so every write path is covered (services, bulk import, an event's
space hold, anything added later) and a rollback writes and sends nothing.

`realtime_emit` takes the commit-order lock, draws the id, inserts the row and
NOTIFYs it; the lock is held until the transaction has committed, so ids are
handed out in commit order (see venueos/realtime/hub.py). The NOTIFY payload
is the whole row; who may see it is decided per listener by the hub.
"""

from django.db import migrations

SQL = """
CREATE SEQUENCE realtime_change_id_seq OWNED BY realtime_change.id;

CREATE FUNCTION realtime_iso(ts timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN date_trunc('second', ts) = ts THEN ''
                ELSE to_char(ts AT TIME ZONE 'UTC', '.US') END
        || 'Z'
$$;

CREATE FUNCTION realtime_emit(
    p_kind text, p_organization_id uuid, p_venue_id uuid, p_event_id uuid,
    p_user_id uuid, p_public boolean, p_data jsonb
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    change_id bigint;
BEGIN
    -- The commit-order lock (two-key form: its own key space, apart from the
    -- bookings' one-key advisory locks). Held until after COMMIT.
    PERFORM pg_advisory_xact_lock(1986358644, 1);
    change_id := nextval('realtime_change_id_seq');
    INSERT INTO realtime_change
        (id, created_at, kind, organization_id, venue_id, event_id, user_id, public, data)
    VALUES (change_id, clock_timestamp(), p_kind, p_organization_id, p_venue_id,
            p_event_id, p_user_id, p_public, p_data);
    PERFORM pg_notify('venueos_changes', jsonb_build_object(
        'id', change_id, 'kind', p_kind, 'organization_id', p_organization_id,
        'venue_id', p_venue_id, 'event_id', p_event_id, 'user_id', p_user_id,
        'public', p_public, 'data', p_data)::text);
END $$;

CREATE FUNCTION realtime_interval(space_id uuid, start_time timestamptz,
                                  end_time timestamptz, busy boolean) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('space_id', space_id, 'start_time', realtime_iso(start_time),
                              'end_time', realtime_iso(end_time), 'busy', busy)
$$;

-- A booking: `booking.*` for the organization's managers and the owner, and a
-- public `availability.changed` (space and times only) when it starts, stops or
-- moves holding its time.
CREATE FUNCTION realtime_booking_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_active boolean := TG_OP = 'UPDATE' AND OLD.status IN ('pending', 'confirmed');
    is_active boolean := NEW.status IN ('pending', 'confirmed');
    moved boolean := TG_OP = 'UPDATE'
        AND (NEW.space_id, NEW.start_time, NEW.end_time)
            IS DISTINCT FROM (OLD.space_id, OLD.start_time, OLD.end_time);
    organization uuid;
    kind text;
    intervals jsonb := '[]';
BEGIN
    IF TG_OP = 'INSERT' THEN
        kind := 'booking.created';
    ELSIF NEW.status = 'cancelled' AND OLD.status <> 'cancelled' THEN
        kind := 'booking.cancelled';
    ELSIF to_jsonb(NEW) - 'updated_at' IS DISTINCT FROM to_jsonb(OLD) - 'updated_at' THEN
        kind := 'booking.updated';
    ELSE
        RETURN NULL;
    END IF;
    SELECT organization_id INTO organization FROM venues_venue WHERE id = NEW.venue_id;
    IF organization IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM realtime_emit(kind, organization, NEW.venue_id, NULL, NEW.user_id, false,
        jsonb_build_object(
            'booking_id', NEW.id, 'venue_id', NEW.venue_id, 'space_id', NEW.space_id,
            'start_time', realtime_iso(NEW.start_time),
            'end_time', realtime_iso(NEW.end_time),
            'status', NEW.status, 'attendee_count', NEW.attendee_count));
    IF was_active AND (moved OR NOT is_active) THEN
        intervals := intervals
            || realtime_interval(OLD.space_id, OLD.start_time, OLD.end_time, false);
    END IF;
    IF is_active AND (moved OR NOT was_active) THEN
        intervals := intervals
            || realtime_interval(NEW.space_id, NEW.start_time, NEW.end_time, true);
    END IF;
    IF jsonb_array_length(intervals) > 0 THEN
        PERFORM realtime_emit('availability.changed', organization, NEW.venue_id, NULL,
            NULL, true, jsonb_build_object('venue_id', NEW.venue_id, 'intervals', intervals));
    END IF;
    RETURN NULL;
END $$;

-- An event: public unless it is (and was) a draft. A sale changes
-- `tickets_sold`, so "places left" follows every sale and cancellation.
CREATE FUNCTION realtime_event_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
    data jsonb;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status THEN
        kind := 'event.status_changed';
    ELSIF TG_OP = 'INSERT'
       OR to_jsonb(NEW) - 'updated_at' IS DISTINCT FROM to_jsonb(OLD) - 'updated_at' THEN
        kind := 'event.updated';
    ELSE
        RETURN NULL;
    END IF;
    data := jsonb_build_object(
        'event_id', NEW.id, 'venue_id', NEW.venue_id, 'space_id', NEW.space_id,
        'start_at', realtime_iso(NEW.start_at), 'end_at', realtime_iso(NEW.end_at),
        'status', NEW.status, 'capacity', NEW.capacity,
        'tickets_sold', NEW.tickets_sold,
        'places_left', greatest(NEW.capacity - NEW.tickets_sold, 0));
    IF kind = 'event.status_changed' THEN
        data := data || jsonb_build_object('previous_status', OLD.status);
    END IF;
    PERFORM realtime_emit(kind, NEW.organization_id, NEW.venue_id, NEW.id, NULL,
        NEW.status <> 'draft' OR (TG_OP = 'UPDATE' AND OLD.status <> 'draft'), data);
    RETURN NULL;
END $$;

-- A registration: for the organization's managers and the attendee only.
CREATE FUNCTION realtime_registration_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
    organization uuid;
    venue uuid;
BEGIN
    IF TG_OP = 'INSERT' AND NEW.status = 'active' THEN
        kind := 'registration.created';
    ELSIF TG_OP = 'UPDATE' AND NEW.status = 'cancelled' AND OLD.status <> 'cancelled' THEN
        kind := 'registration.cancelled';
    ELSE
        RETURN NULL;
    END IF;
    SELECT organization_id, venue_id INTO organization, venue
    FROM events_event WHERE id = NEW.event_id;
    IF organization IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM realtime_emit(kind, organization, venue, NEW.event_id, NEW.attendee_id,
        false, jsonb_build_object(
            'registration_id', NEW.id, 'event_id', NEW.event_id,
            'quantity', NEW.quantity, 'status', NEW.status));
    RETURN NULL;
END $$;

-- A closure (whole venue when space_id is null) makes time unavailable; its
-- removal may free it. Public like any availability change; no reason sent.
CREATE FUNCTION realtime_closure_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closure venues_closure;
    organization uuid;
BEGIN
    closure := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    IF TG_OP = 'UPDATE'
       AND (NEW.space_id, NEW.start_time, NEW.end_time)
           IS NOT DISTINCT FROM (OLD.space_id, OLD.start_time, OLD.end_time) THEN
        RETURN NULL;
    END IF;
    SELECT organization_id INTO organization FROM venues_venue WHERE id = closure.venue_id;
    IF organization IS NULL THEN
        RETURN NULL;  -- the venue itself is gone
    END IF;
    PERFORM realtime_emit('availability.changed', organization, closure.venue_id, NULL,
        NULL, true, jsonb_build_object(
            'venue_id', closure.venue_id,
            'intervals', CASE TG_OP
                WHEN 'INSERT' THEN jsonb_build_array(realtime_interval(
                    NEW.space_id, NEW.start_time, NEW.end_time, true))
                WHEN 'DELETE' THEN jsonb_build_array(realtime_interval(
                    OLD.space_id, OLD.start_time, OLD.end_time, false))
                ELSE jsonb_build_array(
                    realtime_interval(OLD.space_id, OLD.start_time, OLD.end_time, false),
                    realtime_interval(NEW.space_id, NEW.start_time, NEW.end_time, true))
            END,
            'closure', true));
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER realtime_booking_changed
    AFTER INSERT OR UPDATE ON bookings_booking
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION realtime_booking_changed();

CREATE CONSTRAINT TRIGGER realtime_event_changed
    AFTER INSERT OR UPDATE ON events_event
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION realtime_event_changed();

CREATE CONSTRAINT TRIGGER realtime_registration_changed
    AFTER INSERT OR UPDATE ON events_registration
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION realtime_registration_changed();

CREATE CONSTRAINT TRIGGER realtime_closure_changed
    AFTER INSERT OR UPDATE OR DELETE ON venues_closure
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION realtime_closure_changed();
"""

REVERSE = """
DROP TRIGGER realtime_closure_changed ON venues_closure;
DROP TRIGGER realtime_registration_changed ON events_registration;
DROP TRIGGER realtime_event_changed ON events_event;
DROP TRIGGER realtime_booking_changed ON bookings_booking;
DROP FUNCTION realtime_closure_changed();
DROP FUNCTION realtime_registration_changed();
DROP FUNCTION realtime_event_changed();
DROP FUNCTION realtime_booking_changed();
DROP FUNCTION realtime_interval(uuid, timestamptz, timestamptz, boolean);
DROP FUNCTION realtime_emit(text, uuid, uuid, uuid, uuid, boolean, jsonb);
DROP FUNCTION realtime_iso(timestamptz);
DROP SEQUENCE realtime_change_id_seq;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("realtime", "0001_initial"),
        ("bookings", "0002_database_invariants"),
        ("events", "0002_database_invariants"),
        ("venues", "0002_database_invariants"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
