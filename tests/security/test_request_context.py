"""Finding 11 (part): what a client sends about itself is checked before it is
stored or echoed; health checks tell no secrets."""

import uuid

import pytest
from django.db import OperationalError
from django.test import override_settings

from tests.conftest import client_for
from venueos.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "incoming",
    ["<script>alert(1)</script>", "x" * 129, "a b", "trace\u00e9", ""],
)
def test_an_unsafe_request_id_is_replaced_by_a_generated_one(anon_client, incoming):
    response = anon_client.get("/api/v1/venues/", HTTP_X_REQUEST_ID=incoming)
    echoed = response["X-Request-ID"]
    assert echoed != incoming
    assert uuid.UUID(hex=echoed)


def test_a_safe_request_id_is_kept_and_recorded(manager):
    response = client_for(manager).post(
        "/api/v1/venues/",
        {"name": "Hall", "timezone": "Europe/Berlin", "max_capacity": 10},
        format="json",
        HTTP_X_REQUEST_ID="lb-7f3a.2026:abc_1",
    )
    assert response.status_code == 201
    assert response["X-Request-ID"] == "lb-7f3a.2026:abc_1"
    entry = AuditEntry.objects.get(entity_id=response.json()["id"])
    assert entry.request_id == "lb-7f3a.2026:abc_1"


def test_health_ready_names_the_failing_dependency_but_not_the_error(
    anon_client, monkeypatch
):
    secret = "password authentication failed for user venueos_app at 10.1.2.3"

    def broken_cursor(*args, **kwargs):
        raise OperationalError(secret)

    monkeypatch.setattr("venueos.common.views.connection.cursor", broken_cursor)
    response = anon_client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "database" in body["failing"]
    assert "password" not in response.content.decode()
    assert "10.1.2.3" not in response.content.decode()


def _create_venue(manager, **headers):
    response = client_for(manager).post(
        "/api/v1/venues/",
        {"name": "Hall", "timezone": "Europe/Berlin", "max_capacity": 10},
        format="json",
        **headers,
    )
    assert response.status_code == 201
    return AuditEntry.objects.get(entity_id=response.json()["id"])


def test_the_audit_ip_ignores_x_forwarded_for_without_a_trusted_proxy(manager):
    entry = _create_venue(
        manager, REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.66"
    )
    assert entry.ip == "192.0.2.10"


@override_settings(VENUEOS_TRUSTED_PROXIES=1)
def test_the_audit_ip_is_the_address_the_trusted_proxy_saw(manager):
    entry = _create_venue(
        manager,
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.66",
    )
    assert entry.ip == "203.0.113.66"
