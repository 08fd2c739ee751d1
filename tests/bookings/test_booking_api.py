"""Booking engine through the HTTP API: rules, tree conflicts, lifecycle, audit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.bookings.helpers import at, book, future_day, iso, utc
from tests.conftest import (
    client_for,
    make_space,
)
from venueos.audit.models import AuditEntry
from venueos.bookings.models import Booking, BookingClaim

pytestmark = pytest.mark.django_db

DAY = future_day(40)


def test_booking_is_created_with_the_contract_fields(tree, alice):
    response = book(client_for(alice), tree["a"], at(DAY, "10:00"), at(DAY, "11:00"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["space"] == {
        "id": str(tree["a"].id),
        "name": "Room A",
        "venue_id": str(tree["a"].venue_id),
    }
    assert body["facility"] == body["space"]
    assert body["user"]["full_name"] == "Alice"
    assert body["status"] == "confirmed"
    assert body["start_time"] == utc(at(DAY, "10:00"))
    assert body["start_time"].endswith("Z")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("a", "a", 409),  # same space
        ("hall", "a", 409),  # parent blocks child
        ("a", "hall", 409),  # child blocks parent
        ("hall", "corner", 409),  # grandparent blocks grandchild
        ("corner", "hall", 409),  # grandchild blocks grandparent
        ("a", "b", 201),  # siblings are independent
        ("corner", "b", 201),  # cousin-ish: nephew and uncle are independent
        ("a", "corner", 409),
    ],
)
def test_tree_conflicts(tree, alice, bob, first, second, expected):
    assert (
        book(
            client_for(alice), tree[first], at(DAY, "10:00"), at(DAY, "12:00")
        ).status_code
        == 201
    )
    response = book(client_for(bob), tree[second], at(DAY, "11:00"), at(DAY, "13:00"))
    assert response.status_code == expected, response.json()
    active = Booking.objects.filter(status__in=["pending", "confirmed"]).count()
    assert active == (2 if expected == 201 else 1)


def test_conflict_body_hides_the_winner_from_strangers_and_shows_the_owner(
    tree, alice, bob
):
    assert (
        book(
            client_for(alice),
            tree["hall"],
            at(DAY, "10:00"),
            at(DAY, "12:00"),
            title="Secret",
        ).status_code
        == 201
    )
    response = book(client_for(bob), tree["a"], at(DAY, "11:00"), at(DAY, "12:00"))
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://venueos.dev/problems/booking-conflict"
    assert body["conflicting_booking"]["space_id"] == str(tree["hall"].id)
    assert body["conflicting_booking"]["start_time"] == utc(at(DAY, "10:00"))
    assert (
        "title" not in body["conflicting_booking"]
        and "id" not in body["conflicting_booking"]
    )
    assert isinstance(body["suggested_alternatives"], list)
    own = book(client_for(alice), tree["a"], at(DAY, "11:00"), at(DAY, "12:00")).json()
    assert own["conflicting_booking"]["title"] == "Secret"


def test_back_to_back_bookings_do_not_overlap(tree, alice, bob):
    assert (
        book(
            client_for(alice), tree["hall"], at(DAY, "10:00"), at(DAY, "11:00")
        ).status_code
        == 201
    )
    assert (
        book(client_for(bob), tree["a"], at(DAY, "11:00"), at(DAY, "12:00")).status_code
        == 201
    )
    assert (
        book(
            client_for(bob), tree["hall"], at(DAY, "09:00"), at(DAY, "10:00")
        ).status_code
        == 201
    )


def test_cancelling_frees_the_time_at_once_and_keeps_the_row(tree, alice, bob):
    first = book(
        client_for(alice), tree["hall"], at(DAY, "10:00"), at(DAY, "11:00")
    ).json()
    assert (
        client_for(alice)
        .delete(f"/api/v1/bookings/{first['id']}/?reason=plans changed")
        .status_code
        == 204
    )
    assert (
        book(client_for(bob), tree["a"], at(DAY, "10:00"), at(DAY, "11:00")).status_code
        == 201
    )
    cancelled = Booking.objects.get(pk=first["id"])
    assert (
        cancelled.status == "cancelled"
        and cancelled.cancellation_reason == "plans changed"
    )
    assert not BookingClaim.objects.filter(booking=cancelled).exists()


def test_pending_bookings_hold_their_time(venue, alice, bob):
    studio = make_space(venue, name="Studio", requires_approval=True)
    response = book(client_for(alice), studio, at(DAY, "10:00"), at(DAY, "11:00"))
    assert response.json()["status"] == "pending"
    assert (
        book(client_for(bob), studio, at(DAY, "10:30"), at(DAY, "11:30")).status_code
        == 409
    )


def test_manager_confirms_and_rejects_pending_bookings(venue, manager, alice):
    studio = make_space(venue, name="Studio", requires_approval=True)
    first = book(client_for(alice), studio, at(DAY, "10:00"), at(DAY, "11:00")).json()
    second = book(client_for(alice), studio, at(DAY, "12:00"), at(DAY, "13:00")).json()
    assert (
        client_for(alice).post(f"/api/v1/bookings/{first['id']}/confirm/").status_code
        == 403
    )
    confirmed = client_for(manager).post(f"/api/v1/bookings/{first['id']}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    rejected = client_for(manager).post(
        f"/api/v1/bookings/{second['id']}/reject/",
        {"reason": "maintenance"},
        format="json",
    )
    assert rejected.json()["status"] == "cancelled"
    assert (
        client_for(manager).post(f"/api/v1/bookings/{first['id']}/confirm/").status_code
        == 409
    )
    actions = list(
        AuditEntry.objects.filter(entity_id=second["id"]).values_list(
            "action", flat=True
        )
    )
    assert actions == ["booking.created", "booking.rejected"]


def test_patch_moves_are_rechecked_and_can_conflict(tree, alice, bob):
    mine = book(client_for(alice), tree["a"], at(DAY, "10:00"), at(DAY, "11:00")).json()
    book(client_for(bob), tree["b"], at(DAY, "12:00"), at(DAY, "13:00"))
    client = client_for(alice)
    moved = client.patch(
        f"/api/v1/bookings/{mine['id']}/",
        {"start_time": iso(at(DAY, "14:00")), "end_time": iso(at(DAY, "15:00"))},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["start_time"] == utc(
        at(DAY, "14:00")
    )
    clash = client.patch(
        f"/api/v1/bookings/{mine['id']}/",
        {
            "space_id": str(tree["hall"].id),
            "start_time": iso(at(DAY, "12:30")),
            "end_time": iso(at(DAY, "13:30")),
        },
        format="json",
    )
    assert clash.status_code == 409 and clash.json()["type"].endswith(
        "/booking-conflict"
    )
    off_grid = client.patch(
        f"/api/v1/bookings/{mine['id']}/",
        {"end_time": iso(at(DAY, "15:10"))},
        format="json",
    )
    assert off_grid.status_code == 400
    assert Booking.objects.get(pk=mine["id"]).start_time == at(DAY, "14:00")
    history = client.get(f"/api/v1/bookings/{mine['id']}/history/").json()
    assert [entry["action"] for entry in history] == [
        "booking.created",
        "booking.updated",
    ]
    assert history[1]["old_values"]["start_time"].startswith(str(DAY))


def test_strangers_cannot_see_or_touch_a_booking(tree, alice, bob, other_manager):
    mine = book(client_for(alice), tree["a"], at(DAY, "10:00"), at(DAY, "11:00")).json()
    for user in (bob, other_manager):
        client = client_for(user)
        assert client.get(f"/api/v1/bookings/{mine['id']}/").status_code == 404
        assert client.delete(f"/api/v1/bookings/{mine['id']}/").status_code == 404
    assert client_for(None).get("/api/v1/bookings/").status_code == 401


def test_manager_cancel_of_someone_elses_booking_is_admin_cancelled(
    tree, alice, manager
):
    mine = book(client_for(alice), tree["a"], at(DAY, "10:00"), at(DAY, "11:00")).json()
    response = client_for(manager).delete(
        f"/api/v1/bookings/{mine['id']}/", {"reason": "flood"}, format="json"
    )
    assert response.status_code == 204
    entry = AuditEntry.objects.filter(entity_id=mine["id"]).last()
    assert (
        entry.action == "booking.admin_cancelled"
        and entry.new_values["reason"] == "flood"
    )
    assert (
        client_for(alice).delete(f"/api/v1/bookings/{mine['id']}/").status_code == 409
    )


def test_manager_books_on_behalf_but_customers_cannot(tree, alice, bob, manager):
    on_behalf = book(
        client_for(manager),
        tree["a"],
        at(DAY, "10:00"),
        at(DAY, "11:00"),
        user_id=str(alice.id),
    )
    assert on_behalf.status_code == 201 and on_behalf.json()["user"]["id"] == str(
        alice.id
    )
    assert Booking.objects.get(pk=on_behalf.json()["id"]).created_by == manager
    refused = book(
        client_for(bob),
        tree["b"],
        at(DAY, "10:00"),
        at(DAY, "11:00"),
        user_id=str(alice.id),
    )
    assert refused.status_code == 403


def test_lists_are_scoped_by_role_and_filtered(
    tree, alice, bob, manager, other_manager
):
    book(client_for(alice), tree["a"], at(DAY, "10:00"), at(DAY, "11:00"))
    book(client_for(bob), tree["b"], at(DAY, "10:00"), at(DAY, "11:00"))
    assert client_for(alice).get("/api/v1/bookings/").json()["count"] == 1
    assert client_for(manager).get("/api/v1/bookings/").json()["count"] == 2
    assert client_for(other_manager).get("/api/v1/bookings/").json()["count"] == 0
    filtered = (
        client_for(manager)
        .get("/api/v1/bookings/", {"space_id": str(tree["b"].id)})
        .json()
    )
    assert [b["user"]["full_name"] for b in filtered["results"]] == ["Bob"]
    window = client_for(manager).get(
        "/api/v1/bookings/",
        {"start_time": iso(at(DAY, "11:00")), "end_time": iso(at(DAY, "12:00"))},
    )
    assert window.json()["count"] == 0
    assert (
        client_for(manager).get("/api/v1/bookings/", {"status": "bogus"}).status_code
        == 400
    )
    assert (
        client_for(manager)
        .get("/api/v1/bookings/", {"start_time": "2030-01-01T10:00:00"})
        .status_code
        == 400
    )


def test_me_bookings_defaults_to_upcoming_and_takes_a_date_range(tree, alice):
    book(client_for(alice), tree["a"], at(DAY, "10:00"), at(DAY, "11:00"))
    later = DAY + timedelta(days=5)
    book(client_for(alice), tree["a"], at(later, "10:00"), at(later, "11:00"))
    client = client_for(alice)
    assert client.get("/api/v1/me/bookings/").json()["count"] == 2
    ranged = client.get(
        "/api/v1/me/bookings/", {"start_date": str(later), "end_date": str(later)}
    ).json()
    assert ranged["count"] == 1
    assert (
        client.get("/api/v1/me/bookings/", {"start_date": "tomorrow"}).status_code
        == 400
    )


def test_idempotency_key_replays_the_first_response(tree, alice):
    client = client_for(alice)
    body = {
        "space_id": str(tree["a"].id),
        "start_time": iso(at(DAY, "10:00")),
        "end_time": iso(at(DAY, "11:00")),
        "title": "Retry",
    }
    first = client.post(
        "/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        "/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert "Idempotent-Replayed" not in first and again["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    other = client.post(
        "/api/v1/bookings/",
        {**body, "title": "Other"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 422
    assert Booking.objects.count() == 1


def test_every_response_carries_a_request_id_that_reaches_the_audit_log(tree, alice):
    response = client_for(alice).post(
        "/api/v1/bookings/",
        {
            "space_id": str(tree["a"].id),
            "start_time": iso(at(DAY, "10:00")),
            "end_time": iso(at(DAY, "11:00")),
            "title": "x",
        },
        format="json",
        HTTP_X_REQUEST_ID="req-123",
        HTTP_USER_AGENT="pytest-agent",
    )
    assert response["X-Request-ID"] == "req-123"
    entry = AuditEntry.objects.get(entity_id=response.json()["id"])
    assert (entry.request_id, entry.user_agent, entry.actor_id) == (
        "req-123",
        "pytest-agent",
        alice.id,
    )
    assert entry.new_values["title"] == "x"


def test_database_refuses_overlaps_written_around_the_services(tree, alice):
    """The guarantee does not depend on Python: raw ORM inserts hit the constraints."""
    common = {
        "venue": tree["hall"].venue,
        "user": alice,
        "created_by": alice,
        "title": "raw",
    }
    Booking.objects.create(
        space=tree["a"],
        start_time=at(DAY, "10:00"),
        end_time=at(DAY, "11:00"),
        **common,
    )
    for space in (tree["a"], tree["hall"], tree["corner"]):
        with pytest.raises(IntegrityError), transaction.atomic():
            Booking.objects.create(
                space=space,
                start_time=at(DAY, "10:30"),
                end_time=at(DAY, "11:30"),
                **common,
            )
    Booking.objects.create(
        space=tree["b"],
        start_time=at(DAY, "10:30"),
        end_time=at(DAY, "11:30"),
        **common,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            space=tree["a"],
            start_time=at(DAY, "10:00"),
            end_time=at(DAY + timedelta(days=2), "10:00"),
            **common,
        )


def test_audit_log_is_append_only(tree, alice):
    book(client_for(alice), tree["a"], at(DAY, "10:00"), at(DAY, "11:00"))
    entry = AuditEntry.objects.first()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_a_lost_race_offers_alternatives_that_can_really_be_booked(tree, alice, bob):
    assert (
        book(
            client_for(alice), tree["a"], at(DAY, "10:00"), at(DAY, "11:00")
        ).status_code
        == 201
    )
    lost = book(client_for(bob), tree["a"], at(DAY, "10:00"), at(DAY, "11:00"))
    assert lost.status_code == 409
    suggestions = lost.json()["suggested_alternatives"]
    assert 1 <= len(suggestions) <= 5
    assert suggestions[0]["space_id"] == str(tree["a"].id)
    assert all(s["duration_minutes"] == 60 for s in suggestions)
    other_spaces = {s["space_id"] for s in suggestions} - {str(tree["a"].id)}
    assert str(tree["hall"].id) not in other_spaces  # the hall is blocked by room A
    for suggestion in suggestions:
        response = client_for(bob).post(
            "/api/v1/bookings/",
            {
                "space_id": suggestion["space_id"],
                "start_time": suggestion["start_time"],
                "end_time": suggestion["end_time"],
                "title": "taken from a suggestion",
            },
            format="json",
        )
        assert response.status_code == 201, (suggestion, response.json())
        Booking.objects.filter(pk=response.json()["id"]).update(
            status="cancelled", cancelled_at=at(DAY, "09:00")
        )


def test_fast_booking_json_matches_the_documented_serializer(tree, alice, manager):
    """The API renders bookings with `booking_json`; the schema documents
    `BookingOut`. They must never drift apart."""
    from venueos.bookings.serializers import BookingOut, booking_json

    created = book(
        client_for(manager),
        tree["a"],
        at(DAY, "10:00"),
        at(DAY, "11:00"),
        user_id=str(alice.id),
    )
    client_for(alice).delete(f"/api/v1/bookings/{created.json()['id']}/?reason=r")
    booking = Booking.objects.select_related("space", "user").get()
    assert booking_json(booking) == BookingOut(booking).data


def _book_a_day_each(tree, owner, count: int) -> None:
    """`count` bookings of room a, 10:00-11:00 on consecutive days, titled b0, b1…"""
    for index in range(count):
        day = DAY + timedelta(days=index)
        Booking.objects.create(
            venue=tree["a"].venue, space=tree["a"], user=owner, created_by=owner,
            start_time=at(day, "10:00"), end_time=at(day, "11:00"), title=f"b{index}",
        )  # fmt: skip


@pytest.mark.parametrize("bookings", [2, 12])
@pytest.mark.parametrize("path", ["/api/v1/bookings/", "/api/v1/me/bookings/"])
def test_booking_lists_cost_the_same_queries_however_long(
    tree, alice, django_assert_num_queries, bookings, path
):
    _book_a_day_each(tree, alice, bookings)
    client = client_for(alice)
    client.get(path)  # the token's first use records last_used_at
    # The token, then one page with its space, owner and the total.
    with django_assert_num_queries(2):
        response = client.get(path)
    assert response.json()["count"] == bookings


@pytest.mark.parametrize("path", ["/api/v1/bookings/", "/api/v1/me/bookings/"])
def test_booking_list_pages_know_the_total_also_past_the_end(tree, alice, path):
    _book_a_day_each(tree, alice, 5)
    client = client_for(alice)
    pages = [
        client.get(f"{path}?limit=2&offset={offset}").json() for offset in (0, 4, 6)
    ]
    assert [page["count"] for page in pages] == [5, 5, 5]
    assert [len(page["results"]) for page in pages] == [2, 1, 0]
    assert [page["results"][0]["title"] for page in pages[:2]] == ["b0", "b4"]
    assert pages[0]["previous"] is None and pages[0]["next"]
    assert pages[1]["next"] is None
    empty = client.get(f"{path}?status=cancelled").json()
    assert (empty["count"], empty["results"]) == (0, [])


def test_moving_into_a_space_that_needs_approval_makes_the_booking_pending(
    venue, alice, manager
):
    room = make_space(venue, name="Room")
    studio = make_space(venue, name="Studio", requires_approval=True)
    mine = book(client_for(alice), room, at(DAY, "10:00"), at(DAY, "11:00")).json()
    assert mine["status"] == "confirmed"
    moved = client_for(alice).patch(
        f"/api/v1/bookings/{mine['id']}/", {"space_id": str(studio.id)}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["status"] == "pending"
    by_manager = book(
        client_for(manager), room, at(DAY, "12:00"), at(DAY, "13:00")
    ).json()
    moved = client_for(manager).patch(
        f"/api/v1/bookings/{by_manager['id']}/",
        {"space_id": str(studio.id)},
        format="json",
    )
    assert moved.json()["status"] == "confirmed"


def test_booking_json_written_by_postgresql_matches_booking_json(tree, alice, manager):
    """Lists take each booking's JSON from PostgreSQL (`as_counted_json_texts`); it must
    say exactly what `booking_json` says, for awkward text, cancelled bookings
    and microseconds alike."""
    from venueos.bookings.selectors import as_counted_json_texts
    from venueos.bookings.serializers import booking_json

    awkward = 'Quote " backslash \\ tab \t newline \n bell \x07 é ☃ 🎉 +00:00"'
    for index in range(3):
        book(
            client_for(manager),
            tree["a"],
            at(DAY, f"1{index}:00"),
            at(DAY, f"1{index}:30"),
            user_id=str(alice.id),
            title=f"{awkward} {index}",
            description=awkward,
        )
    first = Booking.objects.order_by("start_time").first()
    client_for(alice).delete(f"/api/v1/bookings/{first.id}/?reason={awkward[:20]}")
    Booking.objects.filter(pk=first.pk).update(
        created_at=at(DAY, "08:00") + timedelta(microseconds=120),
        updated_at=at(DAY, "08:00") + timedelta(microseconds=999999),
    )
    bookings = Booking.objects.select_related("space", "user").order_by(
        "start_time", "id"
    )
    rows = list(as_counted_json_texts(bookings))
    assert {total for total, _text in rows} == {len(rows)}
    texts = [text for _total, text in rows]
    assert [json.loads(text) for text in texts] == [booking_json(b) for b in bookings]
    assert any(json.loads(text)["cancelled_at"] for text in texts)
    assert any("." in json.loads(text)["created_at"] for text in texts)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": "cancelled"},
        {"status": "confirmed", "start": 0},
        {"start": 1},
        {"end": 2},
        {"start": 0, "end": 1},
        {"start": 9},
        {"start": -100},
        {"end": -30},
    ],
)
def test_my_bookings_page_is_what_the_orm_list_gives(tree, alice, bob, filters):
    """`MyBookingsPage` (the API's hand-written query for /me/bookings/) holds
    exactly the rows, order, totals and JSON of the ORM list it replaced, for
    every filter and page: past bookings (one still running), bookings that
    start together (ordered by id), cancelled ones and someone else's."""
    from venueos.bookings.selectors import (
        MyBookingsPage,
        as_counted_json_texts,
        booking_list_for_user,
    )

    for day in range(4):
        for hour in ("09:00", "11:00"):
            start = at(DAY + timedelta(days=day), hour)
            book(client_for(alice), tree["a"], start, start + timedelta(hours=1))
    # Room B beside Room A, at the same times: equal starts.
    for hour in ("09:00", "11:00"):
        start = at(DAY, hour)
        book(client_for(alice), tree["b"], start, start + timedelta(hours=1))
    book(client_for(bob), tree["b"], at(DAY + timedelta(days=1), "09:00"), at(DAY + timedelta(days=1), "10:00"))  # fmt: skip
    now = timezone.now()
    for start, end in (
        (now - timedelta(days=3), now - timedelta(days=3, hours=-1)),
        (now - timedelta(hours=1), now + timedelta(hours=1)),  # running now
    ):
        Booking.objects.create(
            venue=tree["a"].venue, space=tree["corner"], user=alice,
            created_by=alice, start_time=start, end_time=end, title="Earlier",
        )  # fmt: skip
    mine = Booking.objects.filter(user=alice, space=tree["a"]).order_by("start_time")
    client_for(alice).delete(f"/api/v1/bookings/{mine[2].id}/")
    kwargs = {
        name: at(DAY + timedelta(days=value), "00:00") if name != "status" else value
        for name, value in filters.items()
    }
    ours = MyBookingsPage(user=alice, **kwargs)
    orm = booking_list_for_user(user=alice, **kwargs)
    counted = as_counted_json_texts(orm)
    assert ours.count() == orm.count()
    for offset, limit in ((0, 100), (0, 3), (3, 3), (6, 3), (9, 3), (50, 10)):
        assert ours[offset : offset + limit] == list(counted[offset : offset + limit])
    if not filters:  # upcoming only: what has not ended, the running one too
        shown = [json.loads(text)["title"] for _total, text in ours[0:100]]
        assert len(shown) == 8 + 2 + 1
        assert shown.count("Earlier") == 1
