"""Which reads may go to a streaming replica: anonymous public GETs only;
signed-in reads, writes and anything inside a transaction use the primary."""

from __future__ import annotations

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests.bookings.helpers import at, future_day, iso
from tests.conftest import client_for, make_space, make_user, set_opening_hours
from venueos.bookings.models import Booking
from venueos.common.replica import REPLICA, ReplicaRouter, replica_reads

pytestmark = pytest.mark.django_db

answers: list[str] = []


class RecordingRouter(ReplicaRouter):
    """Answers like the real router, records it, and reads the primary anyway
    (the test database has no replica)."""

    def db_for_read(self, model, **hints):
        answers.append(super().db_for_read(model, **hints))
        return "default"


@pytest.fixture
def routed(settings):
    settings.DATABASES = settings.DATABASES | {REPLICA: settings.DATABASES["default"]}
    settings.DATABASE_ROUTERS = ["tests.ops.test_replica.RecordingRouter"]
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "venueos.common.replica.PublicReadsMiddleware",
    ]
    answers.clear()
    return answers


def test_the_router_uses_the_replica_only_inside_replica_reads_and_no_transaction(
    settings,
):
    settings.DATABASES = settings.DATABASES | {REPLICA: settings.DATABASES["default"]}
    router = ReplicaRouter()
    assert router.db_for_read(Booking) == "default"
    with replica_reads():
        assert router.db_for_read(Booking) == "default"  # the test's transaction
    assert router.db_for_write(Booking) == "default"
    assert router.allow_migrate(REPLICA, "bookings") is False


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_replica_reads_go_to_the_replica(settings):
    settings.DATABASES = settings.DATABASES | {REPLICA: settings.DATABASES["default"]}
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Booking) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(Booking) == "default"
    assert router.db_for_read(Booking) == "default"


@pytest.mark.django_db(transaction=True)
def test_anonymous_catalogue_reads_may_use_the_replica_and_nothing_else(routed, venue):
    room = make_space(venue)
    set_opening_hours(venue, 0, 24 * 60)
    day = future_day(12)
    routed.clear()
    anonymous = APIClient()
    assert anonymous.get(f"/api/v1/venues/{venue.id}/spaces/").status_code == 200
    assert routed and set(routed) == {REPLICA}

    routed.clear()
    customer = client_for(make_user())
    assert customer.get(f"/api/v1/venues/{venue.id}/spaces/").status_code == 200
    booked = customer.post(
        "/api/v1/bookings/",
        {
            "space_id": str(room.id),
            "start_time": iso(at(day, "10:00")),
            "end_time": iso(at(day, "11:00")),
            "title": "Standup",
        },
        format="json",
    )
    assert booked.status_code == 201
    assert routed and set(routed) == {"default"}
