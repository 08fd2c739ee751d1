from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from venueos.common.api import ApiView, ListMixin, idempotent_post, parse, parse_uuid
from venueos.common.permissions import require_signed_in
from venueos.events import selectors, services
from venueos.events.serializers import (
    EVENT_STATUSES,
    REGISTRATION_STATUSES,
    EventIn,
    EventOut,
    EventPatchIn,
    EventTransitionIn,
    RegistrationIn,
    RegistrationOut,
    registration_json,
)
from venueos.venues.selectors import venue_get

TAGS = ["events"]
REGISTRATION_SCOPE = "events.registration_create"
_TRUE = {"1", "true", "yes"}


class EventListCreateApi(ListMixin, ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("venue_id", OpenApiTypes.UUID),
            OpenApiParameter("organization", str, description="organization slug"),
            OpenApiParameter("status", str, enum=EVENT_STATUSES),
            OpenApiParameter(
                "upcoming", OpenApiTypes.BOOL, description="only events not yet over"
            ),
        ],
        responses={200: EventOut(many=True)},
        tags=TAGS,
    )
    def get(self, request):
        params = request.query_params
        venue_id = params.get("venue_id") and parse_uuid(params["venue_id"], "venue_id")
        events = selectors.event_list(
            user=request.user,
            venue_id=venue_id,
            organization_slug=params.get("organization"),
            status=params.get("status") or None,
            upcoming=params.get("upcoming", "").lower() in _TRUE,
        )
        return self.paginated(events, EventOut)

    @extend_schema(request=EventIn, responses={201: EventOut}, tags=TAGS)
    def post(self, request):
        require_signed_in(request.user)
        data = dict(parse(EventIn, request.data))
        venue = venue_get(data.pop("venue_id"), user=request.user)
        event = services.event_create(venue=venue, actor=request.user, **data)
        return Response(EventOut(event).data, status=status.HTTP_201_CREATED)


class EventDetailApi(ApiView):
    @extend_schema(responses={200: EventOut}, tags=TAGS)
    def get(self, request, event_id):
        return Response(EventOut(selectors.event_get(event_id, user=request.user)).data)

    @extend_schema(
        request=EventPatchIn,
        responses={
            200: EventOut,
            409: OpenApiResponse(
                description="`capacity-below-sold`, `booking-conflict` (the space "
                "is taken at the new time), `event-closed`, `slug-taken`"
            ),
        },
        tags=TAGS,
    )
    def patch(self, request, event_id):
        require_signed_in(request.user)
        event = selectors.event_get(event_id, user=request.user)
        data = parse(EventPatchIn, request.data)
        event = services.event_update(event=event, actor=request.user, **data)
        return Response(EventOut(event).data)


class EventTransitionApi(ApiView):
    @extend_schema(
        request=EventTransitionIn,
        responses={
            200: EventOut,
            409: OpenApiResponse(
                description="`invalid-transition` (with `current_status` and `allowed`)"
            ),
        },
        tags=TAGS,
    )
    def post(self, request, event_id):
        require_signed_in(request.user)
        event = selectors.event_get(event_id, user=request.user)
        data = parse(EventTransitionIn, request.data)
        event = services.event_transition(
            event=event, actor=request.user, status=data["status"]
        )
        return Response(EventOut(event).data)


class EventRegistrationsApi(ListMixin, ApiView):
    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=REGISTRATION_STATUSES)],
        responses={200: RegistrationOut(many=True)},
        tags=TAGS,
    )
    def get(self, request, event_id):
        require_signed_in(request.user)
        event = selectors.event_get(event_id, user=request.user)
        registrations = selectors.registration_list_for_event(
            event, user=request.user, status=request.query_params.get("status")
        )
        return self.paginated_json(registrations, registration_json)

    @extend_schema(
        request=RegistrationIn,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                location=OpenApiParameter.HEADER,
                description="Retries with the same key within 24 h return the "
                "first response and create nothing new (up to 255 characters).",
            )
        ],
        responses={
            201: RegistrationOut,
            409: OpenApiResponse(
                description="`sold-out` (with `available`), `already-registered`, "
                "`not-on-sale`, `busy` (lock wait too long; retry), "
                "`idempotency-key-in-use`"
            ),
            422: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="`idempotency-key-reused`: the same Idempotency-Key "
                "was sent with a different body (application/problem+json)",
            ),
        },
        tags=TAGS,
    )
    def post(self, request, event_id):
        require_signed_in(request.user)
        event = selectors.event_get_for_sale(event_id, user=request.user)
        data = parse(RegistrationIn, request.data)

        def create() -> Response:
            registration = services.registration_create(
                event=event,
                actor=request.user,
                quantity=data["quantity"],
                state_read_now=True,
            )
            return Response(
                registration_json(registration), status=status.HTTP_201_CREATED
            )

        return idempotent_post(
            request,
            scope=REGISTRATION_SCOPE,
            payload={"event_id": str(event.id), "body": request.data},
            create=create,
        )


class RegistrationDetailApi(ApiView):
    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(description="`event-started`, `busy`"),
        },
        tags=TAGS,
    )
    def delete(self, request, registration_id):
        require_signed_in(request.user)
        registration = selectors.registration_get(registration_id, user=request.user)
        services.registration_cancel(registration=registration, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyRegistrationsApi(ListMixin, ApiView):
    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=REGISTRATION_STATUSES)],
        responses={200: RegistrationOut(many=True)},
        tags=TAGS,
    )
    def get(self, request):
        require_signed_in(request.user)
        registrations = selectors.registration_list_for_user(
            request.user, status=request.query_params.get("status")
        )
        return self.paginated_json(registrations, registration_json)
