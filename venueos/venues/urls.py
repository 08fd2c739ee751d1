from django.urls import path

from venueos.venues import api, api_gates

urlpatterns = [
    path("venues/", api.VenueListCreateApi.as_view(), name="venues"),
    path("venues/<uuid:venue_id>/", api.VenueDetailApi.as_view(), name="venue-detail"),
    path(
        "venues/<uuid:venue_id>/spaces/",
        api.VenueSpacesApi.as_view(),
        name="venue-spaces",
    ),
    path(
        "venues/<uuid:venue_id>/opening-hours/",
        api.OpeningHoursApi.as_view(),
        name="opening-hours",
    ),
    path(
        "venues/<uuid:venue_id>/closures/",
        api.ClosureListCreateApi.as_view(),
        name="closures",
    ),
    path(
        "closures/<uuid:closure_id>/",
        api.ClosureDetailApi.as_view(),
        name="closure-detail",
    ),
    path("spaces/", api.SpaceCreateApi.as_view(), name="spaces"),
    path("spaces/<uuid:space_id>/", api.SpaceDetailApi.as_view(), name="space-detail"),
    path(
        "venues/<uuid:venue_id>/gates/",
        api_gates.VenueGatesApi.as_view(),
        name="venue-gates",
    ),
]
