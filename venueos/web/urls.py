from django.urls import include, path

from venueos.web import urls_manage
from venueos.web.views import accounts, bookings, eventday, events, public, scheduling

app_name = "web"

urlpatterns = [
    path("", public.home, name="home"),
    path("venues/<uuid:venue_id>/", public.venue_detail, name="venue"),
    path("venues/<uuid:venue_id>/grid/", public.venue_grid, name="venue-grid"),
    path("signup/", accounts.sign_up, name="sign-up"),
    path("login/", accounts.sign_in, name="sign-in"),
    path("logout/", accounts.sign_out, name="sign-out"),
    path("bookings/new/", bookings.booking_new, name="booking-new"),
    path("bookings/<uuid:booking_id>/", bookings.booking_detail, name="booking"),
    path(
        "bookings/<uuid:booking_id>/change/",
        bookings.booking_change,
        name="booking-change",
    ),
    path(
        "bookings/<uuid:booking_id>/cancel/",
        bookings.booking_cancel_view,
        name="booking-cancel",
    ),
    path("my/bookings/", bookings.my_bookings, name="my-bookings"),
    path("my/series/<uuid:series_id>/", scheduling.series_detail, name="series"),
    path("my/calendar/rotate/", scheduling.calendar_rotate, name="calendar-rotate"),
    path("events/", events.event_list_view, name="event-list"),
    path("events/<uuid:event_id>/", events.event_detail, name="event"),
    path("my/tickets/", events.my_tickets, name="my-tickets"),
    path(
        "my/tickets/<uuid:registration_id>/cancel/",
        events.ticket_cancel,
        name="ticket-cancel",
    ),
    path(
        "events/<uuid:event_id>/waitlist/",
        eventday.waitlist_join_view,
        name="waitlist-join",
    ),
    path(
        "my/waitlist/<uuid:entry_id>/leave/",
        eventday.waitlist_leave_view,
        name="waitlist-leave",
    ),
    # Managers and administrators (urls_manage.py, views/manage*.py,
    # templates/web/manage/).
    path("manage/", include(urls_manage.urlpatterns)),
]
