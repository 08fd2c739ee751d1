from django.urls import path

from venueos.reports import api

urlpatterns = [
    path(
        "reports/utilization/",
        api.UtilizationReportApi.as_view(),
        name="report-utilization",
    ),
]
