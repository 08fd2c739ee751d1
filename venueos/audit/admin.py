from django.contrib import admin

from venueos.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only (a database trigger enforces it)."""

    list_display = [
        "created_at",
        "action",
        "entity_type",
        "entity_id",
        "actor",
        "request_id",
    ]
    list_filter = ["action", "entity_type"]
    search_fields = ["entity_id", "request_id", "actor__email"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
