from django.urls import path

from venueos.events import api, api_checkin, api_waitlist

urlpatterns = [
    path("events/", api.EventListCreateApi.as_view(), name="events"),
    path("events/<uuid:event_id>/", api.EventDetailApi.as_view(), name="event-detail"),
    path(
        "events/<uuid:event_id>/transition/",
        api.EventTransitionApi.as_view(),
        name="event-transition",
    ),
    path(
        "events/<uuid:event_id>/registrations/",
        api.EventRegistrationsApi.as_view(),
        name="event-registrations",
    ),
    path(
        "registrations/<uuid:registration_id>/",
        api.RegistrationDetailApi.as_view(),
        name="registration-detail",
    ),
    path(
        "me/registrations/",
        api.MyRegistrationsApi.as_view(),
        name="my-registrations",
    ),
    path(
        "events/<uuid:event_id>/waitlist/",
        api_waitlist.EventWaitlistApi.as_view(),
        name="event-waitlist",
    ),
    path(
        "waitlist/<uuid:entry_id>/",
        api_waitlist.WaitlistEntryApi.as_view(),
        name="waitlist-entry",
    ),
    path("me/waitlist/", api_waitlist.MyWaitlistApi.as_view(), name="my-waitlist"),
    path(
        "events/<uuid:event_id>/check-ins/",
        api_checkin.EventCheckInsApi.as_view(),
        name="event-check-ins",
    ),
    path(
        "registrations/<uuid:registration_id>/qr.svg",
        api_checkin.RegistrationQrApi.as_view(),
        name="registration-qr",
    ),
]
