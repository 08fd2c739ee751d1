"""Finding 1: the login throttle counts per client address taken from the
socket (X-Forwarded-For only through as many proxies as configured), in a
store every server process shares."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from django.db import connection, transaction
from django.test import override_settings
from rest_framework.test import APIClient

from tests.conftest import PASSWORD
from tests.security.helpers import app_database_url, assert_problem
from tests.servers import serve
from venueos.common.models import RateCounter
from venueos.common.throttling import SharedRateThrottle, hit

TOKENS = "/api/v1/auth/tokens/"


@pytest.fixture
def login_rate_3(monkeypatch):
    monkeypatch.setattr(SharedRateThrottle, "THROTTLE_RATES", {"login": "3/minute"})


@pytest.mark.django_db
def test_a_new_x_forwarded_for_each_time_does_not_escape_the_throttle(
    admin, login_rate_3
):
    client = APIClient()
    wrong = {"email": admin.email, "password": "wrong-password"}
    statuses = [
        client.post(
            TOKENS, wrong, format="json", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(1, 5)
    ]
    assert statuses == [401, 401, 401, 429]
    right = client.post(
        TOKENS,
        {"email": admin.email, "password": PASSWORD},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert_problem(right, 429, "throttled")
    assert "token" not in right.json()


@pytest.mark.django_db
def test_other_socket_addresses_have_their_own_count(admin, login_rate_3):
    client = APIClient()
    wrong = {"email": admin.email, "password": "wrong-password"}
    for _ in range(3):
        client.post(TOKENS, wrong, format="json", REMOTE_ADDR="192.0.2.1")
    assert (
        client.post(TOKENS, wrong, format="json", REMOTE_ADDR="192.0.2.1").status_code
        == 429
    )
    assert (
        client.post(TOKENS, wrong, format="json", REMOTE_ADDR="192.0.2.2").status_code
        == 401
    )


@pytest.mark.django_db
@override_settings(VENUEOS_TRUSTED_PROXIES=1)
def test_behind_one_trusted_proxy_the_address_it_saw_counts(admin, login_rate_3):
    client = APIClient()
    wrong = {"email": admin.email, "password": "wrong-password"}

    def attempt(forwarded: str) -> int:
        return client.post(
            TOKENS,
            wrong,
            format="json",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code

    # The client forges the left part; the proxy appends the real address.
    assert [attempt(f"203.0.113.{n}, 198.51.100.7") for n in range(4)] == [
        401,
        401,
        401,
        429,
    ]
    assert attempt("198.51.100.8") == 401


def test_client_address_rules():
    from venueos.common.middleware import client_ip

    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 2.2.2.2"}
    with override_settings(VENUEOS_TRUSTED_PROXIES=0):
        assert client_ip(meta) == "10.0.0.1"
    with override_settings(VENUEOS_TRUSTED_PROXIES=1):
        assert client_ip(meta) == "2.2.2.2"
    with override_settings(VENUEOS_TRUSTED_PROXIES=2):
        assert client_ip(meta) == "1.1.1.1"
    with override_settings(VENUEOS_TRUSTED_PROXIES=5):
        assert client_ip(meta) == "1.1.1.1"  # fewer hops than proxies: the first
    forged = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "<script>"}
    with override_settings(VENUEOS_TRUSTED_PROXIES=1):
        assert client_ip(forged) == "10.0.0.1"  # not an address: the socket's


_ATTEMPTS_SCRIPT = textwrap.dedent(
    """
    import django, os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "venueos.settings"
    django.setup()
    from rest_framework.test import APIClient
    client = APIClient()
    codes = [
        client.post(
            "/api/v1/auth/tokens/",
            {"email": "nobody@example.com", "password": "wrong"},
            format="json",
        ).status_code
        for _ in range(int(sys.argv[1]))
    ]
    print(" ".join(map(str, codes)))
    """
)


@pytest.mark.django_db(transaction=True)
def test_server_processes_share_one_count():
    """Two processes, like two uvicorn workers: 3 attempts each against a
    limit of 4 a day (a day-long window, so that slow process start-ups on a
    loaded machine cannot straddle a window boundary); only 4 in all get
    through."""
    env = dict(
        os.environ,
        DATABASE_URL=app_database_url(),
        VENUEOS_THROTTLE_LOGIN="4/day",
    )
    env.pop("REDIS_URL", None)
    codes: list[str] = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-c", _ATTEMPTS_SCRIPT, "3"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        codes += result.stdout.split()
    assert sorted(codes) == ["401"] * 4 + ["429"] * 2


@pytest.mark.django_db(transaction=True)
def test_over_real_http_a_forged_x_forwarded_for_changes_nothing(admin):
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default; the served
    app must not."""
    import httpx

    with serve(
        app_database_url(), workers=1, VENUEOS_THROTTLE_LOGIN="3/minute"
    ) as base:
        wrong = {"email": admin.email, "password": "wrong-password"}
        statuses = [
            httpx.post(
                base + TOKENS,
                json=wrong,
                headers={"X-Forwarded-For": f"198.51.100.{n}"},
                timeout=10,
            ).status_code
            for n in range(1, 5)
        ]
    assert statuses == [401, 401, 401, 429]


@pytest.mark.django_db(transaction=True)
def test_a_counter_commits_lazily_only_when_it_is_its_own_transaction():
    """Outside a transaction the counter's statement commits without waiting
    for the WAL flush; inside one it must not change how the rest commits."""

    def synchronous_commit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    # The test server runs with it off; a session of a real deployment has it on.
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")
    assert hit("lazy-test", "alone", "5/minute") is None
    assert synchronous_commit() == "on"  # it held for that statement only
    with transaction.atomic():
        assert hit("lazy-test", "in-a-transaction", "5/minute") is None
        assert synchronous_commit() == "on"
    counts = dict(
        RateCounter.objects.filter(key__startswith="rate:lazy-test:").values_list(
            "key", "count"
        )
    )
    assert sorted(counts.values()) == [1, 1]
    connection.close()  # the next test's session starts with the server's value
