from django.contrib import admin

from venueos.accounts.models import ApiToken, Organization, User


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "booking_retention_days", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "full_name",
        "role",
        "organization",
        "is_active",
        "date_joined",
    ]
    list_filter = ["role", "is_active", "organization"]
    search_fields = ["email", "full_name"]
    exclude = ["password", "last_login"]
    readonly_fields = ["date_joined"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["name", "user__email", "prefix"]
    readonly_fields = ["token_hash", "prefix", "created_at", "last_used_at"]
