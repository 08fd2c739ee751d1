# The table now belongs to common (common/0001 renamed it); only the state moves.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("bookings", "0005_booking_sequence"),
        ("common", "0001_idempotencyrecord"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
        ),
    ]
