"""A stream ends after `VENUEOS_STREAM_MAX_SECONDS`, so a client reconnects
(with `Last-Event-ID`, missing nothing) and its permissions are checked again."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import make_user
from tests.events.helpers import make_event
from tests.realtime.helpers import WAIT, Listener
from tests.realtime.test_stream import bearer, touch_event
from tests.servers import serve
from venueos.accounts.models import Role

pytestmark = pytest.mark.django_db(transaction=True)

LIFETIME = 1.5


@pytest.fixture(scope="module")
def short_lived(db_url):
    with serve(
        db_url,
        workers=1,
        VENUEOS_STREAM_HEARTBEAT_SECONDS="0.5",
        VENUEOS_STREAM_MAX_SECONDS=str(LIFETIME),
    ) as base:
        yield base


def _ended(listener: Listener) -> bool:
    return not listener._thread.is_alive()


def _wait_for_end(listener: Listener) -> float:
    started = time.monotonic()
    listener._thread.join(WAIT)
    assert _ended(listener), "the stream did not end"
    return time.monotonic() - started


def test_a_stream_ends_after_its_lifetime_and_the_reconnect_misses_nothing(
    short_lived, db_url, venue
):
    event = make_event(venue)
    listener = Listener(short_lived, event_id=str(event.pk))
    try:
        assert listener.status == 200
        touch_event(db_url, event)
        seen = listener.next().id
        _wait_for_end(listener)
        # Heartbeats kept it open until its lifetime was over.
        assert listener.heartbeats >= 1
    finally:
        listener.close()
    touch_event(db_url, event)
    touch_event(db_url, event)
    with Listener(
        short_lived, headers={"Last-Event-ID": str(seen)}, event_id=str(event.pk)
    ) as again:
        replayed = again.take(2)
        assert [m.event for m in replayed] == ["event.updated", "event.updated"]
        assert replayed[0].id > seen


def test_the_reconnect_checks_the_token_again(short_lived, org, venue):
    manager = make_user(Role.MANAGER, organization=org)
    headers = bearer(manager)
    listener = Listener(short_lived, headers=headers, organization_id=str(org.pk))
    try:
        assert listener.status == 200
        manager.is_active = False
        manager.save(update_fields=["is_active"])
        _wait_for_end(listener)
    finally:
        listener.close()
    refused = httpx.get(
        f"{short_lived}/api/v1/stream/",
        params={"organization_id": str(org.pk)},
        headers=headers,
        timeout=WAIT,
    )
    assert refused.status_code in (401, 403)
