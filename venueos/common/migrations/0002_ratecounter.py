from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("common", "0001_idempotencyrecord")]

    operations = [
        migrations.CreateModel(
            name="RateCounter",
            fields=[
                ("key", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("count", models.IntegerField()),
                ("expires_at", models.DateTimeField()),
            ],
            options={
                "indexes": [models.Index(fields=["expires_at"], name="ratecounter_expires")],
            },
        ),
    ]
