from django.contrib import admin

from venueos.bookings.models import Booking


class PersonalDataFilter(admin.SimpleListFilter):
    """Which bookings the retention job has erased (bookings/retention.py)."""

    title = "personal data"
    parameter_name = "personal_data"

    def lookups(self, request, model_admin):
        return [("kept", "kept"), ("erased", "erased by retention")]

    def queryset(self, request, queryset):
        erased = {"title": "", "description": "", "external_meeting_url": ""}
        if self.value() == "erased":
            return queryset.filter(**erased)
        if self.value() == "kept":
            return queryset.exclude(**erased)
        return queryset


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Browse bookings here; change them through the API so rules and audit apply."""

    list_display = [
        "title",
        "space",
        "venue",
        "user",
        "start_time",
        "end_time",
        "status",
    ]
    list_filter = ["status", "venue", PersonalDataFilter]
    search_fields = ["title", "user__email", "space__name"]
    raw_id_fields = ["space", "user", "created_by", "cancelled_by"]
    date_hierarchy = "start_time"

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
