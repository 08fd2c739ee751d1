"""Check-in endpoints and the ticket's QR code (thin views over `checkin.py`
and `tickets.py`)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from venueos.common.api import ApiView, parse
from venueos.common.permissions import require_signed_in
from venueos.events import checkin, selectors
from venueos.events.serializers import CheckInCountsOut, CheckInIn, CheckInOut
from venueos.events.tickets import ticket_qr_svg

TAGS = ["check-in"]


class EventCheckInsApi(ApiView):
    @extend_schema(
        request=CheckInIn,
        responses={
            201: CheckInOut,
            404: OpenApiResponse(
                description="`unknown-code`: no ticket of this event has that code"
            ),
            409: OpenApiResponse(
                description="`already-checked-in` (with the first `checked_in_at`, "
                "`gate_id` and `gate_name`), `registration-cancelled`, "
                "`check-in-closed` (with `opens_at`, `closes_at`, `event_status`), "
                "`busy`"
            ),
        },
        description="Admit a ticket by its code, at most once (enforced by "
        "PostgreSQL: two gates scanning at the same instant get one 201 and one "
        "409). Open for published, on-sale and paused events from the venue's "
        "`door_open_minutes` (default 120) before the start until the end.",
        tags=TAGS,
    )
    def post(self, request, event_id):
        require_signed_in(request.user)
        event = selectors.event_get(event_id, user=request.user)
        data = parse(CheckInIn, request.data)
        check_in = checkin.checkin_create(
            event=event,
            actor=request.user,
            code=data["code"],
            gate_id=data.get("gate_id"),
        )
        return Response(CheckInOut(check_in).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: CheckInCountsOut},
        description="Admissions so far, in total and per gate of the venue.",
        tags=TAGS,
    )
    def get(self, request, event_id):
        require_signed_in(request.user)
        event = selectors.event_get(event_id, user=request.user)
        counts = checkin.checkin_counts(event, user=request.user)
        return Response(CheckInCountsOut(counts).data)


class RegistrationQrApi(ApiView):
    @extend_schema(
        responses={
            (200, "image/svg+xml"): OpenApiResponse(
                response=OpenApiTypes.STR, description="the ticket's QR code (SVG)"
            )
        },
        description="The ticket's code as a QR code, for its attendee and the "
        "event's managers.",
        tags=["events"],
    )
    def get(self, request, registration_id):
        require_signed_in(request.user)
        registration = selectors.registration_get(registration_id, user=request.user)
        return HttpResponse(
            ticket_qr_svg(registration.code),
            content_type="image/svg+xml",
            headers={"Cache-Control": "private, max-age=3600"},
        )
