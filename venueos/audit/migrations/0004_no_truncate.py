from django.db import migrations

# TRUNCATE fires no row trigger; a statement trigger refuses it too. The
# application's role may not TRUNCATE at all (common/dbroles.py); this stops
# the owner's slips as well.
#
# The application's role may not UPDATE the audit log either. The one change
# the log allows (blanking a booking's personal free text, migration 0003) is
# made through this function, which runs as its owner and can do nothing else;
# the append-only trigger still checks every row it touches.
SQL = """
DROP TRIGGER IF EXISTS audit_no_truncate ON audit_auditentry;
CREATE TRIGGER audit_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

CREATE OR REPLACE FUNCTION audit_erase_personal_entries(booking_ids uuid[]) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH erased AS (
        UPDATE audit_auditentry entry
           SET old_values = audit_erase_personal(entry.old_values),
               new_values = audit_erase_personal(entry.new_values)
         WHERE entry.entity_type = 'booking' AND entry.entity_id = ANY(booking_ids)
     RETURNING 1
    )
    SELECT count(*) FROM erased
$$;
REVOKE ALL ON FUNCTION audit_erase_personal_entries(uuid[]) FROM PUBLIC;
"""

REVERSE = """
DROP FUNCTION audit_erase_personal_entries(uuid[]);
DROP TRIGGER audit_no_truncate ON audit_auditentry;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_personal_data_erasure")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
