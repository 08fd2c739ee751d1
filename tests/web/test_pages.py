"""The site's views through Django's test client: what each page says, the
grid's cell states and ids, and every refusal as a message a person reads."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from tests.conftest import make_user
from tests.web.conftest import BERLIN
from venueos.bookings.calendar import BUSY, CLOSED, FREE, PAST, availability_grid
from venueos.bookings.models import Booking, BookingStatus
from venueos.bookings.services import booking_create
from venueos.venues.models import Closure

pytestmark = pytest.mark.django_db


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def _book(user, space, day, hour, hours=1, **fields):
    return booking_create(
        actor=user,
        space=space,
        start_time=_at(day, hour),
        end_time=_at(day, hour + hours),
        title=fields.pop("title", "Meeting"),
        **fields,
    )


def _cells(grid, space):
    row = next(row for row in grid.rows if row.space.id == space.id)
    return {cell.start.astimezone(BERLIN).hour: cell.state for cell in row.cells}


def test_grid_cells_are_free_busy_closed_or_past(berlin_db, day):
    venue, room = berlin_db["venue"], berlin_db["rooms"]["Room 101"]
    _book(make_user(), room, day, 10)
    Closure.objects.create(
        venue=venue, space=room, start_time=_at(day, 14), end_time=_at(day, 16)
    )
    grid = availability_grid(venue=venue, days=[day], duration_minutes=60)
    cells = _cells(grid, room)
    assert list(cells) == list(range(8, 20))
    assert (cells[9], cells[10], cells[11]) == (FREE, BUSY, FREE)
    assert (cells[14], cells[15], cells[16]) == (CLOSED, CLOSED, FREE)
    # Booking a room makes its floor busy; the room next door stays free.
    assert _cells(grid, berlin_db["rooms"]["Room 102"])[10] == FREE
    floor = next(row for row in grid.rows if row.space.name == "Floor 1")
    assert floor.cells == []  # not bookable: no cells at all
    # Once the day has begun, what lies before now is past.
    now = _at(day, 12, 30)
    later = availability_grid(venue=venue, days=[day], duration_minutes=60, now=now)
    assert _cells(later, room)[12] == PAST and _cells(later, room)[13] == FREE


def test_every_free_cell_can_be_booked_and_no_busy_one_can(berlin_db, day):
    venue, hall = berlin_db["venue"], berlin_db["hall"]
    booker = make_user()
    _book(booker, berlin_db["rooms"]["Room 101"], day, 9, hours=2)
    grid = availability_grid(venue=venue, days=[day], duration_minutes=120)
    hall_cells = _cells(grid, hall)
    assert hall_cells[8] == FREE and hall_cells[10] == FREE
    for row in grid.rows:
        for cell in row.cells:
            if cell.state not in (FREE, BUSY):
                continue
            try:
                booking_create(
                    actor=booker,
                    space=row.space,
                    start_time=cell.start,
                    end_time=cell.end,
                    title="probe",
                )
            except Exception as refusal:  # noqa: BLE001 - asserted just below
                assert cell.state == BUSY, (row.space.name, cell, refusal)
            else:
                assert cell.state == FREE, (row.space.name, cell)


def test_venue_page_names_the_zone_and_gives_cells_stable_ids(client, berlin_db, day):
    venue, room = berlin_db["venue"], berlin_db["rooms"]["Room 101"]
    html = client.get(f"/venues/{venue.id}/?date={day.isoformat()}").content.decode()
    assert "Times in Europe/Berlin" in html
    assert "Friedrichstraße 100, 10117 Berlin, DE" in html and "08:00–20:00" in html
    assert "&#x27;street&#x27;" not in html  # the address as text, not a dict
    start = _at(day, 10)
    cell_id = f'id="cell-{room.id}-{int(start.timestamp())}"'
    assert cell_id in html
    cell = html[html.index(cell_id) : html.index("</td>", html.index(cell_id))]
    assert f'data-space-id="{room.id}"' in cell
    assert 'data-start="' + start.astimezone(UTC).isoformat() in cell
    assert 'data-state="free"' in cell
    assert 'Book<span class="visually-hidden"> Room 101 at 10:00</span>' in cell


def test_the_grid_fragment_is_only_the_grid_for_htmx(client, berlin_db, day):
    url = f"/venues/{berlin_db['venue'].id}/grid/?date={day.isoformat()}"
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="grid"')
    assert "<html" not in fragment
    page = client.get(url).content.decode()
    assert "<html" in page and '<section id="grid"' in page


def test_week_view_counts_free_cells_per_day(client, berlin_db, day):
    venue = berlin_db["venue"]
    html = client.get(
        f"/venues/{venue.id}/?date={day.isoformat()}&view=week"
    ).content.decode()
    assert "Week of" in html
    assert len(re.findall(r"12 free<span", html)) >= 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date=tomorrow", "&#x27;tomorrow&#x27; is not a date (YYYY-MM-DD)."),
        ("duration=7", "Pick one of the booking lengths offered for this venue"),
        ("duration=abc", "Pick one of the booking lengths offered for this venue"),
    ],
)
def test_a_bad_grid_address_is_a_page_that_says_why(client, berlin_db, query, message):
    response = client.get(f"/venues/{berlin_db['venue'].id}/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_booking_form_is_prefilled_from_the_cell(client, berlin_db, day):
    client.force_login(make_user())
    room = berlin_db["rooms"]["Room 102"]
    start = _at(day, 10).isoformat()
    response = client.get(
        "/bookings/new/",
        {"space": room.id, "start": start, "end": _at(day, 11, 30).isoformat()},
    )
    form = response.context["form"]
    assert form["start"].value().strftime("%H:%M") == "10:00"
    assert form["end"].value().strftime("%H:%M") == "11:30"
    assert form["date"].value() == day
    assert form["title"].value() == "Meeting in Room 102"


def _post_booking(client, space, day, start, end, **fields):
    return client.post(
        "/bookings/new/",
        {
            "space": space.id,
            "date": day.isoformat(),
            "start": start,
            "end": end,
            "title": fields.pop("title", "Planning"),
            "attendee_count": fields.pop("attendee_count", 2),
            **fields,
        },
    )


def test_a_booking_is_made_in_the_venues_local_time(client, berlin_db, day):
    customer = make_user()
    client.force_login(customer)
    response = _post_booking(
        client, berlin_db["rooms"]["Room 101"], day, "09:30", "11:00"
    )
    booking = Booking.objects.get()
    assert response["Location"] == f"/bookings/{booking.id}/"
    assert (booking.start_time, booking.end_time) == (_at(day, 9, 30), _at(day, 11))
    assert booking.user == customer
    html = client.get(response["Location"]).content.decode()
    assert "Confirmed" in html and "09:30–11:00" in html


@pytest.mark.parametrize(
    ("start", "end", "attendees", "field", "message"),
    [
        ("10:00", "11:00", 99, "attendee_count", "'Room 101' holds at most 12 people."),
        ("21:00", "22:00", 2, "start", "The venue is closed for part of that time."),
        ("10:05", "11:00", 2, "start", "Bookings here start and end on the venue's"),
    ],
)
def test_a_broken_rule_is_shown_next_to_its_field(
    client, berlin_db, day, start, end, attendees, field, message
):
    client.force_login(make_user())
    response = _post_booking(
        client,
        berlin_db["rooms"]["Room 101"],
        day,
        start,
        end,
        attendee_count=attendees,
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field][0].startswith(message)
    assert not Booking.objects.exists()


def test_a_conflict_shows_the_collision_and_bookable_alternatives(
    client, berlin_db, day
):
    room = berlin_db["rooms"]["Room 101"]
    _book(make_user(), room, day, 10, title="Someone else's secret")
    client.force_login(make_user())
    response = _post_booking(client, room, day, "10:00", "11:00", title="Mine")
    assert response.status_code == 409
    html = response.content.decode()
    assert "That time was just taken" in html
    assert "Room 101, 10:00–11:00" in html
    assert "Someone else&#x27;s secret" not in html  # not theirs to see
    assert "Book Room 101 at 11:00</button>" in html
    assert "Book Room 102 at 10:00</button>" in html
    # The alternative's hidden fields book it as they are.
    response = _post_booking(
        client, berlin_db["rooms"]["Room 102"], day, "10:00", "11:00", title="Mine"
    )
    assert response.status_code == 302
    assert Booking.objects.filter(title="Mine").count() == 1


def test_someone_elses_booking_is_not_found(client, berlin_db, day):
    booking = _book(make_user(), berlin_db["rooms"]["Room 101"], day, 10)
    client.force_login(make_user())
    for path in ("", "change/", "cancel/"):
        response = client.get(f"/bookings/{booking.id}/{path}")
        assert response.status_code == 404
        assert "We could not find that." in response.content.decode()


def test_cancel_asks_first_then_frees_the_time(client, berlin_db, day):
    customer = make_user()
    booking = _book(customer, berlin_db["rooms"]["Room 101"], day, 10)
    client.force_login(customer)
    page = client.get(f"/bookings/{booking.id}/cancel/").content.decode()
    assert "Cancel booking</button>" in page and "Keep booking" in page
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    response = client.post(f"/bookings/{booking.id}/cancel/", {"reason": "Ill"})
    assert response["Location"] == "/my/bookings/"
    booking.refresh_from_db()
    assert (booking.status, booking.cancellation_reason) == (
        BookingStatus.CANCELLED,
        "Ill",
    )
    again = client.post(f"/bookings/{booking.id}/cancel/", {"reason": ""})
    assert again.status_code == 400
    assert "This booking is already cancelled." in again.content.decode()


def test_my_bookings_splits_upcoming_and_past(client, berlin_db, day):
    customer = make_user()
    _book(customer, berlin_db["rooms"]["Room 101"], day, 10, title="Upcoming one")
    end = timezone.now() - timedelta(days=1)
    Booking.objects.create(
        venue=berlin_db["venue"],
        space=berlin_db["rooms"]["Room 102"],
        user=customer,
        created_by=customer,
        start_time=end - timedelta(hours=1),
        end_time=end,
        title="Past one",
    )
    client.force_login(customer)
    upcoming = client.get("/my/bookings/").content.decode()
    past = client.get("/my/bookings/?when=past").content.decode()
    assert "Upcoming one" in upcoming and "Past one" not in upcoming
    assert "Past one" in past and "Upcoming one" not in past


def test_home_search_finds_spaces_by_people_and_features(client, berlin_db, day):
    response = client.get(
        "/",
        {"q": "berlin", "date": day.isoformat(), "duration": 60, "people": 50},
    )
    html = response.content.decode()
    assert "Great Hall" in html and "Room 101" not in html.split("Venues")[0]
    response = client.get(
        "/",
        {
            "q": "berlin",
            "date": day.isoformat(),
            "duration": 60,
            "features": "projector",
        },
    )
    results = response.context["results"]
    assert [entry.space.name for entry in results[berlin_db["venue"]]] == [
        "Room 101",
        "Room 102",
    ]
