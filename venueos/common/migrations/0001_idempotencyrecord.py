# IdempotencyRecord moves from bookings to common, where its logic lives: the
# table is renamed, its rows stay.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("bookings", "0002_database_invariants"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE bookings_idempotencyrecord RENAME TO common_idempotencyrecord",
                    reverse_sql="ALTER TABLE common_idempotencyrecord RENAME TO bookings_idempotencyrecord",
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="IdempotencyRecord",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("scope", models.CharField(max_length=100)),
                        ("key", models.CharField(max_length=255)),
                        ("request_hash", models.CharField(max_length=64)),
                        ("status_code", models.PositiveSmallIntegerField()),
                        ("response_body", models.JSONField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "indexes": [
                            models.Index(
                                fields=["created_at"], name="idempotency_created"
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "scope", "key"),
                                name="idempotency_unique_key",
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
