from django.db.models import QuerySet

from venueos.accounts.models import ApiToken, Organization, Role, User
from venueos.common.permissions import require_admin


def token_list_for_user(user: User):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def organization_list(*, user) -> QuerySet:
    """Every organization, for administrators."""
    require_admin(user)
    return Organization.objects.all()


def organization_find(organization_id) -> Organization | None:
    return Organization.objects.filter(pk=organization_id).first()


def user_by_id(user_id) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip(), is_active=True).first()


def manager_list(*, user):
    """Every manager with their organization, for administrators."""
    require_admin(user)
    return (
        User.objects.filter(role=Role.MANAGER)
        .select_related("organization")
        .order_by("organization__name", "full_name", "id")
    )
