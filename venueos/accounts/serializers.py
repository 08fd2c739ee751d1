from rest_framework import serializers

from venueos.accounts.models import ApiToken, Organization, Role, User
from venueos.common.timeutils import AwareDateTimeField


class RegisterIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    full_name = serializers.CharField(max_length=200)


class UserCreateIn(RegisterIn):
    role = serializers.ChoiceField(choices=Role.choices)
    organization_id = serializers.UUIDField(required=False, allow_null=True)


class TokenCreateIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True
    )


class OrganizationIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=100, required=False)


class OrganizationOut(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug"]


class UserOut(serializers.ModelSerializer):
    organization = OrganizationOut(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "organization"]


class TokenOut(serializers.ModelSerializer):
    created_at = AwareDateTimeField(read_only=True)
    expires_at = AwareDateTimeField(read_only=True, allow_null=True)
    last_used_at = AwareDateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at"]


class TokenCreatedOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    token = serializers.CharField(help_text="Shown only once; store it now.")
    expires_at = AwareDateTimeField(allow_null=True)
