"""Account services: who may call them (every kind of caller, no view
involved), and the pre-check losing a race: the database constraint still
answers, and the service turns it into a 409, never a 500."""

from unittest import mock

import pytest

from tests.conftest import ACTOR_KINDS, PASSWORD, make_actor, make_user, refusal_for
from venueos.accounts import services
from venueos.accounts.models import Organization, Role, User
from venueos.common.problems import Conflict, NotAuthenticated, NotFound

pytestmark = pytest.mark.django_db


def _precheck_misses():
    # What a concurrent request sees: the row is committed after its check ran.
    return mock.patch("django.db.models.query.QuerySet.exists", return_value=False)


def test_organization_slug_race_is_a_conflict(admin, org):
    with _precheck_misses(), pytest.raises(Conflict) as raised:
        services.organization_create(name="Again", slug=org.slug, actor=admin)
    assert raised.value.slug == "slug-taken"
    assert Organization.objects.filter(slug=org.slug).count() == 1


def test_email_race_is_a_conflict():
    existing = make_user()
    with _precheck_misses(), pytest.raises(Conflict) as raised:
        services.user_register(
            email=existing.email.upper(),
            password="plum-orchard-velvet-42",
            full_name="Twin",
        )
    assert raised.value.slug == "email-taken"
    assert User.objects.filter(email__iexact=existing.email).count() == 1


ADMINS = {"admin"}


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_only_administrators_create_organizations(kind, org):
    actor = make_actor(kind, org)
    refusal = refusal_for(kind, ADMINS)
    if refusal is None:
        services.organization_create(name="New", actor=actor)
        assert Organization.objects.filter(slug="new").exists()
    else:
        with pytest.raises(refusal):
            services.organization_create(name="New", actor=actor)
        assert not Organization.objects.filter(slug="new").exists()


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_only_administrators_create_users(kind, org):
    actor = make_actor(kind, org)
    refusal = refusal_for(kind, ADMINS)

    def create():
        return services.user_create(
            actor=actor,
            email="made@example.com",
            password="plum-orchard-velvet-42",
            full_name="Made",
            role=Role.MANAGER,
            organization_id=org.id,
        )

    if refusal is None:
        assert create().organization == org
    else:
        with pytest.raises(refusal):
            create()
        assert not User.objects.filter(email="made@example.com").exists()


def test_the_operator_at_the_command_line_creates_the_first_admin():
    user = services.user_create(
        actor=None,
        email="root@example.com",
        password="plum-orchard-velvet-42",
        full_name="Root",
        role=Role.ADMIN,
    )
    assert user.is_admin
    organization = services.organization_get_or_create(actor=None, slug="acme")
    assert organization.name == "Acme"


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_only_administrators_get_or_create_organizations(kind, org):
    actor = make_actor(kind, org)
    refusal = refusal_for(kind, ADMINS)
    if refusal is None:
        services.organization_get_or_create(actor=actor, slug="acme")
    else:
        with pytest.raises(refusal):
            services.organization_get_or_create(actor=actor, slug="acme")
    assert Organization.objects.filter(slug="acme").exists() == (refusal is None)


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_a_token_is_revoked_only_by_its_owner(kind, org):
    owner = make_user()
    token, _ = services.token_create(email=owner.email, password=PASSWORD)
    actor = make_actor(kind, org, owner)
    if kind == "owner":
        services.token_revoke(token_id=token.id, actor=actor)
    else:
        # Someone else's token does not exist for them, admins included.
        with pytest.raises(NotAuthenticated if kind == "anonymous" else NotFound):
            services.token_revoke(token_id=token.id, actor=actor)
    token.refresh_from_db()
    assert (token.revoked_at is not None) == (kind == "owner")
