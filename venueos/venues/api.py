from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from venueos.accounts.models import Organization
from venueos.common.api import ListMixin, parse
from venueos.common.permissions import require_manager_of, require_signed_in
from venueos.common.problems import InvalidInput, PermissionDenied
from venueos.venues import selectors, services
from venueos.venues.models import Space
from venueos.venues.serializers import (
    ClosureIn,
    ClosureOut,
    OpeningHoursItem,
    OpeningHoursOut,
    SpaceIn,
    SpaceOut,
    SpacePatchIn,
    SpaceTreeOut,
    VenueIn,
    VenueOut,
    VenuePatchIn,
)

TAGS = ["venues"]


def _target_organization(user, organization_id) -> Organization:
    require_signed_in(user)
    if organization_id is None:
        if user.organization_id is None:
            raise InvalidInput.field(
                "organization_id", "Say which organization the venue belongs to."
            )
        organization_id = user.organization_id
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        if user.is_admin:
            raise InvalidInput.field("organization_id", "No such organization.")
        raise PermissionDenied("Only managers of this organization may do this.")
    require_manager_of(user, organization.id)
    return organization


def _parent_in(venue_id, parent_id) -> Space | None:
    if parent_id is None:
        return None
    parent = Space.objects.filter(pk=parent_id).first()
    if parent is None:
        raise InvalidInput.field("parent_id", "No such space.", slug="invalid-parent")
    if parent.venue_id != venue_id:
        raise InvalidInput.field(
            "parent_id",
            "The parent space belongs to another venue.",
            slug="invalid-parent",
        )
    return parent


class VenueListCreateApi(ListMixin, APIView):
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
        data = dict(parse(VenueIn, request.data))
        organization = _target_organization(
            request.user, data.pop("organization_id", None)
        )
        venue = services.venue_create(
            organization=organization, actor=request.user, **data
        )
        return Response(VenueOut(venue).data, status=status.HTTP_201_CREATED)


class VenueDetailApi(APIView):
    @extend_schema(responses={200: VenueOut}, tags=TAGS)
    def get(self, request, venue_id):
        return Response(VenueOut(selectors.venue_get(venue_id, user=request.user)).data)

    @extend_schema(request=VenuePatchIn, responses={200: VenueOut}, tags=TAGS)
    def patch(self, request, venue_id):
        venue = selectors.venue_get(venue_id, user=request.user)
        require_manager_of(request.user, venue.organization_id)
        data = dict(parse(VenuePatchIn, request.data))
        data.pop("organization_id", None)
        venue = services.venue_update(venue=venue, actor=request.user, **data)
        return Response(VenueOut(venue).data)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request, venue_id):
        venue = selectors.venue_get(venue_id, user=request.user)
        services.venue_archive(venue=venue, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VenueSpacesApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("tree", OpenApiTypes.BOOL, description="nest children")
        ],
        responses={200: SpaceTreeOut(many=True)},
        tags=TAGS,
    )
    def get(self, request, venue_id):
        venue = selectors.venue_get(venue_id, user=request.user)
        if request.query_params.get("tree") in {"1", "true", "yes"}:
            return Response(
                SpaceTreeOut(selectors.space_tree(venue.id), many=True).data
            )
        return Response(SpaceOut(selectors.venue_spaces(venue.id), many=True).data)


class SpaceCreateApi(APIView):
    @extend_schema(request=SpaceIn, responses={201: SpaceOut}, tags=TAGS)
    def post(self, request):
        require_signed_in(request.user)
        data = dict(parse(SpaceIn, request.data))
        venue = selectors.venue_get(data.pop("venue_id"), user=request.user)
        require_manager_of(request.user, venue.organization_id)
        parent = _parent_in(venue.id, data.pop("parent_id", None))
        space = services.space_create(
            venue=venue, parent=parent, actor=request.user, **data
        )
        return Response(
            SpaceOut(selectors.space_with_path(space)).data,
            status=status.HTTP_201_CREATED,
        )


class SpaceDetailApi(APIView):
    @extend_schema(responses={200: SpaceOut}, tags=TAGS)
    def get(self, request, space_id):
        space = selectors.space_get(space_id)
        selectors.venue_get(space.venue_id, user=request.user)
        return Response(SpaceOut(selectors.space_with_path(space)).data)

    @extend_schema(request=SpacePatchIn, responses={200: SpaceOut}, tags=TAGS)
    def patch(self, request, space_id):
        space = selectors.space_get(space_id)
        require_manager_of(request.user, space.venue.organization_id)
        data = dict(parse(SpacePatchIn, request.data))
        if "parent_id" in data:
            data["parent"] = _parent_in(space.venue_id, data.pop("parent_id"))
        space = services.space_update(space=space, actor=request.user, **data)
        return Response(SpaceOut(selectors.space_with_path(space)).data)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request, space_id):
        space = selectors.space_get(space_id)
        services.space_delete(space=space, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OpeningHoursApi(APIView):
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
        venue = selectors.venue_get(venue_id, user=request.user)
        require_manager_of(request.user, venue.organization_id)
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


class ClosureListCreateApi(ListMixin, APIView):
    @extend_schema(responses={200: ClosureOut(many=True)}, tags=TAGS)
    def get(self, request, venue_id):
        venue = selectors.venue_get(venue_id, user=request.user)
        require_manager_of(request.user, venue.organization_id)
        return self.paginated(selectors.closure_list(venue.id), ClosureOut)

    @extend_schema(request=ClosureIn, responses={201: ClosureOut}, tags=TAGS)
    def post(self, request, venue_id):
        venue = selectors.venue_get(venue_id, user=request.user)
        require_manager_of(request.user, venue.organization_id)
        data = dict(parse(ClosureIn, request.data))
        space = None
        if data.get("space_id"):
            space = Space.objects.filter(pk=data["space_id"], venue=venue).first()
            if space is None:
                raise InvalidInput.field("space_id", "No such space in this venue.")
        data.pop("space_id", None)
        closure = services.closure_create(
            venue=venue, actor=request.user, space=space, **data
        )
        return Response(ClosureOut(closure).data, status=status.HTTP_201_CREATED)


class ClosureDetailApi(APIView):
    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request, closure_id):
        closure = selectors.closure_get(closure_id)
        require_manager_of(request.user, closure.venue.organization_id)
        services.closure_delete(closure=closure, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
