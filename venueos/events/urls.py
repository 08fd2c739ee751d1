from django.urls import path

from venueos.events import api

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
]
