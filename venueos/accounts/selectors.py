from venueos.accounts.models import ApiToken, Organization, User


def token_list_for_user(user: User):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def organization_list():
    return Organization.objects.all()


def user_by_id(user_id) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()
