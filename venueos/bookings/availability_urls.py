from django.urls import path

from venueos.bookings.availability_api import (
    AvailabilitySearchApi,
    AvailabilitySearchNoSlashApi,
)

urlpatterns = [
    path(
        "availability/search",
        AvailabilitySearchNoSlashApi.as_view(),
        name="availability-search-noslash",
    ),
    path(
        "availability/search/",
        AvailabilitySearchApi.as_view(),
        name="availability-search",
    ),
]
