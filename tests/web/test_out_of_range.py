"""Dates and numbers no booking or event can have give a page that says so
(a 4xx), never a server error."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import make_user
from tests.web.conftest import make_berlin
from venueos.bookings.models import BookingSeries
from venueos.bookings.series import booking_series_cancel
from venueos.common.problems import InvalidInput
from venueos.events.models import Event
from venueos.events.services import event_create, event_update
from venueos.reports.selectors import utilization_report

pytestmark = pytest.mark.django_db

YEARS = "between the years 1900 and 2999"


def _refused(response, *phrases: str) -> str:
    assert 400 <= response.status_code < 500, response.status_code
    text = response.content.decode()
    for phrase in phrases:
        assert phrase in text
    return text


def _booking_post(space, day: str, **fields) -> dict:
    return {
        "space": str(space.id),
        "date": day,
        "start": "09:00",
        "end": "10:00",
        "title": "Sync",
        "attendee_count": 1,
        "description": "",
        "repeat": "",
        "repeat_count": 1,
        **fields,
    }


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01"])
def test_a_report_outside_the_years_is_explained(client, berlin_db, start):
    client.force_login(berlin_db["manager"])
    response = client.get(
        "/manage/reports/", {"venue": str(berlin_db["venue"].id), "start": start}
    )
    _refused(response, YEARS)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_booking_outside_the_years_is_explained(client, berlin_db, day):
    room = berlin_db["rooms"]["Room 101"]
    client.force_login(make_user())
    response = client.post(
        "/bookings/new/", _booking_post(room, day, start="23:00", end="00:00")
    )
    _refused(response, YEARS)


@pytest.mark.parametrize(
    "params, phrase",
    [
        ({"duration": "99999999999999"}, "duration"),
        ({"duration": "²"}, "duration"),
        ({"duration": "0"}, "duration"),
        ({"attendees": "²"}, "attendees"),
        ({"attendees": "99999999999999999999"}, "attendees"),
    ],
)
def test_prefill_numbers_out_of_range_are_explained(
    client, berlin_db, day, params, phrase
):
    room = berlin_db["rooms"]["Room 101"]
    client.force_login(make_user())
    start = f"{day.isoformat()}T09:00:00+01:00"
    response = client.get(
        "/bookings/new/", {"space": str(room.id), "start": start, **params}
    )
    _refused(response, phrase)


def test_a_sane_prefill_still_fills_the_form(client, berlin_db, day):
    room = berlin_db["rooms"]["Room 101"]
    client.force_login(make_user())
    start = f"{day.isoformat()}T09:00:00+01:00"
    response = client.get(
        "/bookings/new/",
        {"space": str(room.id), "start": start, "duration": "90", "attendees": "3"},
    )
    assert response.status_code == 200
    assert response.context["form"].initial["attendee_count"] == 3


@pytest.mark.parametrize("from_day", ["0001-01-01", "9999-12-31"])
def test_cancelling_a_series_from_a_day_outside_the_years(
    client, berlin_db, day, from_day
):
    room = berlin_db["rooms"]["Room 101"]
    client.force_login(make_user())
    created = client.post(
        "/bookings/new/",
        _booking_post(room, day.isoformat(), repeat="weekly", repeat_count=2),
    )
    assert created.status_code == 302
    series = BookingSeries.objects.get()
    response = client.post(f"/my/series/{series.id}/", {"from_day": from_day})
    _refused(response, YEARS)
    assert series.bookings.filter(status="cancelled").count() == 0


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_booking_on_behalf_outside_the_years(client, berlin_db, day):
    client.force_login(berlin_db["manager"])
    customer = make_user()
    response = client.post(
        "/manage/bookings/new/",
        {
            "customer": customer.email,
            "space": str(berlin_db["rooms"]["Room 101"].id),
            "date": day,
            "start": "23:00",
            "end": "00:00",
            "title": "Interview",
            "attendee_count": 1,
        },
    )
    _refused(response, YEARS)


@pytest.mark.parametrize("year_day", ["9999-06-01", "1000-06-01"])
def test_an_event_outside_the_years_is_refused(client, berlin_db, year_day):
    client.force_login(berlin_db["manager"])
    response = client.post(
        "/manage/events/new/",
        {
            "venue": str(berlin_db["venue"].id),
            "space": "",
            "name": "Far Talk",
            "description": "",
            "start_date": year_day,
            "start_time": "18:00",
            "end_date": year_day,
            "end_time": "20:00",
            "capacity": 80,
        },
    )
    _refused(response, YEARS)
    assert not Event.objects.filter(name="Far Talk").exists()


def test_reports_keep_working_for_a_normal_week(client, berlin_db, day):
    client.force_login(berlin_db["manager"])
    response = client.get(
        "/manage/reports/",
        {"venue": str(berlin_db["venue"].id), "start": day.isoformat()},
    )
    assert response.status_code == 200


# --- the services refuse such years themselves (for the API, CLI and web) ----


FAR = datetime(9999, 6, 1, 18, tzinfo=UTC)


def test_the_utilization_report_refuses_years_out_of_range(berlin_db):
    with pytest.raises(InvalidInput) as refused:
        utilization_report(
            berlin_db["venue"],
            user=berlin_db["manager"],
            start_date=date(9999, 12, 31),
            end_date=date(9999, 12, 31),
        )
    assert "start_date" in refused.value.errors


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_series_refuses_a_from_day_out_of_range(client, day):
    site = make_berlin()
    client.force_login(owner := make_user())
    client.post(
        "/bookings/new/",
        _booking_post(
            site["rooms"]["Room 101"], day.isoformat(), repeat="weekly", repeat_count=2
        ),
    )
    series = BookingSeries.objects.get()
    with pytest.raises(InvalidInput) as refused:
        booking_series_cancel(actor=owner, series=series, from_day=date(1, 1, 1))
    assert "from_day" in refused.value.errors


@pytest.mark.django_db(transaction=True)
def test_events_refuse_years_out_of_range():
    site = make_berlin()
    manager, venue = site["manager"], site["venue"]
    with pytest.raises(InvalidInput) as refused:
        event_create(
            venue=venue,
            actor=manager,
            name="Far",
            start_at=FAR,
            end_at=FAR + timedelta(hours=2),
            capacity=10,
        )
    assert "start_at" in refused.value.errors
    soon = datetime.now(UTC) + timedelta(days=30)
    event = event_create(
        venue=venue,
        actor=manager,
        name="Near",
        start_at=soon,
        end_at=soon + timedelta(hours=2),
        capacity=10,
    )
    with pytest.raises(InvalidInput) as refused:
        event_update(event=event, actor=manager, end_at=FAR)
    assert "end_at" in refused.value.errors
