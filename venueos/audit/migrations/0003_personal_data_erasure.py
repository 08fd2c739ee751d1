from django.db import migrations

# The audit log stays append-only with one exception, checked here in the
# database: an UPDATE may blank the personal free text of a booking's entry
# (title, description, meeting URL inside old_values / new_values) and change
# nothing else. The data-retention job (bookings/retention.py) uses it; who did
# what, when, to which booking and space stays.
SQL = """
CREATE FUNCTION audit_erase_personal(doc jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN doc IS NULL OR jsonb_typeof(doc) <> 'object' THEN doc
        ELSE doc || coalesce(
            (SELECT jsonb_object_agg(key, '')
               FROM jsonb_object_keys(doc) AS key
              WHERE key IN ('title', 'description', 'external_meeting_url')),
            '{}'::jsonb)
    END
$$;

CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.entity_type = 'booking'
       AND NEW.old_values IS NOT DISTINCT FROM audit_erase_personal(OLD.old_values)
       AND NEW.new_values IS NOT DISTINCT FROM audit_erase_personal(OLD.new_values)
       AND (NEW.id, NEW.entity_type, NEW.entity_id, NEW.action, NEW.actor_id,
            NEW.created_at, NEW.ip, NEW.user_agent, NEW.request_id)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.entity_type, OLD.entity_id, OLD.action, OLD.actor_id,
            OLD.created_at, OLD.ip, OLD.user_agent, OLD.request_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
"""

REVERSE = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
DROP FUNCTION audit_erase_personal(jsonb);
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
