"""Recurring bookings over HTTP: POST/GET/DELETE /bookings/series/."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from venueos.bookings import selectors, services
from venueos.bookings.api import IDEMPOTENCY_HEADER, CreateThrottledMixin
from venueos.bookings.serializers import (
    CancelIn,
    SeriesCreateIn,
    SeriesOut,
    series_json,
)
from venueos.bookings.series import (
    Recurrence,
    booking_series_cancel,
    booking_series_create,
)
from venueos.common.api import ApiView, idempotent_post, parse
from venueos.common.permissions import require_signed_in
from venueos.common.timeutils import parse_day

TAGS = ["bookings"]


class BookingSeriesCreateApi(CreateThrottledMixin, ApiView):
    @extend_schema(
        request=SeriesCreateIn,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: SeriesOut,
            400: OpenApiResponse(
                description="invalid input, or (on_conflict fail) occurrences "
                "breaking a booking rule, listed in `occurrences`"
            ),
            409: OpenApiResponse(
                description="`booking-conflict`: occurrences that collide, listed "
                "with every other refused one in `occurrences`; nothing created; "
                "`booking-limit`: the occurrences would exceed the customer's "
                "limit of active bookings at the venue"
            ),
            429: OpenApiResponse(
                description="`throttled`: too many creates; `Retry-After` says "
                "when to try again"
            ),
        },
        tags=TAGS,
    )
    def post(self, request):
        user = require_signed_in(request.user)
        data = request.data
        return idempotent_post(
            request,
            scope="bookings.series.create",
            payload=data if isinstance(data, dict) else {"body": data},
            create=lambda: self._create(user, data),
        )

    def _create(self, user, data) -> Response:
        values = dict(parse(SeriesCreateIn, data))
        space = services.space_to_book(values.pop("space_id"), actor=user).space
        rule = values.pop("recurrence")
        recurrence = Recurrence(
            freq=rule["freq"],
            interval=rule.get("interval", 1),
            count=rule.get("count"),
            until=rule.get("until"),
            byweekday=tuple(sorted(set(rule["byweekday"])))
            if rule.get("byweekday")
            else None,
        )
        series, bookings, skipped = booking_series_create(
            actor=user,
            space=space,
            owner_id=values.pop("user_id", None),
            recurrence=recurrence,
            **values,
        )
        return Response(
            series_json(series, bookings, skipped), status=status.HTTP_201_CREATED
        )


class BookingSeriesDetailApi(ApiView):
    @extend_schema(responses={200: SeriesOut}, tags=TAGS)
    def get(self, request, series_id):
        user = require_signed_in(request.user)
        series, bookings = selectors.booking_series_get_for(user, series_id)
        return Response(series_json(series, bookings))

    @extend_schema(
        request=CancelIn,
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description="cancel the occurrences from this local date on",
            ),
            OpenApiParameter("reason", str),
        ],
        responses={204: None},
        tags=TAGS,
    )
    def delete(self, request, series_id):
        user = require_signed_in(request.user)
        series, _ = selectors.booking_series_get_for(user, series_id)
        body = request.data if isinstance(request.data, dict) and request.data else {}
        reason = (
            parse(CancelIn, body)["reason"]
            or request.query_params.get("reason", "")[:500]
        )
        from_value = request.query_params.get("from")
        booking_series_cancel(
            actor=user,
            series=series,
            from_day=parse_day(from_value, "from") if from_value else None,
            reason=reason,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
