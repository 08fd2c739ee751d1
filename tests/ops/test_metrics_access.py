"""Who may read /metrics: with a token, only its bearer (a reverse proxy on
the same host makes every visitor loopback); without one, loopback clients
that no proxy forwarded."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-metrics"


def test_with_a_token_even_loopback_must_send_it(settings):
    settings.VENUEOS_METRICS_TOKEN = TOKEN
    local = APIClient(REMOTE_ADDR="127.0.0.1")
    refused = local.get("/metrics")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert local.get("/metrics", HTTP_AUTHORIZATION="Bearer guess").status_code == 403
    allowed = local.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert allowed.status_code == 200


def test_with_a_token_a_forwarded_bearer_is_let_in(settings):
    settings.VENUEOS_METRICS_TOKEN = TOKEN
    proxied = APIClient(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert (
        proxied.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    )


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_X_FORWARDED_FOR": "203.0.113.7"},
        {"HTTP_FORWARDED": "for=203.0.113.7"},
    ],
)
def test_without_a_token_forwarded_requests_are_refused(settings, header):
    settings.VENUEOS_METRICS_TOKEN = ""
    proxied = APIClient(REMOTE_ADDR="127.0.0.1", **header)
    refused = proxied.get("/metrics")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"


def test_without_a_token_plain_loopback_is_let_in(settings):
    settings.VENUEOS_METRICS_TOKEN = ""
    assert APIClient(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert APIClient(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    assert APIClient(REMOTE_ADDR="203.0.113.7").get("/metrics").status_code == 403
