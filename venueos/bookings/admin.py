from django.contrib import admin

from venueos.bookings.models import Booking


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
    list_filter = ["status", "venue"]
    search_fields = ["title", "user__email", "space__name"]
    raw_id_fields = ["space", "user", "created_by", "cancelled_by"]
    date_hierarchy = "start_time"

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
