"""A venue's address becomes a JSON object (venueos/venues/addresses.py); an
old free-text address is kept readable as {"street": "<the text>"}."""

from django.db import migrations, models

FORWARD = """
ALTER TABLE venues_venue ALTER COLUMN address TYPE jsonb USING
    CASE WHEN btrim(address) = '' THEN '{}'::jsonb
         ELSE jsonb_build_object('street', address) END;
"""

BACKWARD = """
ALTER TABLE venues_venue ALTER COLUMN address TYPE text USING
    concat_ws(', ',
        nullif(address->>'street', ''),
        nullif(concat_ws(' ', nullif(address->>'postcode', ''),
                              nullif(address->>'city', '')), ''),
        nullif(address->>'region', ''),
        nullif(address->>'country', ''));
"""


class Migration(migrations.Migration):
    dependencies = [("venues", "0003_space_buffers")]

    operations = [
        migrations.RunSQL(
            FORWARD,
            BACKWARD,
            state_operations=[
                migrations.AlterField(
                    model_name="venue",
                    name="address",
                    field=models.JSONField(blank=True, default=dict),
                )
            ],
        )
    ]
