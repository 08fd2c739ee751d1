from django.contrib import admin

from venueos.events.models import Event, Registration


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organization",
        "venue",
        "start_at",
        "status",
        "capacity",
        "tickets_sold",
    ]
    list_filter = ["status", "organization", "venue"]
    search_fields = ["name", "slug", "venue__name"]
    raw_id_fields = ["space", "hold"]

    # View only: a full-row save() here could write back a stale tickets_sold
    # and would bypass the audit log; changes go through the services (API).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["event", "attendee", "quantity", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["event__name", "attendee__email"]
    raw_id_fields = ["event", "attendee", "cancelled_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
