"""Gates of a venue (thin views over `gates.py`)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from venueos.common.api import ApiView, ListMixin, parse
from venueos.common.permissions import require_signed_in
from venueos.venues import gates
from venueos.venues.selectors import venue_get
from venueos.venues.serializers import GateIn, GateOut

TAGS = ["venues"]


class VenueGatesApi(ListMixin, ApiView):
    @extend_schema(responses={200: GateOut(many=True)}, tags=TAGS)
    def get(self, request, venue_id):
        require_signed_in(request.user)
        venue = venue_get(venue_id, user=request.user)
        return self.paginated(gates.gate_list(venue, user=request.user), GateOut)

    @extend_schema(
        request=GateIn,
        responses={
            201: GateOut,
            409: OpenApiResponse(description="`gate-name-taken`"),
        },
        tags=TAGS,
    )
    def post(self, request, venue_id):
        require_signed_in(request.user)
        venue = venue_get(venue_id, user=request.user)
        data = parse(GateIn, request.data)
        gate = gates.gate_create(venue=venue, actor=request.user, name=data["name"])
        return Response(GateOut(gate).data, status=status.HTTP_201_CREATED)
