"""Ticket codes: every registration gets its own unguessable code.

Existing rows are backfilled in SQL with 122 random bits (a random UUID's
bytes, base64url without padding, 22 characters); new rows get 128 bits from
`models.new_ticket_code` (Python's `secrets`). The column default keeps rows
written outside the ORM (raw SQL, bulk tools) from ever lacking a code.
"""

import venueos.events.models
from django.db import migrations, models

RANDOM_CODE = (
    "translate(rtrim(encode(uuid_send(gen_random_uuid()), 'base64'), '='), '+/', '-_')"
)


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0002_database_invariants'),
    ]

    operations = [
        migrations.AddField(
            model_name='registration',
            name='code',
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        # Deferred triggers on the table (e.g. the real-time change log) fire
        # now: PostgreSQL refuses an ALTER TABLE while their events are pending.
        migrations.RunSQL(
            f"UPDATE events_registration SET code = {RANDOM_CODE} WHERE code IS NULL; "
            "SET CONSTRAINTS ALL IMMEDIATE",
            migrations.RunSQL.noop,
        ),
        # Deferred triggers (the live stream's change log) queued by the backfill
        # must fire before the table can be altered in the same transaction.
        migrations.RunSQL("SET CONSTRAINTS ALL IMMEDIATE", migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='registration',
            name='code',
            field=models.CharField(default=venueos.events.models.new_ticket_code, editable=False, max_length=64),
        ),
        migrations.RunSQL(
            f"ALTER TABLE events_registration ALTER COLUMN code SET DEFAULT {RANDOM_CODE}",
            "ALTER TABLE events_registration ALTER COLUMN code DROP DEFAULT",
        ),
        migrations.AddConstraint(
            model_name='registration',
            constraint=models.UniqueConstraint(fields=('code',), name='registration_code_unique'),
        ),
    ]
