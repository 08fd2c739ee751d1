from django.urls import path, re_path

from venueos.calendars import api

urlpatterns = [
    path("me/calendar/", api.MyCalendarApi.as_view(), name="my-calendar"),
    path(
        "me/calendar/rotate/",
        api.MyCalendarRotateApi.as_view(),
        name="my-calendar-rotate",
    ),
    re_path(
        r"^calendar/(?P<secret>[0-9a-f]{64})\.ics$",
        api.UserFeedApi.as_view(),
        name="calendar-feed",
    ),
    path(
        "spaces/<uuid:space_id>/busy.ics",
        api.SpaceBusyFeedApi.as_view(),
        name="space-busy-feed",
    ),
]
