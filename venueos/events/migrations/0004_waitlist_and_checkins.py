"""Waiting lists and check-ins.

The queue's order comes from a sequence (`events_waitlist_seq`, the column
default of `seq`): an entry's place is fixed when it joins. A check-in's gate
lies in its event's venue (checked by the service; gates and events both belong
to one venue, and a gate is never moved).
"""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0003_ticket_codes'),
        ('venues', '0005_gates'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CheckIn',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('quantity', models.PositiveSmallIntegerField()),
                ('checked_in_at', models.DateTimeField()),
            ],
            options={
                'ordering': ['checked_in_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='WaitlistEntry',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('quantity', models.PositiveSmallIntegerField(default=1)),
                ('status', models.CharField(choices=[('waiting', 'Waiting'), ('promoted', 'Promoted'), ('left', 'Left')], default='waiting', max_length=16)),
                ('seq', models.BigIntegerField(editable=False, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('promoted_at', models.DateTimeField(blank=True, null=True)),
                ('left_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'verbose_name_plural': 'waiting list entries',
                'ordering': ['seq'],
            },
        ),
        migrations.AddField(
            model_name='checkin',
            name='checked_in_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='checkin',
            name='event',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='check_ins', to='events.event'),
        ),
        migrations.AddField(
            model_name='checkin',
            name='gate',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='check_ins', to='venues.gate'),
        ),
        migrations.AddField(
            model_name='checkin',
            name='registration',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='check_in', to='events.registration'),
        ),
        migrations.AddField(
            model_name='waitlistentry',
            name='attendee',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='waitlist_entries', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='waitlistentry',
            name='event',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='waitlist_entries', to='events.event'),
        ),
        migrations.AddField(
            model_name='waitlistentry',
            name='registration',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='waitlist_entry', to='events.registration'),
        ),
        migrations.AddIndex(
            model_name='checkin',
            index=models.Index(fields=['event', 'gate'], name='checkin_event_gate'),
        ),
        migrations.AddConstraint(
            model_name='checkin',
            constraint=models.UniqueConstraint(fields=('registration',), name='checkin_registration_unique'),
        ),
        migrations.AddIndex(
            model_name='waitlistentry',
            index=models.Index(condition=models.Q(('status', 'waiting')), fields=['event', 'seq'], name='waitlist_queue'),
        ),
        migrations.AddIndex(
            model_name='waitlistentry',
            index=models.Index(fields=['attendee', 'created_at'], name='waitlist_attendee'),
        ),
        migrations.AddConstraint(
            model_name='waitlistentry',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'waiting')), fields=('event', 'attendee'), name='waitlist_one_waiting_per_attendee'),
        ),
        migrations.AddConstraint(
            model_name='waitlistentry',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gte', 1), ('quantity__lte', 10)), name='waitlist_quantity_range'),
        ),
        migrations.AddConstraint(
            model_name='waitlistentry',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['waiting', 'promoted', 'left'])), name='waitlist_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='waitlistentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'promoted'), ('registration__isnull', False), ('promoted_at__isnull', False)), models.Q(models.Q(('status', 'promoted'), _negated=True), ('registration__isnull', True)), _connector='OR'), name='waitlist_promoted_has_registration'),
        ),
        migrations.RunSQL(
            "CREATE SEQUENCE events_waitlist_seq OWNED BY events_waitlistentry.seq; "
            "ALTER TABLE events_waitlistentry ALTER COLUMN seq "
            "SET DEFAULT nextval('events_waitlist_seq')",
            "ALTER TABLE events_waitlistentry ALTER COLUMN seq DROP DEFAULT; "
            "DROP SEQUENCE events_waitlist_seq",
        ),
    ]
