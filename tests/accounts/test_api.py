"""Accounts over HTTP: sign-up, API tokens, /me/, organizations and users."""

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, client_for, make_organization, make_user
from venueos.accounts.models import ApiToken, Organization, Role, User
from venueos.accounts.services import token_create

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
STRONG_PASSWORD = "plum-orchard-velvet-42"


def _register(client, **overrides):
    body = {
        "email": "new.customer@example.com",
        "password": STRONG_PASSWORD,
        "full_name": "New Customer",
    } | overrides
    return client.post("/api/v1/auth/register/", body, format="json")


def _new_token(client, user, **extra):
    return client.post(
        "/api/v1/auth/tokens/",
        {"email": user.email, "password": PASSWORD, **extra},
        format="json",
    )


# --- registration ----------------------------------------------------------


def test_register_creates_a_customer(anon_client):
    response = _register(anon_client, email="New.Customer@Example.com")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["role"] == "customer"
    assert body["email"] == "new.customer@example.com"
    assert body["organization"] is None
    assert "password" not in body
    user = User.objects.get(pk=body["id"])
    assert user.check_password(STRONG_PASSWORD)


def test_register_ignores_a_requested_role(anon_client):
    response = _register(anon_client, role="admin")
    assert response.status_code == 201
    assert User.objects.get(pk=response.json()["id"]).role == Role.CUSTOMER


def test_register_with_a_taken_email_is_a_conflict(anon_client, customer):
    response = _register(anon_client, email=customer.email.upper())
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"] == "https://venueos.dev/problems/email-taken"
    assert User.objects.filter(email__iexact=customer.email).count() == 1


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901"])
def test_register_with_a_weak_password_is_rejected(anon_client, password):
    response = _register(anon_client, password=password)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["errors"]["password"]
    assert not User.objects.filter(email="new.customer@example.com").exists()


def test_register_without_required_fields_lists_each_field(anon_client):
    response = anon_client.post("/api/v1/auth/register/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "password", "full_name"}


# --- tokens ------------------------------------------------------------------


def test_token_is_shown_once_and_stored_only_as_its_hash(anon_client, customer):
    response = _new_token(anon_client, customer, name="laptop", expires_in_days=30)
    assert response.status_code == 201, response.json()
    body = response.json()
    raw = body["token"]
    assert body["name"] == "laptop"
    assert body["expires_at"].endswith("Z")
    token = ApiToken.objects.get(pk=body["id"])
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(token.prefix)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM accounts_apitoken WHERE row_to_json(accounts_apitoken)::text LIKE %s",
            [f"%{raw}%"],
        )
        assert cursor.fetchone()[0] == 0
    listed = client_for(customer).get("/api/v1/auth/tokens/").json()
    assert raw not in str(listed)


def test_token_with_wrong_password_is_401(anon_client, customer):
    response = anon_client.post(
        "/api/v1/auth/tokens/",
        {"email": customer.email, "password": "not-the-password"},
        format="json",
    )
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"] == "https://venueos.dev/problems/invalid-credentials"
    assert not ApiToken.objects.filter(user=customer).exists()


def test_token_for_inactive_user_is_refused(anon_client, customer):
    User.objects.filter(pk=customer.pk).update(is_active=False)
    assert _new_token(anon_client, customer).status_code == 401


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_both_authorization_schemes_authenticate(anon_client, customer, scheme):
    raw = _new_token(anon_client, customer).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {raw}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == customer.email


def test_unknown_token_is_401(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer vos_not-a-real-token")
    response = anon_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(customer):
    token, raw = token_create(email=customer.email, password=PASSWORD)
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_revoked_token_is_401_and_revoking_twice_is_404(customer):
    token, raw = token_create(email=customer.email, password=PASSWORD)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/").status_code == 200
    other = client_for(customer)
    assert other.delete(f"/api/v1/auth/tokens/{token.id}/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    assert other.delete(f"/api/v1/auth/tokens/{token.id}/").status_code == 404


def test_nobody_revokes_someone_elses_token(customer):
    token, _ = token_create(email=customer.email, password=PASSWORD)
    intruder = make_user()
    response = client_for(intruder).delete(f"/api/v1/auth/tokens/{token.id}/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_list_shows_own_active_tokens_without_secrets(customer):
    kept, _ = token_create(email=customer.email, password=PASSWORD, name="kept")
    revoked, _ = token_create(email=customer.email, password=PASSWORD, name="gone")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    token_create(email=make_user().email, password=PASSWORD, name="not mine")
    client = client_for(customer)  # adds one more token named "API token"
    body = client.get("/api/v1/auth/tokens/").json()
    assert sorted(item["name"] for item in body["results"]) == ["API token", "kept"]
    for item in body["results"]:
        assert set(item) == {
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
        }


def test_token_list_needs_sign_in(anon_client):
    response = anon_client.get("/api/v1/auth/tokens/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


# --- /me/ --------------------------------------------------------------------


def test_me_shows_the_signed_in_user(manager, org):
    response = client_for(manager).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(manager.id),
        "email": manager.email,
        "full_name": manager.full_name,
        "role": "manager",
        "organization": {"id": str(org.id), "name": org.name, "slug": org.slug},
    }


def test_me_needs_sign_in(anon_client):
    response = anon_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


# --- organizations and users (admin) ----------------------------------------


def test_admin_creates_an_organization_and_a_manager_in_it(admin):
    client = client_for(admin)
    response = client.post(
        "/api/v1/organizations/", {"name": "Harbour Halls"}, format="json"
    )
    assert response.status_code == 201, response.json()
    organization = response.json()
    assert organization["slug"] == "harbour-halls"
    response = client.post(
        "/api/v1/users/",
        {
            "email": "harbour.manager@example.com",
            "password": STRONG_PASSWORD,
            "full_name": "Harbour Manager",
            "role": "manager",
            "organization_id": organization["id"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "manager"
    assert response.json()["organization"]["id"] == organization["id"]
    listed = client.get("/api/v1/organizations/").json()
    assert "harbour-halls" in [item["slug"] for item in listed["results"]]


def test_duplicate_organization_slug_is_a_conflict(admin, org):
    response = client_for(admin).post(
        "/api/v1/organizations/", {"name": "Again", "slug": org.slug}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["type"] == "https://venueos.dev/problems/slug-taken"


def test_manager_without_organization_is_rejected(admin):
    response = client_for(admin).post(
        "/api/v1/users/",
        {
            "email": "lost.manager@example.com",
            "password": STRONG_PASSWORD,
            "full_name": "Lost Manager",
            "role": "manager",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "organization_id" in response.json()["errors"]
    assert not User.objects.filter(email="lost.manager@example.com").exists()


def test_user_with_unknown_organization_is_rejected(admin):
    response = client_for(admin).post(
        "/api/v1/users/",
        {
            "email": "x.manager@example.com",
            "password": STRONG_PASSWORD,
            "full_name": "X",
            "role": "manager",
            "organization_id": "00000000-0000-0000-0000-000000000000",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "organization_id" in response.json()["errors"]


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.MANAGER])
def test_only_admins_list_organizations(role):
    organization = make_organization()
    user = make_user(role, organization=organization if role == "manager" else None)
    response = client_for(user).get("/api/v1/organizations/")
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM


# --- CLI ---------------------------------------------------------------------


def test_cli_createuser_creates_a_manager_and_its_organization(capsys):
    from venueos.cli import main

    code = main(
        [
            "createuser",
            "--email",
            "Cli.Manager@Example.com",
            "--password",
            STRONG_PASSWORD,
            "--role",
            "manager",
            "--organization",
            "cli-org",
        ]
    )
    assert code == 0
    user = User.objects.get(email="cli.manager@example.com")
    assert user.role == Role.MANAGER
    assert user.organization == Organization.objects.get(slug="cli-org")
    assert user.check_password(STRONG_PASSWORD)
    assert "created manager cli.manager@example.com" in capsys.readouterr().out


def test_cli_createuser_refuses_a_weak_password(capsys):
    from venueos.cli import main

    code = main(["createuser", "--email", "weak@example.com", "--password", "123"])
    assert code == 1
    assert "error:" in capsys.readouterr().err
    assert not User.objects.filter(email="weak@example.com").exists()
