"""`GET /api/v1/stream/` end to end: a real `venueos serve` (2 workers), real
commits in the test database, real HTTP clients reading server-sent events."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import httpx
import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.bookings.helpers import at, future_day, iso
from tests.conftest import (
    PASSWORD,
    make_organization,
    make_space,
    make_user,
    make_venue,
)
from tests.events.helpers import make_event
from tests.realtime.helpers import WAIT, Listener
from tests.servers import serve
from venueos.accounts.models import Role
from venueos.accounts.services import token_create
from venueos.bookings.services import booking_create
from venueos.events.models import EventStatus
from venueos.events.services import event_transition, event_update
from venueos.realtime.hub import PRUNE_SQL
from venueos.realtime.models import Change

pytestmark = pytest.mark.django_db(transaction=True)

_hours = iter(range(10_000))


def bearer(user) -> dict:
    _, raw = token_create(email=user.email, password=PASSWORD)
    return {"Authorization": f"Bearer {raw}"}


def book(actor, room, title="Secret merger talks"):
    """A booking in its own hour, so that bookings never collide."""
    n = next(_hours)
    day = future_day(20 + n // 10)
    hour = 8 + n % 10
    return booking_create(
        actor=actor,
        space=room,
        start_time=at(day, f"{hour}:00"),
        end_time=at(day, f"{hour + 1}:00"),
        title=title,
    )


def raw_connection(db_url, autocommit=False) -> psycopg.Connection:
    return psycopg.connect(db_url, autocommit=autocommit)


def touch_event(db_url, event, rollback=False) -> None:
    with raw_connection(db_url) as conn, conn.transaction(force_rollback=rollback):
        conn.execute(
            "UPDATE events_event SET capacity = capacity + 1 WHERE id = %s", [event.pk]
        )


def test_a_committed_booking_reaches_a_listener_and_a_rollback_never_does(
    stream_server, db_url, customer, venue
):
    room = make_space(venue)
    event = make_event(venue)
    with Listener(stream_server, venue_id=str(venue.pk)) as listener:
        assert listener.status == 200
        assert listener.content_type.startswith("text/event-stream")
        touch_event(db_url, event, rollback=True)
        booking = book(customer, room)
        message = listener.next()
        # The rolled-back change would have come first: it never does.
        assert message.event == "availability.changed"
        assert message.data["intervals"][0]["space_id"] == str(room.pk)
        assert message.data["intervals"][0]["busy"] is True
        assert str(booking.pk) not in bytes(listener.raw).decode()


def test_heartbeat_comments_keep_a_quiet_stream_open(stream_server, venue):
    with Listener(stream_server, venue_id=str(venue.pk)) as listener:
        deadline = time.monotonic() + WAIT
        while listener.heartbeats < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert listener.heartbeats >= 2


def test_concurrent_commits_arrive_exactly_once_in_order_and_replay_fills_a_drop(
    stream_server, db_url, manager, venue
):
    """Eight writers commit in interleaved order (each sleeps between its write
    and its commit); every listener gets every committed change once, in id
    order, and one that drops halfway resumes with Last-Event-ID and misses
    nothing."""
    events = [make_event(venue) for _ in range(8)]
    before = Change.objects.latest("id").id
    headers = bearer(manager)
    steady = Listener(stream_server, headers=headers, venue_id=str(venue.pk))
    organization = Listener(
        stream_server, headers=headers, organization_id=str(venue.organization_id)
    )
    dropping = Listener(stream_server, headers=headers, venue_id=str(venue.pk))
    start = threading.Barrier(len(events))
    rounds = 15

    def writer(event, seed):
        chance = random.Random(seed)
        with raw_connection(db_url) as conn:
            start.wait()
            for _ in range(rounds):
                conn.execute(
                    "UPDATE events_event SET capacity = capacity + 1 WHERE id = %s",
                    [event.pk],
                )
                time.sleep(chance.random() * 0.01)
                conn.commit()

    threads = [
        threading.Thread(target=writer, args=(event, n))
        for n, event in enumerate(events)
    ]
    for thread in threads:
        thread.start()
    first_half = dropping.take(len(events) * rounds // 2)
    dropping.close()
    for thread in threads:
        thread.join(WAIT * 3)
    expected = list(
        Change.objects.filter(venue_id=venue.pk, id__gt=before)
        .order_by("id")
        .values_list("id", flat=True)
    )
    assert len(expected) == len(events) * rounds
    with steady, organization:
        assert [m.id for m in steady.take(len(expected))] == expected
        assert [m.id for m in organization.take(len(expected))] == expected
    with Listener(
        stream_server,
        headers={**headers, "Last-Event-ID": str(first_half[-1].id)},
        venue_id=str(venue.pk),
    ) as resumed:
        second_half = resumed.take(len(expected) - len(first_half))
    assert [m.id for m in first_half + second_half] == expected


def test_last_event_id_replays_what_was_missed_then_continues_live(
    stream_server, db_url, venue
):
    event = make_event(venue)
    with Listener(stream_server, event_id=str(event.pk)) as listener:
        touch_event(db_url, event)
        seen = listener.next().id
    for _ in range(3):
        touch_event(db_url, event)
    missed = list(
        Change.objects.filter(event_id=event.pk, id__gt=seen)
        .order_by("id")
        .values_list("id", flat=True)
    )
    assert len(missed) == 3
    with Listener(
        stream_server, headers={"Last-Event-ID": str(seen)}, event_id=str(event.pk)
    ) as listener:
        assert [m.id for m in listener.take(3)] == missed
        touch_event(db_url, event)
        live = listener.next()
        assert live.id > missed[-1] and live.event == "event.updated"
    # The parameter works as the header does (for a new EventSource).
    with Listener(
        stream_server, event_id=str(event.pk), last_event_id=str(missed[0])
    ) as listener:
        assert [m.id for m in listener.take(2)] == missed[1:]


def test_a_last_event_id_older_than_the_log_gets_a_reset(stream_server, db_url, venue):
    event = make_event(venue)
    touch_event(db_url, event)
    old = Change.objects.filter(event_id=event.pk).latest("id").id
    touch_event(db_url, event)
    with raw_connection(db_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE realtime_change SET created_at = now() - interval '3 days'"
        )
        conn.execute(PRUNE_SQL, [timedelta(days=1)])
    assert not Change.objects.exists()
    with Listener(
        stream_server, headers={"Last-Event-ID": str(old)}, event_id=str(event.pk)
    ) as listener:
        reset = listener.next()
        assert reset.event == "reset"
        assert reset.id > old
        touch_event(db_url, event)
        assert listener.next().event == "event.updated"  # and it carries on


def test_a_last_event_id_this_database_never_issued_gets_a_reset(stream_server, venue):
    with Listener(
        stream_server,
        headers={"Last-Event-ID": "999999999999"},
        venue_id=str(venue.pk),
    ) as listener:
        assert listener.next().event == "reset"


def test_the_listen_connection_coming_back_misses_nothing_and_repeats_nothing(
    stream_server, db_url, venue
):
    event = make_event(venue)
    with Listener(stream_server, event_id=str(event.pk)) as listener:
        touch_event(db_url, event)
        before = listener.next().id
        with raw_connection(db_url, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'venueos-stream' "
                "AND datname = current_database()"
            ).fetchone()[0]
        assert killed >= 1
        touch_event(db_url, event)  # while the hubs reconnect
        touch_event(db_url, event)
        expected = list(
            Change.objects.filter(event_id=event.pk, id__gt=before)
            .order_by("id")
            .values_list("id", flat=True)
        )
        assert [m.id for m in listener.take(2)] == expected
        touch_event(db_url, event)
        assert listener.next().id > expected[-1]


# --- privacy ----------------------------------------------------------------


def test_each_kind_of_listener_sees_only_what_it_may(stream_server, manager, venue):
    room = make_space(venue)
    owner = make_user(Role.CUSTOMER, full_name="Ada Owner")
    stranger = make_user(Role.CUSTOMER)
    admin = make_user(Role.ADMIN)
    outsider = make_user(Role.MANAGER, organization=make_organization())
    params = {"venue_id": str(venue.pk)}
    listeners = {
        "anonymous": Listener(stream_server, **params),
        "owner": Listener(stream_server, headers=bearer(owner), **params),
        "stranger": Listener(stream_server, headers=bearer(stranger), **params),
        "other manager": Listener(stream_server, headers=bearer(outsider), **params),
        "manager": Listener(stream_server, headers=bearer(manager), **params),
        "admin": Listener(stream_server, headers=bearer(admin), **params),
    }
    mine = book(owner, room, title="Ada's secret surgery")
    book(stranger, room, title="Stranger's secret")
    expected = {
        "anonymous": ["availability.changed"] * 2,
        "stranger": ["availability.changed", "booking.created", "availability.changed"],
        "other manager": ["availability.changed"] * 2,
        "owner": ["booking.created", "availability.changed", "availability.changed"],
        "manager": ["booking.created", "availability.changed"] * 2,
        "admin": ["booking.created", "availability.changed"] * 2,
    }
    try:
        for who, listener in listeners.items():
            got = listener.take(len(expected[who]))
            assert [m.event for m in got] == expected[who], who
            created = [m for m in got if m.event == "booking.created"]
            if who == "owner":
                assert [m.data["booking_id"] for m in created] == [str(mine.pk)]
            for message in got:
                if message.event == "availability.changed":
                    assert set(message.data) == {"venue_id", "intervals"}
            text = bytes(listener.raw).decode()
            for private in ("secret", "Ada", owner.email, stranger.email):
                assert private not in text, (who, private)
    finally:
        for listener in listeners.values():
            listener.close()


def test_a_session_cookie_signs_the_stream_in(stream_server, manager, customer, venue):
    browser = Client()
    browser.force_login(manager)
    cookie = browser.cookies["sessionid"].value
    room = make_space(venue)
    with Listener(
        stream_server, headers={"Cookie": f"sessionid={cookie}"}, venue_id=str(venue.pk)
    ) as listener:
        book(customer, room)
        assert listener.next().event == "booking.created"


def test_drafts_are_not_announced_to_the_public(stream_server, db_url, manager, venue):
    draft = make_event(venue, status=EventStatus.DRAFT)
    anonymous = Listener(stream_server, event_id=str(draft.pk))
    assert anonymous.status == 404
    assert anonymous.content_type == "application/problem+json"
    public = Listener(stream_server, venue_id=str(venue.pk))
    staff = Listener(stream_server, headers=bearer(manager), event_id=str(draft.pk))
    with public, staff:
        event_update(event=draft, actor=manager, capacity=77)
        draft.refresh_from_db()
        event_transition(event=draft, actor=manager, status=EventStatus.PUBLISHED)
        first = public.next()
        assert first.event == "event.status_changed"  # not the draft's update
        assert first.data["status"] == "published"
        assert [m.event for m in staff.take(2)] == [
            "event.updated",
            "event.status_changed",
        ]


def test_an_organization_stream_is_for_its_managers_and_admins(
    stream_server, manager, customer, venue
):
    organization = str(venue.organization_id)
    outsider = make_user(Role.MANAGER, organization=make_organization())
    refusals = [
        ({}, 401),
        (bearer(customer), 403),
        (bearer(outsider), 403),
        ({"Authorization": "Bearer vos_not-a-token"}, 401),
    ]
    for headers, status in refusals:
        with Listener(
            stream_server, headers=headers, organization_id=organization
        ) as listener:
            assert listener.status == status
            assert listener.content_type == "application/problem+json"
            assert listener.problem()["status"] == status
    with Listener(
        stream_server,
        headers=bearer(manager),
        organization_id="00000000-0000-0000-0000-000000000000",
    ) as unknown:
        assert unknown.status == 404
    room = make_space(make_venue(venue.organization))
    with Listener(
        stream_server, headers=bearer(manager), organization_id=organization
    ) as listener:
        assert listener.status == 200
        book(customer, room)
        assert listener.next().event == "booking.created"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "venue_id=not-a-uuid",
        "venue_id=00000000-0000-0000-0000-000000000000&event_id=00000000-0000-0000-0000-000000000000",
        "venue_id={venue}&venue_id={venue}",
        "venue_id={venue}&last_event_id=abc",
        "venue_id=%00",
    ],
)
def test_invalid_parameters_are_400_problems(stream_server, venue, query):
    url = f"{stream_server}/api/v1/stream/?{query.format(venue=venue.pk)}"
    response = httpx.get(url, timeout=WAIT)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 400


def test_an_archived_venue_streams_to_its_managers_only(stream_server, manager, venue):
    type(venue).objects.filter(pk=venue.pk).update(archived_at=timezone.now())
    with Listener(stream_server, venue_id=str(venue.pk)) as public:
        assert public.status == 404
    with Listener(
        stream_server, headers=bearer(manager), venue_id=str(venue.pk)
    ) as staff:
        assert staff.status == 200


def test_unknown_things_and_other_methods_are_problems(stream_server, venue):
    unknown = "00000000-0000-0000-0000-000000000000"
    for query in (f"venue_id={unknown}", f"event_id={unknown}"):
        response = httpx.get(f"{stream_server}/api/v1/stream/?{query}", timeout=WAIT)
        assert response.status_code == 404
        assert response.json()["status"] == 404
    posted = httpx.post(
        f"{stream_server}/api/v1/stream/?venue_id={venue.pk}", timeout=WAIT
    )
    assert posted.status_code == 405
    bad_header = httpx.get(
        f"{stream_server}/api/v1/stream/?venue_id={venue.pk}",
        headers={"Last-Event-ID": "yesterday"},
        timeout=WAIT,
    )
    assert bad_header.status_code == 400


# --- across processes and servers --------------------------------------------


def test_every_worker_delivers_a_change_made_in_any_process(
    stream_server, customer, venue
):
    """Listeners spread over the server's two workers (the kernel picks one per
    connection); the change is committed by this test process."""
    room = make_space(venue)
    listeners = [Listener(stream_server, venue_id=str(venue.pk)) for _ in range(8)]
    try:
        book(customer, room)
        ids = {listener.next().id for listener in listeners}
        assert len(ids) == 1
    finally:
        for listener in listeners:
            listener.close()


def test_a_change_through_one_server_reaches_a_listener_on_another(
    stream_server, db_url, customer, venue
):
    room = make_space(venue)
    headers = bearer(customer)
    day = future_day(90)
    with serve(db_url, workers=1) as other_server:
        here = Listener(stream_server, venue_id=str(venue.pk))
        there = Listener(other_server, venue_id=str(venue.pk))
        with here, there:
            for server, start in ((other_server, "10:00"), (stream_server, "12:00")):
                created = httpx.post(
                    f"{server}/api/v1/bookings/",
                    json={
                        "space_id": str(room.pk),
                        "start_time": iso(at(day, start)),
                        "end_time": iso(at(day, start.replace(":00", ":30"))),
                        "title": "Across servers",
                    },
                    headers=headers,
                    timeout=WAIT,
                )
                assert created.status_code == 201, created.text
                assert here.next().id == there.next().id
    assert connection.is_usable()


def _stream_clients(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=WAIT).text
    (line,) = [x for x in text.splitlines() if x.startswith("venueos_stream_clients ")]
    return float(line.split()[1])


def _eventually(check) -> bool:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_open_streams_are_counted_in_the_metrics(stream_server, venue):
    listeners = [Listener(stream_server, venue_id=str(venue.pk)) for _ in range(3)]
    try:
        assert _eventually(lambda: _stream_clients(stream_server) >= 3)
    finally:
        for listener in listeners:
            listener.close()
    assert _eventually(lambda: _stream_clients(stream_server) == 0)
