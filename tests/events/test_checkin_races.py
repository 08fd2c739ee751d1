"""Check-in under real concurrency: the same code scanned at two gates at the
same instant, and a ticket cancelled while it is scanned."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from tests.conftest import make_organization, make_user, make_venue
from tests.events.helpers import make_event
from tests.events.test_concurrency import run_together
from venueos.accounts.models import Role
from venueos.common.problems import Problem
from venueos.events import checkin, services
from venueos.events.models import CheckIn, Registration
from venueos.venues.models import Gate

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def patient_locks(settings):
    settings.VENUEOS_LOCK_TIMEOUT_MS = 30_000


def _outcome(call):
    def job():
        try:
            return 201, call()
        except Problem as problem:
            return problem.status, problem.as_dict()

    return lambda: job


def _event_today(tickets: int):
    organization = make_organization()
    venue = make_venue(organization, max_capacity=1000)
    event = make_event(venue, capacity=1000, starts_in=timedelta(minutes=30))
    registrations = [
        services.registration_create(event=event, actor=make_user(), quantity=1 + i % 3)
        for i in range(tickets)
    ]
    manager = make_user(Role.MANAGER, organization=organization)
    return venue, event, registrations, manager


def test_two_gates_scanning_one_code_at_once_admit_it_once():
    venue, event, registrations, manager = _event_today(60)
    north = Gate.objects.create(venue=venue, name="North gate")
    south = Gate.objects.create(venue=venue, name="South gate")
    jobs = [
        _outcome(
            lambda r=registration, g=gate: checkin.checkin_create(
                event=event, actor=manager, code=r.code, gate=g
            )
        )
        for registration in registrations
        for gate in (north, south)
    ]
    results, _ = run_together(jobs)
    assert Counter(code for code, _ in results) == {201: 60, 409: 60}
    for index, registration in enumerate(registrations):
        pair = results[2 * index : 2 * index + 2]
        (won,) = [body for code, body in pair if code == 201]
        (lost,) = [body for code, body in pair if code == 409]
        assert lost["type"].endswith("/already-checked-in")
        assert lost["gate_id"] == str(won.gate_id)
        assert lost["checked_in_at"].replace("Z", "+00:00") == (
            won.checked_in_at.isoformat()
        )
        assert won.quantity == registration.quantity
    assert CheckIn.objects.filter(event=event).count() == 60
    assert checkin.checkin_counts(event, user=manager)["total"] == 60


def test_a_ticket_cancelled_while_scanned_is_either_used_or_cancelled():
    venue, event, registrations, manager = _event_today(40)
    jobs = []
    for registration in registrations:
        jobs.append(
            _outcome(
                lambda r=registration: checkin.checkin_create(
                    event=event, actor=manager, code=r.code
                )
            )
        )
        jobs.append(
            _outcome(
                lambda r=registration: services.registration_cancel(
                    registration=r, actor=r.attendee
                )
            )
        )
    results, _ = run_together(jobs)
    for index, registration in enumerate(registrations):
        scan, cancel = results[2 * index], results[2 * index + 1]
        registration = Registration.objects.get(pk=registration.pk)
        admitted = CheckIn.objects.filter(registration=registration).exists()
        if scan[0] == 201:
            assert cancel[0] == 409 and cancel[1]["type"].endswith("/checked-in")
            assert registration.status == "active" and admitted
        else:
            assert scan[1]["type"].endswith("/registration-cancelled")
            assert cancel[0] == 201
            assert registration.status == "cancelled" and not admitted
