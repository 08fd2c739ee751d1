from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from venueos.common.views import problem_404, problem_500

api_v1 = [
    path("", include("venueos.accounts.urls")),
    path("", include("venueos.venues.urls")),
    path("", include("venueos.bookings.urls")),
    path("", include("venueos.bookings.availability_urls")),
    path("", include("venueos.events.urls")),
    path("", include("venueos.reports.urls")),
    path("", include("venueos.calendars.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema"),
        name="swagger-ui",
    ),
    path("admin/", admin.site.urls),
    path("", include("venueos.common.urls")),
    path("", include("venueos.web.urls")),
]

handler404 = problem_404
handler500 = problem_500
