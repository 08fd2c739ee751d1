"""Sign up, sign in, sign out as plain forms (no JavaScript), with CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD, make_user
from venueos.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_sign_up_creates_a_customer_signs_them_in_and_follows_next(client):
    response = client.post(
        "/signup/",
        {
            "full_name": "Nora New",
            "email": "Nora@Example.com",
            "password": PASSWORD,
            "next": "/my/bookings/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/my/bookings/"
    user = User.objects.get()
    assert (user.email, user.role) == ("nora@example.com", Role.CUSTOMER)
    assert client.get("/my/bookings/").status_code == 200


def test_sign_up_with_a_taken_email_says_so_next_to_the_email_field(client):
    make_user(email="taken@example.com")
    response = client.post(
        "/signup/",
        {"full_name": "X", "email": "taken@example.com", "password": PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["An account with e-mail taken@example.com already exists."]
    }


def test_sign_up_with_a_weak_password_explains_the_password_rules(client):
    response = client.post(
        "/signup/", {"full_name": "X", "email": "x@example.com", "password": "1234"}
    )
    errors = response.context["form"].errors["password"]
    assert (
        "This password is too short. It must contain at least 8 characters."
        in (errors[0])
    )
    assert not User.objects.exists()


def test_sign_in_with_a_wrong_password_shows_a_message_not_an_error_page(client):
    user = make_user()
    response = client.post("/login/", {"email": user.email, "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "That e-mail and password do not match an account."
    ]


def test_sign_in_refuses_a_next_url_on_another_host(client):
    user = make_user()
    response = client.post(
        "/login/",
        {"email": user.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_sign_out_needs_a_post_with_a_csrf_token():
    user = make_user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 403  # no CSRF token
    page = client.get("/my/bookings/")
    token = page.context["csrf_token"]
    response = client.post("/logout/", {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert client.get("/my/bookings/").status_code == 302  # to sign in


def test_navigation_names_sign_in_for_visitors_and_dashboard_for_managers(
    client, manager, customer
):
    html = client.get("/").content.decode()
    assert ">Sign in</a>" in html and "My bookings" not in html
    client.force_login(customer)
    html = client.get("/").content.decode()
    assert ">My bookings</a>" in html and ">Dashboard</a>" not in html
    assert ">Sign out</button>" in html
    client.force_login(manager)
    assert ">Dashboard</a>" in client.get("/").content.decode()


def test_pages_that_need_an_account_send_visitors_to_sign_in_and_back(client):
    response = client.get("/my/tickets/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/my/tickets/"


def test_guessing_passwords_through_the_site_is_throttled(client):
    """Wrong passwords through the site are limited twice over: django-axes
    locks the account after a few failures, and the shared login throttle
    caps attempts per address; either way the right password is then refused
    too, with 429."""
    from django.core.cache import cache

    from venueos.common.models import RateCounter

    # The shared counters (PostgreSQL) may hold earlier tests' attempts from
    # this address in the same window.
    RateCounter.objects.all().delete()
    cache.clear()
    user = make_user()
    statuses = [
        client.post("/login/", {"email": user.email, "password": "x"}).status_code
        for _ in range(31)
    ]
    assert statuses[0] == 200
    assert statuses[-1] == 429
    assert set(statuses) == {200, 429}
    response = client.post("/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    cache.clear()
