"""The hub's bookkeeping, without a database: who sees what, no id twice,
and a client too far behind is let go (it reconnects and replays)."""

from __future__ import annotations

from datetime import timedelta

from venueos.realtime.hub import CLOSE, Change, Hub, Listener, Reset

VENUE = "11111111-1111-1111-1111-111111111111"
ORG = "22222222-2222-2222-2222-222222222222"
OWNER = "33333333-3333-3333-3333-333333333333"


def change(change_id: int, *, public=True, user_id=None, kind="booking.created"):
    return Change(change_id, kind, ORG, VENUE, None, user_id, public, {"n": change_id})


def test_a_listener_sees_public_changes_its_own_and_all_when_privileged():
    anonymous = Listener(("venue", VENUE), None, False)
    owner = Listener(("venue", VENUE), OWNER, False)
    manager = Listener(("venue", VENUE), "someone", True)
    private = change(1, public=False, user_id=OWNER)
    assert not anonymous.may_see(private)
    assert owner.may_see(private)
    assert manager.may_see(private)
    assert all(x.may_see(change(2)) for x in (anonymous, owner, manager))
    assert not owner.may_see(change(3, public=False, user_id=None))


def test_dispatch_hands_each_id_once_and_only_to_its_channels():
    hub = Hub("", retention=timedelta(hours=1))
    hub.position = 0
    here = Listener(("venue", VENUE), None, False)
    elsewhere = Listener(("venue", "44444444-4444-4444-4444-444444444444"), None, False)
    everyone = Listener(("organization", ORG), None, True)
    for listener in (here, elsewhere, everyone):
        hub.subscribe(listener)
    for change_id in (1, 2, 2, 1, 3):  # a catch-up and NOTIFYs overlapping
        hub.dispatch(change(change_id))
    assert [c.id for c in here.pending] == [1, 2, 3]
    assert [c.id for c in everyone.pending] == [1, 2, 3]
    assert not elsewhere.pending
    hub.unsubscribe(here)
    hub.dispatch(change(4))
    assert [c.id for c in here.pending] == [1, 2, 3]
    assert [c.id for c in everyone.pending] == [1, 2, 3, 4]


def test_a_listener_too_far_behind_is_closed_rather_than_buffered_forever():
    listener = Listener(("venue", VENUE), None, False, backlog_limit=3)
    for change_id in range(1, 4):
        listener.push(change(change_id))
    listener.push(change(4))
    assert list(listener.pending) == [CLOSE]
    listener.push(change(5))  # nothing after the end
    assert list(listener.pending) == [CLOSE]
    assert listener.wakeup.is_set()


def test_a_reset_carries_the_position_it_was_issued_at():
    hub = Hub("", retention=timedelta(hours=1))
    hub.position = 5
    listener = Listener(("venue", VENUE), None, False)
    hub.subscribe(listener)
    hub._lost(newest=40)
    hub.dispatch(change(41))
    assert list(listener.pending) == [Reset(40), change(41)]
