"""Account services when the pre-check loses a race: the database constraint
still answers, and the service turns it into a 409, never a 500."""

from unittest import mock

import pytest

from tests.conftest import make_user
from venueos.accounts import services
from venueos.accounts.models import Organization, User
from venueos.common.problems import Conflict

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
