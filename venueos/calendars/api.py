"""Calendar feeds over HTTP: the user's secret feed URL, the feeds themselves."""

from __future__ import annotations

import json

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.response import Response

from venueos.calendars import ics, selectors, services
from venueos.common.api import ApiView
from venueos.common.permissions import require_signed_in
from venueos.common.problems import NotFound
from venueos.venues.selectors import space_get

TAGS = ["calendars"]
ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


class IcsRenderer(renderers.BaseRenderer):
    """The iCalendar bytes as they are; a problem (a dict) as JSON."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


class FeedUrlOut(serializers.Serializer):
    url = serializers.URLField(help_text="Secret: whoever has it can read the feed")


def _feed_url(request, secret: str) -> dict:
    path = reverse("calendar-feed", kwargs={"secret": secret})
    return {"url": request.build_absolute_uri(path)}


def _ics(body: bytes) -> Response:
    return Response(
        body,
        content_type=ICS_CONTENT_TYPE,
        headers={"Cache-Control": "private, max-age=60", "X-Robots-Tag": "noindex"},
    )


class MyCalendarApi(ApiView):
    @extend_schema(responses={200: FeedUrlOut}, tags=TAGS)
    def get(self, request):
        user = require_signed_in(request.user)
        return Response(_feed_url(request, services.calendar_feed_secret(actor=user)))


class MyCalendarRotateApi(ApiView):
    @extend_schema(request=None, responses={200: FeedUrlOut}, tags=TAGS)
    def post(self, request):
        user = require_signed_in(request.user)
        return Response(_feed_url(request, services.calendar_feed_rotate(actor=user)))


class UserFeedApi(ApiView):
    authentication_classes: list = []
    renderer_classes = [IcsRenderer]

    @extend_schema(
        responses={
            (200, "text/calendar"): OpenApiResponse(
                OpenApiTypes.STR, description="RFC 5545 iCalendar"
            )
        },
        tags=TAGS,
    )
    def get(self, request, secret):
        user = selectors.feed_owner(secret)
        if user is None:
            raise NotFound("No such calendar feed (it may have been rotated).")
        return _ics(
            ics.user_calendar(
                selectors.user_feed_bookings(user),
                selectors.user_feed_registrations(user),
            )
        )


class SpaceBusyFeedApi(ApiView):
    renderer_classes = [IcsRenderer]

    @extend_schema(
        responses={
            (200, "text/calendar"): OpenApiResponse(
                OpenApiTypes.STR, description="RFC 5545 iCalendar, SUMMARY Busy"
            )
        },
        tags=TAGS,
    )
    def get(self, request, space_id):
        space = space_get(space_id, user=request.user)
        return _ics(ics.busy_calendar(space, selectors.space_busy_blocks(space)))
