"""The managers' and administrators' pages, all under /manage/ (views
`manage*.py`, templates `web/manage/`)."""

from django.urls import path

from venueos.web.views import (
    eventday,
    manage,
    manage_admin,
    manage_bookings,
    manage_events,
    manage_venues,
    scheduling,
)

urlpatterns = [
    path("", manage.dashboard, name="dashboard"),
    path("reports/", scheduling.reports, name="manage-reports"),
    path("venues/", manage_venues.venues_manage, name="manage-venues"),
    path("venues/<uuid:venue_id>/", manage_venues.venue_edit, name="manage-venue"),
    path(
        "venues/<uuid:venue_id>/hours/",
        manage_venues.venue_hours,
        name="manage-venue-hours",
    ),
    path(
        "venues/<uuid:venue_id>/closures/",
        manage_venues.venue_closures,
        name="manage-venue-closures",
    ),
    path(
        "venues/<uuid:venue_id>/closures/<uuid:closure_id>/remove/",
        manage_venues.closure_remove,
        name="manage-closure-remove",
    ),
    path(
        "venues/<uuid:venue_id>/spaces/",
        manage_venues.venue_spaces_view,
        name="manage-venue-spaces",
    ),
    path(
        "venues/<uuid:venue_id>/spaces/new/",
        manage_venues.space_new,
        name="manage-space-new",
    ),
    path(
        "venues/<uuid:venue_id>/spaces/<uuid:space_id>/",
        manage_venues.space_edit,
        name="manage-space",
    ),
    path(
        "venues/<uuid:venue_id>/spaces/<uuid:space_id>/delete/",
        manage_venues.space_remove,
        name="manage-space-delete",
    ),
    path("bookings/", manage_bookings.bookings_oversight, name="manage-bookings"),
    path(
        "bookings/new/",
        manage_bookings.booking_on_behalf,
        name="manage-booking-new",
    ),
    path(
        "bookings/<uuid:booking_id>/decide/",
        manage_bookings.booking_decide_view,
        name="manage-booking-decide",
    ),
    path(
        "bookings/<uuid:booking_id>/cancel/",
        manage_bookings.booking_cancel_manage,
        name="manage-booking-cancel",
    ),
    path("events/", manage_events.events_manage, name="manage-events"),
    path("events/new/", manage_events.event_new, name="manage-event-new"),
    path("events/<uuid:event_id>/", manage_events.event_edit, name="manage-event"),
    path(
        "events/<uuid:event_id>/status/",
        manage_events.event_move,
        name="manage-event-move",
    ),
    path(
        "events/<uuid:event_id>/check-in/",
        eventday.checkin_screen,
        name="checkin",
    ),
    path(
        "events/<uuid:event_id>/registrations/",
        manage_events.event_registrations,
        name="manage-event-registrations",
    ),
    path(
        "events/<uuid:event_id>/registrations.csv",
        manage_events.event_registrations_csv,
        name="manage-event-registrations-csv",
    ),
    path(
        "organizations/",
        manage_admin.organizations,
        name="manage-organizations",
    ),
]
