"""A token's `last_used_at` is written off the request path, in batches
(venueos/accounts/token_uses.py); unbatched (interval 0), at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import client_for, make_user
from venueos.accounts import token_uses
from venueos.accounts.models import ApiToken, Role


def _last_used(user):
    return ApiToken.objects.get(user=user).last_used_at


def test_unbatched_a_use_is_written_by_the_request(customer, settings):
    settings.VENUEOS_TOKEN_USE_FLUSH_SECONDS = 0
    client = client_for(customer)
    assert _last_used(customer) is None
    assert client.get("/api/v1/me/").status_code == 200
    assert _last_used(customer) is not None


def test_batched_a_use_waits_for_the_flush_and_one_update_writes_them_all(
    db, settings, django_assert_num_queries
):
    settings.VENUEOS_TOKEN_USE_FLUSH_SECONDS = 3600
    users = [make_user(Role.CUSTOMER) for _ in range(3)]
    clients = [client_for(user) for user in users]
    token_uses.flush()  # nothing left over from earlier tests
    for client in clients:
        assert client.get("/api/v1/me/").status_code == 200
    assert [_last_used(user) for user in users] == [None, None, None]
    with django_assert_num_queries(1):
        assert token_uses.flush() == 3
    assert all(_last_used(user) is not None for user in users)
    assert token_uses.flush() == 0


def test_a_late_flush_never_moves_last_used_back(customer, settings):
    settings.VENUEOS_TOKEN_USE_FLUSH_SECONDS = 3600
    client_for(customer)
    token = ApiToken.objects.get(user=customer)
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token_uses.record_use(token.pk, now - timedelta(minutes=5))
    assert token_uses.flush() == 0
    assert _last_used(customer) == now


@pytest.mark.django_db(transaction=True)
def test_the_flusher_thread_writes_the_uses_within_its_interval(settings, monkeypatch):
    settings.VENUEOS_TOKEN_USE_FLUSH_SECONDS = 0.2
    monkeypatch.setattr(token_uses, "_flusher", None)  # start one at this interval
    customer = make_user(Role.CUSTOMER)
    client = client_for(customer)
    assert client.get("/api/v1/me/").status_code == 200
    deadline = time.monotonic() + 30
    while _last_used(customer) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _last_used(customer) is not None
    assert token_uses._flusher.name == "token-uses"


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_a_flush_interval_that_is_no_duration_stops_the_start(value):
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="venueos.settings",
            VENUEOS_TOKEN_USE_FLUSH_SECONDS=value,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "VENUEOS_TOKEN_USE_FLUSH_SECONDS must be" in started.stderr
