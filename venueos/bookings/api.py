from datetime import UTC, datetime, time, timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from venueos.bookings import selectors, services
from venueos.bookings.serializers import (
    BookingCreateIn,
    BookingOut,
    BookingPatchIn,
    CancelIn,
    HistoryEntryOut,
    booking_json,
)
from venueos.common.api import ApiView, ListMixin, idempotent_post, parse, parse_uuid
from venueos.common.permissions import require_signed_in
from venueos.common.throttling import BookingCreateRateThrottle
from venueos.common.timeutils import parse_aware, parse_day

TAGS = ["bookings"]
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Retries with the same key return the first response and create nothing.",
)


def _uuid_param(request, *names: str):
    """The first of `names` given in the query string, as a UUID."""
    for name in names:
        if value := request.query_params.get(name):
            return parse_uuid(value, name)
    return None


class CreateThrottledMixin:
    """POSTs (creates) also count against the per-user booking rate (429)."""

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "POST":
            throttles.append(BookingCreateRateThrottle())
        return throttles


class BookingListCreateApi(CreateThrottledMixin, ListMixin, ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("space_id", OpenApiTypes.UUID),
            OpenApiParameter("facility_id", OpenApiTypes.UUID),
            OpenApiParameter("venue_id", OpenApiTypes.UUID),
            OpenApiParameter("status", str),
            OpenApiParameter(
                "start_time",
                OpenApiTypes.DATETIME,
                description="window start (overlap)",
            ),
            OpenApiParameter(
                "end_time", OpenApiTypes.DATETIME, description="window end (overlap)"
            ),
        ],
        responses={200: BookingOut(many=True)},
        tags=TAGS,
    )
    def get(self, request):
        user = require_signed_in(request.user)
        params = request.query_params
        bookings = selectors.booking_list(
            user=user,
            space_id=_uuid_param(request, "space_id", "facility_id"),
            venue_id=_uuid_param(request, "venue_id"),
            status=params.get("status"),
            start=parse_aware(params["start_time"], "start_time")
            if params.get("start_time")
            else None,
            end=parse_aware(params["end_time"], "end_time")
            if params.get("end_time")
            else None,
        )
        return self.paginated_json_texts(
            bookings, selectors.as_counted_json_texts(bookings)
        )

    @extend_schema(
        request=BookingCreateIn,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: BookingOut,
            409: OpenApiResponse(
                description="`booking-conflict`, with `conflicting_booking` and "
                "`suggested_alternatives`; `booking-limit` (the customer holds "
                "the venue's limit of active bookings), with `limit` and `active`"
            ),
            429: OpenApiResponse(
                description="`throttled`: too many creates; `Retry-After` says "
                "when to try again"
            ),
            422: OpenApiResponse(
                description="`idempotency-key-reused`: the key was used with "
                "another body"
            ),
        },
        tags=TAGS,
    )
    def post(self, request):
        user = require_signed_in(request.user)
        data = request.data
        return idempotent_post(
            request,
            scope="bookings.create",
            payload=data if isinstance(data, dict) else {"body": data},
            create=lambda: self._create(user, data),
        )

    def _create(self, user, data) -> Response:
        values = dict(parse(BookingCreateIn, data))
        booking = services.booking_create(
            actor=user, owner_id=values.pop("user_id", None), **values
        )
        return Response(booking_json(booking), status=status.HTTP_201_CREATED)


class BookingDetailApi(ApiView):
    @extend_schema(responses={200: BookingOut}, tags=TAGS)
    def get(self, request, booking_id):
        user = require_signed_in(request.user)
        return Response(booking_json(selectors.booking_get_for(user, booking_id)))

    @extend_schema(request=BookingPatchIn, responses={200: BookingOut}, tags=TAGS)
    def patch(self, request, booking_id):
        user = require_signed_in(request.user)
        booking = selectors.booking_get_for(user, booking_id)
        changes = dict(parse(BookingPatchIn, request.data))
        if "space_id" in changes:
            changes["space"] = services.space_to_book(
                changes.pop("space_id"), actor=user
            ).space
        booking = services.booking_update(actor=user, booking=booking, **changes)
        return Response(booking_json(booking))

    @extend_schema(
        request=CancelIn,
        parameters=[OpenApiParameter("reason", str)],
        responses={204: None},
        tags=TAGS,
    )
    def delete(self, request, booking_id):
        user = require_signed_in(request.user)
        booking = selectors.booking_get_for(user, booking_id)
        body = request.data if isinstance(request.data, dict) and request.data else {}
        reason = (
            parse(CancelIn, body)["reason"]
            or request.query_params.get("reason", "")[:500]
        )
        services.booking_cancel(actor=user, booking=booking, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BookingDecisionApi(ApiView):
    approve = True

    @extend_schema(request=CancelIn, responses={200: BookingOut}, tags=TAGS)
    def post(self, request, booking_id):
        user = require_signed_in(request.user)
        booking = selectors.booking_get_for(user, booking_id)
        body = request.data if isinstance(request.data, dict) and request.data else {}
        reason = parse(CancelIn, body)["reason"]
        booking = services.booking_decide(
            actor=user, booking=booking, approve=self.approve, reason=reason
        )
        return Response(booking_json(booking))


class BookingRejectApi(BookingDecisionApi):
    approve = False


class BookingHistoryApi(ApiView):
    @extend_schema(responses={200: HistoryEntryOut(many=True)}, tags=TAGS)
    def get(self, request, booking_id):
        user = require_signed_in(request.user)
        booking = selectors.booking_get_for(user, booking_id)
        return Response(
            HistoryEntryOut(selectors.booking_history(booking), many=True).data
        )


class MyBookingsApi(ListMixin, ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("start_date", OpenApiTypes.DATE),
            OpenApiParameter("end_date", OpenApiTypes.DATE),
            OpenApiParameter("status", str),
        ],
        responses={200: BookingOut(many=True)},
        tags=TAGS,
    )
    def get(self, request):
        user = require_signed_in(request.user)
        bounds = {}
        for name in ("start_date", "end_date"):
            value = request.query_params.get(name)
            if value:
                bounds[name] = datetime.combine(
                    parse_day(value, name), time(), tzinfo=UTC
                )
        end = bounds.get("end_date")
        bookings = selectors.MyBookingsPage(
            user=user,
            start=bounds.get("start_date"),
            end=end + timedelta(days=1) if end else None,
            status=request.query_params.get("status"),
        )
        return self.paginated_json_texts(bookings, bookings)
