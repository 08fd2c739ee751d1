from django.db import migrations

# TRUNCATE fires no row trigger; a statement trigger refuses it too. The
# application's role may not TRUNCATE at all (common/dbroles.py); this stops
# the owner's slips as well.
SQL = """
CREATE TRIGGER audit_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
"""

REVERSE = "DROP TRIGGER audit_no_truncate ON audit_auditentry;"


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
