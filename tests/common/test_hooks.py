"""The Hook extension point: receivers in connection order, connected once,
refusals propagate."""

from __future__ import annotations

import pytest

from venueos.common.hooks import Hook


def test_receivers_run_in_connection_order_with_the_arguments():
    hook = Hook("test.ordered")
    calls = []
    hook.connect(lambda **kw: calls.append(("first", kw)))
    hook.connect(lambda **kw: calls.append(("second", kw)))
    hook(space="hall")
    assert calls == [("first", {"space": "hall"}), ("second", {"space": "hall"})]


def test_a_receiver_is_connected_once_and_can_be_disconnected():
    hook = Hook("test.once")
    calls = []

    def receiver(**kw):
        calls.append(kw)

    assert hook.connect(receiver) is receiver
    hook.connect(receiver)
    hook()
    hook.disconnect(receiver)
    hook.disconnect(receiver)
    hook()
    assert calls == [{}]
    assert hook.receivers == ()


def test_a_refusal_stops_the_later_receivers():
    hook = Hook("test.refusal")
    calls = []

    def refuse(**kw):
        raise PermissionError("no")

    hook.connect(refuse)
    hook.connect(lambda **kw: calls.append(kw))
    with pytest.raises(PermissionError):
        hook()
    assert calls == []


def test_connected_is_for_the_block_only():
    hook = Hook("test.block")

    def receiver(**kw):
        pass

    with hook.connected(receiver):
        assert hook.receivers == (receiver,)
    assert hook.receivers == ()
