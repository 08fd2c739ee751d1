"""Waiting-list endpoints (thin views over `waitlist.py`)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from venueos.common.api import ApiView, ListMixin, parse
from venueos.common.permissions import require_signed_in
from venueos.events import selectors, waitlist
from venueos.events.serializers import (
    WAITLIST_STATUS_FILTERS,
    WaitlistEntryOut,
    WaitlistIn,
    WaitlistQueueEntryOut,
)

TAGS = ["waiting lists"]


_STATUS_PARAMETER = OpenApiParameter("status", str, enum=WAITLIST_STATUS_FILTERS)


class EventWaitlistApi(ListMixin, ApiView):
    @extend_schema(
        parameters=[_STATUS_PARAMETER],
        responses={200: WaitlistQueueEntryOut(many=True)},
        description="The queue in order (waiting entries; `?status=all` for "
        "every entry, promoted and left ones included). Managers only.",
        tags=TAGS,
    )
    def get(self, request, event_id):
        require_signed_in(request.user)
        event = selectors.event_get(event_id, user=request.user)
        entries = waitlist.waitlist_for_event(
            event, user=request.user, status=request.query_params.get("status")
        )
        return self.paginated(entries, WaitlistQueueEntryOut)

    @extend_schema(
        request=WaitlistIn,
        responses={
            201: WaitlistEntryOut,
            409: OpenApiResponse(
                description="`not-sold-out` (with `available`: register instead), "
                "`already-registered`, `already-waiting`, `not-on-sale`, "
                "`event-started`, `busy`"
            ),
        },
        description="Join the waiting list of a sold-out event (or one that "
        "cannot sell the quantity asked for). Freed places are given to the "
        "queue in order, in the transaction that frees them.",
        tags=TAGS,
    )
    def post(self, request, event_id):
        require_signed_in(request.user)
        event = selectors.event_get(event_id, user=request.user)
        data = parse(WaitlistIn, request.data)
        entry = waitlist.waitlist_join(
            event=event, actor=request.user, quantity=data["quantity"]
        )
        return Response(WaitlistEntryOut(entry).data, status=status.HTTP_201_CREATED)


class WaitlistEntryApi(ApiView):
    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(
                description="`already-promoted` (cancel the registration instead)"
            ),
        },
        description="Leave the waiting list (the person waiting). Leaving twice "
        "changes nothing.",
        tags=TAGS,
    )
    def delete(self, request, entry_id):
        require_signed_in(request.user)
        entry = waitlist.waitlist_entry_get(entry_id, user=request.user)
        waitlist.waitlist_leave(entry=entry, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyWaitlistApi(ListMixin, ApiView):
    @extend_schema(
        parameters=[_STATUS_PARAMETER],
        responses={200: WaitlistEntryOut(many=True)},
        description="Own waiting-list entries, newest first, each waiting one "
        "with its place in the queue (default: every status).",
        tags=TAGS,
    )
    def get(self, request):
        require_signed_in(request.user)
        entries = waitlist.waitlist_for_user(
            request.user, status=request.query_params.get("status")
        )
        return self.paginated(entries, WaitlistEntryOut)
