from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from venueos.common.api import ApiView, ListMixin, parse
from venueos.common.permissions import require_signed_in
from venueos.common.problems import InvalidInput
from venueos.venues import selectors, services
from venueos.venues.serializers import (
    ClosureIn,
    ClosureOut,
    OpeningHoursItem,
    OpeningHoursOut,
    SpaceIn,
    SpaceListItemOut,
    SpaceOut,
    SpacePatchIn,
    SpaceTreeOut,
    VenueIn,
    VenueOut,
    VenuePatchIn,
)

TAGS = ["venues"]


class VenueListCreateApi(ListMixin, ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("organization", str, description="organization slug"),
            OpenApiParameter("q", str, description="text in name or address"),
        ],
        responses={200: VenueOut(many=True)},
        tags=TAGS,
    )
    def get(self, request):
        venues = selectors.venue_list(
            organization_slug=request.query_params.get("organization"),
            query=request.query_params.get("q"),
        )
        return self.paginated(venues, VenueOut)

    @extend_schema(request=VenueIn, responses={201: VenueOut}, tags=TAGS)
    def post(self, request):
        require_signed_in(request.user)
        data = parse(VenueIn, request.data)
        venue = services.venue_create(actor=request.user, **data)
        return Response(VenueOut(venue).data, status=status.HTTP_201_CREATED)


class VenueDetailApi(ApiView):
    @extend_schema(responses={200: VenueOut}, tags=TAGS)
    def get(self, request, venue_id):
        return Response(VenueOut(selectors.venue_get(venue_id, user=request.user)).data)

    @extend_schema(request=VenuePatchIn, responses={200: VenueOut}, tags=TAGS)
    def patch(self, request, venue_id):
        require_signed_in(request.user)
        venue = selectors.venue_get(venue_id, user=request.user)
        data = parse(VenuePatchIn, request.data)
        venue = services.venue_update(venue=venue, actor=request.user, **data)
        return Response(VenueOut(venue).data)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request, venue_id):
        require_signed_in(request.user)
        venue = selectors.venue_get(venue_id, user=request.user)
        services.venue_archive(venue=venue, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VenueSpacesApi(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("tree", OpenApiTypes.BOOL, description="nest children")
        ],
        responses={200: SpaceListItemOut(many=True)},
        tags=TAGS,
    )
    def get(self, request, venue_id):
        venue = selectors.venue_get(venue_id, user=request.user)
        if request.query_params.get("tree") in {"1", "true", "yes"}:
            return Response(
                SpaceTreeOut(selectors.space_tree(venue.id), many=True).data
            )
        return Response(SpaceOut(selectors.venue_spaces(venue.id), many=True).data)


class SpaceCreateApi(ApiView):
    @extend_schema(request=SpaceIn, responses={201: SpaceOut}, tags=TAGS)
    def post(self, request):
        require_signed_in(request.user)
        data = dict(parse(SpaceIn, request.data))
        venue = selectors.venue_get(data.pop("venue_id"), user=request.user)
        space = services.space_create(venue=venue, actor=request.user, **data)
        return Response(
            SpaceOut(selectors.space_with_path(space)).data,
            status=status.HTTP_201_CREATED,
        )


class SpaceDetailApi(ApiView):
    @extend_schema(responses={200: SpaceOut}, tags=TAGS)
    def get(self, request, space_id):
        space = selectors.space_get(space_id, user=request.user)
        return Response(SpaceOut(selectors.space_with_path(space)).data)

    @extend_schema(request=SpacePatchIn, responses={200: SpaceOut}, tags=TAGS)
    def patch(self, request, space_id):
        require_signed_in(request.user)
        space = selectors.space_get(space_id, user=request.user)
        data = parse(SpacePatchIn, request.data)
        space = services.space_update(space=space, actor=request.user, **data)
        return Response(SpaceOut(selectors.space_with_path(space)).data)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request, space_id):
        require_signed_in(request.user)
        space = selectors.space_get(space_id, user=request.user)
        services.space_delete(space=space, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OpeningHoursApi(ApiView):
    @extend_schema(responses={200: OpeningHoursOut(many=True)}, tags=TAGS)
    def get(self, request, venue_id):
        venue = selectors.venue_get(venue_id, user=request.user)
        return Response(
            OpeningHoursOut(selectors.opening_hours(venue.id), many=True).data
        )

    @extend_schema(
        request=OpeningHoursItem(many=True),
        responses={200: OpeningHoursOut(many=True)},
        tags=TAGS,
    )
    def put(self, request, venue_id):
        require_signed_in(request.user)
        venue = selectors.venue_get(venue_id, user=request.user)
        if not isinstance(request.data, list):
            raise InvalidInput("Send a JSON list of {weekday, opens, closes} objects.")
        items = parse(OpeningHoursItem, request.data, many=True)
        rows = services.opening_hours_replace(
            venue=venue,
            actor=request.user,
            intervals=[
                (item["weekday"], item["opens"], item["closes"]) for item in items
            ],
        )
        return Response(OpeningHoursOut(rows, many=True).data)


class ClosureListCreateApi(ListMixin, ApiView):
    @extend_schema(responses={200: ClosureOut(many=True)}, tags=TAGS)
    def get(self, request, venue_id):
        venue = selectors.venue_get(venue_id, user=request.user)
        return self.paginated(
            selectors.closure_list(venue, user=request.user), ClosureOut
        )

    @extend_schema(request=ClosureIn, responses={201: ClosureOut}, tags=TAGS)
    def post(self, request, venue_id):
        require_signed_in(request.user)
        venue = selectors.venue_get(venue_id, user=request.user)
        data = parse(ClosureIn, request.data)
        closure = services.closure_create(venue=venue, actor=request.user, **data)
        return Response(ClosureOut(closure).data, status=status.HTTP_201_CREATED)


class ClosureDetailApi(ApiView):
    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request, closure_id):
        require_signed_in(request.user)
        closure = selectors.closure_get(closure_id, user=request.user)
        services.closure_delete(closure=closure, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
