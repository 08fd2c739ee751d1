"""The reusable Idempotency-Key helper (venueos.common.idempotency)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from tests.conftest import make_user
from venueos.common import idempotency
from venueos.common.idempotency import idempotent_response
from venueos.common.models import IdempotencyRecord
from venueos.common.problems import (
    Conflict,
    IdempotencyMismatch,
    InvalidInput,
    ServiceUnavailable,
)


class Producer:
    """A produce() callable that counts its calls."""

    def __init__(self, status=201, body=None, raises=None):
        self.calls = 0
        self.status = status
        self.body = body if body is not None else {"id": "first"}
        self.raises = raises

    def __call__(self):
        self.calls += 1
        if self.raises is not None:
            raise self.raises
        return self.status, {**self.body, "call": self.calls}


def _call(user, producer, *, key="key-1", payload=None, scope="test.create"):
    return idempotent_response(
        user=user,
        scope=scope,
        key=key,
        payload=payload if payload is not None else {"quantity": 1},
        produce=producer,
    )


@pytest.mark.django_db
class TestIdempotentResponse:
    def test_a_retry_with_the_same_key_replays_the_first_response(self):
        user = make_user()
        producer = Producer()
        first = _call(user, producer)
        second = _call(user, producer)
        assert first == (201, {"id": "first", "call": 1}, False)
        assert second == (201, {"id": "first", "call": 1}, True)
        assert producer.calls == 1
        assert IdempotencyRecord.objects.count() == 1

    def test_the_same_key_with_another_body_is_a_422(self):
        user = make_user()
        producer = Producer()
        _call(user, producer, payload={"quantity": 1})
        with pytest.raises(IdempotencyMismatch) as caught:
            _call(user, producer, payload={"quantity": 2})
        assert caught.value.status == 422
        assert producer.calls == 1

    def test_payload_key_order_does_not_change_the_hash(self):
        user = make_user()
        producer = Producer()
        _call(user, producer, payload={"a": 1, "b": 2})
        assert _call(user, producer, payload={"b": 2, "a": 1})[2] is True

    def test_a_refusal_is_stored_and_replayed_as_the_same_problem(self):
        user = make_user()
        producer = Producer(raises=Conflict("Sold out.", slug="sold-out", available=0))
        status, body, replayed = _call(user, producer)
        assert (status, replayed) == (409, False)
        assert body["type"].endswith("/sold-out") and body["available"] == 0
        assert _call(user, producer) == (409, body, True)
        assert producer.calls == 1

    def test_server_errors_are_not_stored_so_a_retry_runs_again(self):
        user = make_user()
        failing = Producer(raises=ServiceUnavailable("Database away."))
        with pytest.raises(ServiceUnavailable):
            _call(user, failing)
        crashing = Producer(raises=RuntimeError("boom"))
        with pytest.raises(RuntimeError):
            _call(user, crashing)
        assert not IdempotencyRecord.objects.exists()
        working = Producer()
        assert _call(user, working) == (201, {"id": "first", "call": 1}, False)

    def test_keys_are_separate_per_user_and_per_scope(self):
        alice, bob = make_user(), make_user()
        producer = Producer()
        assert _call(alice, producer)[2] is False
        assert _call(bob, producer)[2] is False
        assert _call(alice, producer, scope="other.create")[2] is False
        assert producer.calls == 3

    def test_records_older_than_24_hours_are_ignored_and_replaced(self):
        user = make_user()
        producer = Producer()
        _call(user, producer)
        IdempotencyRecord.objects.update(
            created_at=timezone.now() - timedelta(hours=24, minutes=1)
        )
        status, body, replayed = _call(user, producer, payload={"quantity": 5})
        assert (status, body["call"], replayed) == (201, 2, False)
        assert IdempotencyRecord.objects.get().response_body["call"] == 2

    def test_a_key_of_255_characters_is_accepted_and_256_is_a_400(self):
        user = make_user()
        assert _call(user, Producer(), key="k" * 255)[0] == 201
        with pytest.raises(InvalidInput) as caught:
            _call(user, Producer(), key="k" * 256)
        assert caught.value.status == 400

    def test_an_empty_key_is_a_400(self):
        with pytest.raises(InvalidInput):
            _call(make_user(), Producer(), key="")

    def test_the_advisory_lock_is_released_after_every_outcome(self):
        user = make_user()
        _call(user, Producer())
        with pytest.raises(RuntimeError):
            _call(user, Producer(raises=RuntimeError("boom")), key="key-2")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid()"
            )
            assert cursor.fetchone()[0] == 0


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_produce_exactly_once():
    user = make_user()
    threads_count = 20
    barrier = threading.Barrier(threads_count)
    calls = []
    results = []
    lock = threading.Lock()

    def produce():
        with lock:
            calls.append(1)
        time.sleep(0.05)  # widen the window in which a second call could slip in
        return 201, {"id": "only-one"}

    def worker():
        try:
            barrier.wait()
            outcome = idempotent_response(
                user=user, scope="test.race", key="same", payload={}, produce=produce
            )
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len(results) == threads_count
    assert {(status, body["id"]) for status, body, _ in results} == {(201, "only-one")}
    assert sum(1 for *_, replayed in results if not replayed) == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_a_key_held_too_long_by_another_request_is_a_409(monkeypatch):
    user = make_user()
    monkeypatch.setattr(idempotency, "LOCK_WAIT_SECONDS", 0.2)
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(hashtextextended(%s, 0))",
                [f"venueos.idempotency:{user.pk}|test.create|held"],
            )
        producer = Producer()
        with pytest.raises(Conflict) as caught:
            _call(user, producer, key="held")
        assert caught.value.slug == "idempotency-key-in-use"
        assert producer.calls == 0
    finally:
        holder.close()
