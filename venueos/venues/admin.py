from django.contrib import admin

from venueos.venues.models import Closure, Gate, OpeningHours, Space, Venue


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organization",
        "slug",
        "timezone",
        "max_capacity",
        "archived_at",
    ]
    list_filter = ["organization", "timezone", "archived_at"]
    search_fields = ["name", "slug", "address"]
    inlines = [OpeningHoursInline]


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "venue",
        "parent",
        "capacity",
        "is_bookable",
        "requires_approval",
    ]
    list_filter = ["venue", "is_bookable", "requires_approval"]
    search_fields = ["name", "venue__name"]
    raw_id_fields = ["parent"]


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["venue", "weekday", "opens_minute", "closes_minute"]
    list_filter = ["venue", "weekday"]
    search_fields = ["venue__name"]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["venue", "space", "start_time", "end_time", "reason"]
    list_filter = ["venue"]
    search_fields = ["reason", "venue__name", "space__name"]
    raw_id_fields = ["space"]


@admin.register(Gate)
class GateAdmin(admin.ModelAdmin):
    list_display = ["name", "venue", "created_at"]
    list_filter = ["venue"]
    search_fields = ["name", "venue__name"]
