"""Waiting lists under real concurrency: cancellations racing new sales,
joins, leaves and each other's promotions.

Every thread has its own PostgreSQL connection, released by a barrier
(`run_together`). Assertions are exact, on the final tables: never more sold
than the capacity, nobody promoted twice, first come first served kept.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from django.db.models import Sum

from tests.conftest import make_organization, make_user, make_venue
from tests.events.helpers import make_event
from tests.events.test_concurrency import run_together
from venueos.accounts.models import Role
from venueos.common.problems import Problem
from venueos.events import services, waitlist
from venueos.events.models import (
    Event,
    Registration,
    WaitlistEntry,
    WaitlistStatus,
)
from venueos.events.selectors import oversold_events

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def patient_locks(settings):
    """Many threads share one interpreter on two CPUs: lock waits can outlast
    the production timeout for the harness's reasons (as in test_concurrency)."""
    settings.VENUEOS_LOCK_TIMEOUT_MS = 30_000


def _outcome(call):
    def job():
        try:
            result = call()
            return 201, result
        except Problem as problem:
            return problem.status, problem.slug

    return lambda: job


def _sold_out(capacity: int, holders: int | None = None):
    venue = make_venue(make_organization(), max_capacity=1000)
    event = make_event(venue, capacity=capacity)
    registrations = [
        services.registration_create(event=event, actor=make_user(), quantity=1)
        for _ in range(holders or capacity)
    ]
    return event, registrations


def _queue(event, quantities) -> list[WaitlistEntry]:
    return [
        waitlist.waitlist_join(event=event, actor=make_user(), quantity=quantity)
        for quantity in quantities
    ]


def _active_sum(event) -> int:
    return (
        Registration.objects.filter(event=event, status="active").aggregate(
            total=Sum("quantity")
        )["total"]
        or 0
    )


def _assert_never_oversold(event) -> int:
    sold = Event.objects.values_list("tickets_sold", flat=True).get(pk=event.pk)
    assert sold == _active_sum(event) <= event.capacity
    assert oversold_events() == []
    return sold


def _assert_promoted_once(event) -> list[WaitlistEntry]:
    """Every promoted entry has its own active registration of its quantity,
    for its person; nobody holds two active registrations."""
    promoted = list(
        WaitlistEntry.objects.filter(event=event, status=WaitlistStatus.PROMOTED)
        .select_related("registration")
        .order_by("seq")
    )
    for entry in promoted:
        registration = entry.registration
        assert registration.attendee_id == entry.attendee_id
        assert registration.quantity == entry.quantity
        assert registration.status == "active"
    assert len({entry.registration_id for entry in promoted}) == len(promoted)
    per_person = Counter(
        Registration.objects.filter(event=event, status="active").values_list(
            "attendee_id", flat=True
        )
    )
    assert max(per_person.values(), default=0) <= 1
    return promoted


def _assert_first_come_first_served(event) -> None:
    """No entry still waiting was passed by a later one that needed as many
    places or more: when that one was promoted, this one would have fitted."""
    entries = list(WaitlistEntry.objects.filter(event=event).order_by("seq"))
    for earlier, later in itertools.combinations(entries, 2):
        if earlier.status == WaitlistStatus.WAITING and (
            later.status == WaitlistStatus.PROMOTED
        ):
            assert later.quantity < earlier.quantity, (earlier.seq, later.seq)


def test_simultaneous_cancellations_promote_the_head_of_the_queue_in_order():
    capacity = 40
    event, registrations = _sold_out(capacity)
    entries = _queue(event, [1] * 60)
    cancelling = registrations[:30]
    results, _ = run_together(
        [
            _outcome(
                lambda r=registration: services.registration_cancel(
                    registration=r, actor=r.attendee
                )
            )
            for registration in cancelling
        ]
    )
    assert [code for code, _ in results] == [201] * len(cancelling)
    statuses = [
        status
        for status in WaitlistEntry.objects.filter(event=event)
        .order_by("seq")
        .values_list("status", flat=True)
    ]
    # Exactly the first 30 in the queue got the 30 freed places, none twice.
    assert statuses == ["promoted"] * 30 + ["waiting"] * 30
    assert [entry.id for entry in _assert_promoted_once(event)] == [
        entry.id for entry in entries[:30]
    ]
    assert _assert_never_oversold(event) == capacity


def test_cancellations_race_new_sales_joins_and_leaves():
    """Cancellations free places while new buyers try to register, new people
    join the queue and some of the waiting leave, all at once."""
    capacity = 30
    event, registrations = _sold_out(capacity)
    quantities = [1, 2, 3, 1, 1, 2, 4, 1, 3, 1, 2, 1, 1, 5, 1, 2, 1, 1, 3, 1]
    entries = _queue(event, quantities)
    admin = make_user(Role.ADMIN)
    jobs = [
        _outcome(
            lambda r=registration: services.registration_cancel(
                registration=r, actor=admin
            )
        )
        for registration in registrations[:20]
    ]
    buyers = [make_user() for _ in range(40)]
    jobs += [
        _outcome(
            lambda b=buyer: services.registration_create(
                event=event, actor=b, quantity=1
            )
        )
        for buyer in buyers
    ]
    joiners = [make_user() for _ in range(20)]
    jobs += [
        _outcome(
            lambda j=joiner: waitlist.waitlist_join(event=event, actor=j, quantity=1)
        )
        for joiner in joiners
    ]
    leavers = entries[5::4]
    jobs += [
        _outcome(lambda e=entry: waitlist.waitlist_leave(entry=e, actor=e.attendee))
        for entry in leavers
    ]
    results, _ = run_together(jobs)

    cancels, sales = results[:20], results[20:60]
    joins, leaves = results[60:80], results[80:]
    assert {code for code, _ in cancels} == {201}
    assert {code for code, _ in leaves} <= {201, 409}  # 409: promoted first
    assert {slug for code, slug in sales if code != 201} <= {"sold-out"}
    assert {slug for code, slug in joins if code != 201} <= {"not-sold-out"}
    sold = _assert_never_oversold(event)
    promoted = _assert_promoted_once(event)
    _assert_first_come_first_served(event)
    # The 20 freed places went to the queue or to buyers; a place left free
    # fits nobody still waiting.
    direct = sum(1 for code, _ in sales if code == 201)
    free = capacity - sold
    assert sum(entry.quantity for entry in promoted) + direct == 20 - free
    waiting = WaitlistEntry.objects.filter(event=event, status="waiting")
    assert all(entry.quantity > free for entry in waiting)
    assert WaitlistEntry.objects.filter(event=event).count() == len(entries) + sum(
        1 for code, _ in joins if code == 201
    )
    for entry, (code, _) in zip(leavers, leaves, strict=True):
        entry.refresh_from_db()
        assert entry.status == ("left" if code == 201 else "promoted")


def test_a_promotion_and_a_leave_of_the_same_entry_never_both_happen():
    pairs = 25
    venue = make_venue(make_organization(), max_capacity=1000)
    jobs, subjects = [], []
    for _ in range(pairs):
        event = make_event(venue, capacity=1)
        holder = services.registration_create(event=event, actor=make_user())
        (entry,) = _queue(event, [1])
        subjects.append((event, entry))
        jobs.append(
            _outcome(
                lambda r=holder: services.registration_cancel(
                    registration=r, actor=r.attendee
                )
            )
        )
        jobs.append(
            _outcome(lambda e=entry: waitlist.waitlist_leave(entry=e, actor=e.attendee))
        )
    results, _ = run_together(jobs)
    for index, (event, entry) in enumerate(subjects):
        cancel, leave = results[2 * index], results[2 * index + 1]
        assert cancel[0] == 201
        entry.refresh_from_db()
        if leave[0] == 201:
            assert entry.status == "left"
            assert Event.objects.get(pk=event.pk).tickets_sold == 0
        else:
            assert leave == (409, "already-promoted")
            assert entry.status == "promoted"
            assert Event.objects.get(pk=event.pk).tickets_sold == 1
        _assert_promoted_once(event)
    assert oversold_events() == []
