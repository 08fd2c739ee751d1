from django.urls import path

from venueos.bookings import api, series_api

urlpatterns = [
    path("bookings/", api.BookingListCreateApi.as_view(), name="bookings"),
    path(
        "bookings/series/",
        series_api.BookingSeriesCreateApi.as_view(),
        name="booking-series",
    ),
    path(
        "bookings/series/<uuid:series_id>/",
        series_api.BookingSeriesDetailApi.as_view(),
        name="booking-series-detail",
    ),
    path(
        "bookings/<uuid:booking_id>/",
        api.BookingDetailApi.as_view(),
        name="booking-detail",
    ),
    path(
        "bookings/<uuid:booking_id>/confirm/",
        api.BookingDecisionApi.as_view(),
        name="booking-confirm",
    ),
    path(
        "bookings/<uuid:booking_id>/reject/",
        api.BookingRejectApi.as_view(),
        name="booking-reject",
    ),
    path(
        "bookings/<uuid:booking_id>/history/",
        api.BookingHistoryApi.as_view(),
        name="booking-history",
    ),
    path("me/bookings/", api.MyBookingsApi.as_view(), name="my-bookings"),
]
