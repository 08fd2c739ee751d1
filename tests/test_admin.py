"""The Django admin: every registered model's changelist opens, with a search."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.conftest import make_space, make_user
from venueos.accounts.models import Role
from venueos.demo import load_demo

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    f"{model._meta.app_label}.{model._meta.model_name}"
    for model in admin.site._registry
)


@pytest.fixture
def admin_client(venue):
    load_demo()
    make_space(venue, name="x-ray room")
    client = Client()
    client.force_login(make_user(Role.ADMIN))
    return client


def test_the_core_models_are_registered():
    assert {
        "accounts.organization",
        "accounts.user",
        "accounts.apitoken",
        "venues.venue",
        "venues.space",
        "venues.openinghours",
        "venues.closure",
        "audit.auditentry",
    } <= set(REGISTERED)


@pytest.mark.parametrize("model", REGISTERED)
@pytest.mark.parametrize("query", ["", "?q=x"])
def test_admin_changelist_opens_for_every_model(admin_client, model, query):
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    response = admin_client.get(url + query)
    assert response.status_code == 200, response.content[:500]
    assert b"<html" in response.content


def test_admin_index_lists_the_models(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert b"Venues" in response.content


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CUSTOMER])
def test_admin_is_for_administrators_only(venue, role):
    user = make_user(
        role, organization=venue.organization if role == "manager" else None
    )
    client = Client()
    client.force_login(user)
    response = client.get(reverse("admin:venues_venue_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
