"""GET /reports/utilization/: JSON, or CSV with `?format=csv`."""

from __future__ import annotations

import csv
import io
import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.response import Response

from venueos.common.api import ApiView, parse_uuid
from venueos.common.permissions import require_signed_in
from venueos.common.problems import InvalidInput
from venueos.common.timeutils import parse_day
from venueos.reports.selectors import COLUMNS, MAX_REPORT_DAYS, utilization_report
from venueos.venues.selectors import venue_get


class CsvRenderer(renderers.BaseRenderer):
    """A list of rows as CSV with a header row; anything else (a problem) as
    JSON, so errors stay readable whatever format was asked for."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, list):
            return json.dumps(data).encode()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows([row.get(key) for key in COLUMNS] for row in data)
        return out.getvalue().encode()


class UtilizationRowOut(serializers.Serializer):
    space_id = serializers.UUIDField()
    space_name = serializers.CharField()
    date = serializers.DateField(help_text="Local date in the venue's zone")
    open_minutes = serializers.IntegerField()
    booked_minutes = serializers.IntegerField()
    utilization_percent = serializers.FloatField(
        allow_null=True, help_text="null when the space had no open time"
    )


class UtilizationReportApi(ApiView):
    renderer_classes = [renderers.JSONRenderer, CsvRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("venue_id", OpenApiTypes.UUID, required=True),
            OpenApiParameter("start_date", OpenApiTypes.DATE, required=True),
            OpenApiParameter(
                "end_date",
                OpenApiTypes.DATE,
                required=True,
                description=f"inclusive; at most {MAX_REPORT_DAYS} days",
            ),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        responses={
            200: OpenApiResponse(
                UtilizationRowOut(many=True),
                description="one row per space and local date; `?format=csv` "
                "gives the same columns as CSV with a header row",
            )
        },
        tags=["reports"],
    )
    def get(self, request):
        require_signed_in(request.user)
        params = request.query_params
        for name in ("venue_id", "start_date", "end_date"):
            if not params.get(name):
                raise InvalidInput.field(name, "This parameter is required.")
        venue = venue_get(parse_uuid(params["venue_id"], "venue_id"), user=request.user)
        rows = utilization_report(
            venue,
            user=request.user,
            start_date=parse_day(params["start_date"], "start_date"),
            end_date=parse_day(params["end_date"], "end_date"),
        )
        headers = {}
        if request.accepted_renderer.format == "csv":
            headers["Content-Disposition"] = (
                f'attachment; filename="utilization-{venue.slug}-'
                f'{params["start_date"]}-{params["end_date"]}.csv"'
            )
        return Response(
            [dict(zip(COLUMNS, row, strict=True)) for row in rows], headers=headers
        )
