"""Finding 2: the Django admin's login is limited (django-axes): after
VENUEOS_LOGIN_FAILURE_LIMIT wrong passwords the account is locked, even for the
right password, until the cool-off ends or an administrator unlocks it."""

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import PASSWORD, client_for, make_user
from venueos.accounts.models import Role

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


def _login(client, email, password, address="192.0.2.1"):
    return client.post(
        LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address
    )


def _signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_right_password_works_before_any_failure(admin):
    client = Client()
    assert _login(client, admin.email, PASSWORD).status_code == 302
    assert _signed_in(client)


def test_wrong_passwords_lock_the_admin_login(admin, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _login(client, admin.email, "wrong-password").status_code in (200, 429)
    locked = _login(client, admin.email, PASSWORD)
    assert locked.status_code == 429
    assert not _signed_in(client)


def test_the_lock_holds_for_the_account_from_another_address(admin, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), admin.email, "wrong-password", address=f"198.51.100.{n}")
    client = Client()
    assert (
        _login(client, admin.email, PASSWORD, address="203.0.113.9").status_code == 429
    )


def test_an_administrator_unlocks_the_account(admin, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), admin.email, "wrong-password", address="192.0.2.1")
    call_command("axes_reset_username", admin.email)
    client = Client()
    assert _login(client, admin.email, PASSWORD, address="192.0.2.2").status_code == 302
    assert _signed_in(client)


def test_upper_case_does_not_make_a_new_account(admin, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        email = admin.email.upper() if n % 2 else admin.email
        _login(Client(), email, "wrong-password", address=f"198.51.100.{n}")
    assert (
        _login(Client(), admin.email, PASSWORD, address="203.0.113.9").status_code
        == 429
    )


def test_locked_out_attempts_are_listed_in_the_admin(admin, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), admin.email, "wrong-password")
    other_admin = make_user(Role.ADMIN)
    client = Client()
    client.force_login(other_admin)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert admin.email in page.content.decode()


def test_api_token_logins_are_not_broken_by_the_admin_lockout(admin, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), admin.email, "wrong-password")
    assert client_for(admin).get("/api/v1/me/").status_code == 200
