from django.contrib import admin

from venueos.events.models import CheckIn, Event, Registration, WaitlistEntry


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


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["event", "attendee", "quantity", "status", "seq", "created_at"]
    list_filter = ["status"]
    search_fields = ["event__name", "attendee__email"]
    raw_id_fields = ["event", "attendee", "registration"]

    # Joining, leaving and promotion go through waitlist.py / promotion.py.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["registration", "event", "gate", "quantity", "checked_in_at"]
    search_fields = ["event__name", "registration__code"]
    raw_id_fields = ["registration", "event", "gate", "checked_in_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
