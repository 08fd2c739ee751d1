"""Finding 11 (part): idempotency records and rate counters do not pile up
(`venueos purge`, for a scheduled job), and API tokens can be given a maximum
age for the whole installation."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.conftest import PASSWORD, client_for
from venueos import cli
from venueos.accounts.models import ApiToken
from venueos.common.idempotency import idempotency_records_purge
from venueos.common.models import IdempotencyRecord, RateCounter

pytestmark = pytest.mark.django_db


def _record(user, key: str, age: timedelta) -> IdempotencyRecord:
    record = IdempotencyRecord.objects.create(
        user=user,
        scope="bookings.create",
        key=key,
        request_hash="0" * 64,
        status_code=201,
        response_body={},
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - age
    )
    return record


def test_purge_removes_idempotency_records_older_than_24_hours(customer):
    _record(customer, "old", timedelta(hours=24, minutes=1))
    kept = _record(customer, "recent", timedelta(hours=23))
    assert idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_purge_command_removes_old_records_and_ended_rate_windows(customer, capsys):
    _record(customer, "old", timedelta(days=3))
    now = timezone.now()
    RateCounter.objects.create(
        key="ended", count=5, expires_at=now - timedelta(seconds=1)
    )
    RateCounter.objects.create(
        key="current", count=5, expires_at=now + timedelta(minutes=1)
    )
    assert cli.main(["purge"]) == 0
    assert IdempotencyRecord.objects.count() == 0
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["current"]
    out = capsys.readouterr().out
    assert "1 idempotency record" in out and "1 rate counter" in out


def test_tokens_never_expire_unless_a_maximum_age_is_set(customer):
    client = client_for(customer)
    ApiToken.objects.update(created_at=timezone.now() - timedelta(days=400))
    assert client.get("/api/v1/me/").status_code == 200


@override_settings(VENUEOS_TOKEN_MAX_AGE_DAYS=30)
def test_a_token_older_than_the_maximum_age_is_refused(customer):
    client = client_for(customer)
    assert client.get("/api/v1/me/").status_code == 200
    ApiToken.objects.update(created_at=timezone.now() - timedelta(days=31))
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


@override_settings(VENUEOS_TOKEN_MAX_AGE_DAYS=30)
@pytest.mark.parametrize("requested", [None, 90])
def test_new_tokens_expire_within_the_maximum_age(anon_client, customer, requested):
    body = {"email": customer.email, "password": PASSWORD}
    if requested:
        body["expires_in_days"] = requested
    response = anon_client.post("/api/v1/auth/tokens/", body, format="json")
    assert response.status_code == 201
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.expires_at is not None
    assert token.expires_at <= timezone.now() + timedelta(days=30)
    assert token.expires_at > timezone.now() + timedelta(days=29)


@override_settings(VENUEOS_TOKEN_MAX_AGE_DAYS=30)
def test_a_shorter_requested_lifetime_is_kept(anon_client, customer):
    body = {"email": customer.email, "password": PASSWORD, "expires_in_days": 2}
    response = anon_client.post("/api/v1/auth/tokens/", body, format="json")
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.expires_at <= timezone.now() + timedelta(days=2)


def test_the_worker_purges_every_hour(customer):
    from venueos.common.tasks import purge_expired_records

    _record(customer, "old", timedelta(days=2))
    RateCounter.objects.create(
        key="ended", count=1, expires_at=timezone.now() - timedelta(seconds=1)
    )
    purge_expired_records(timestamp=0)
    assert IdempotencyRecord.objects.count() == 0
    assert RateCounter.objects.count() == 0
    from procrastinate.contrib.django import app

    scheduled = {
        (periodic.task.name, periodic.cron)
        for periodic in app.periodic_registry.periodic_tasks.values()
    }
    assert ("ops.purge_expired_records", "23 * * * *") in scheduled
