"""Flash sales and races with real concurrent PostgreSQL connections.

Every thread uses its own connection (Django's are per thread) and closes it at
the end; a barrier releases them together. Assertions are exact, on the final
tables; timings are printed for the record (`-s`), never asserted.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from itertools import cycle, islice

import pytest
from django.db import connection, connections
from django.db.models import Sum
from rest_framework.test import APIClient

from tests.conftest import make_organization, make_user, make_venue
from tests.events.helpers import make_event
from venueos.accounts.models import Role, User
from venueos.audit.models import AuditEntry
from venueos.common.problems import Problem
from venueos.events import services
from venueos.events.models import Event, Registration
from venueos.events.selectors import oversold_events

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def patient_locks(settings):
    """Hundreds of threads share one interpreter (and two CPUs in CI), so a
    row-lock wait can outlast the production lock_timeout for reasons that are
    the test harness's, not the database's. These tests assert the sale logic;
    the lock-timeout path has its own test below, with a short timeout."""
    settings.VENUEOS_LOCK_TIMEOUT_MS = 30_000


PROBLEM = "https://venueos.dev/problems/"


def connection_budget() -> int:
    """How many connections the tests may open at once on this server: the
    embedded one allows 500, a stock PostgreSQL (like the local 15) only 100."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int"
            " - (SELECT count(*) FROM pg_stat_activity)"
        )
        return max(cursor.fetchone()[0] - 5, 2)


def run_together(jobs: list[Callable[[], Callable[[], object]]]) -> tuple[list, float]:
    """Run the jobs on as many threads (one connection each) as the server
    allows, up to one per job, all released at once by a barrier.

    A job is a setup function returning the work: setup (connecting, building
    an API client) happens before the barrier, so only the work races; a thread
    with several jobs runs their work one after the other. Returns the results
    in job order (an exception is returned, not raised) and the wall time from
    the release to the last finish."""
    threads_wanted = min(len(jobs), connection_budget())
    shares = [list(range(i, len(jobs), threads_wanted)) for i in range(threads_wanted)]
    barrier = threading.Barrier(threads_wanted + 1, timeout=120)
    results: list = [None] * len(jobs)

    def worker(indexes: list[int]) -> None:
        try:
            _warm_connection()
            works = [(index, jobs[index]()) for index in indexes]
        except Exception:
            barrier.abort()  # fail the test instead of leaving the others waiting
            connection.close()
            raise
        try:
            barrier.wait()
            for index, work in works:
                try:
                    results[index] = work()
                except Exception as exc:  # kept for the assertions
                    results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def _warm_connection() -> None:
    """Open the thread's connection and load the tables' metadata into the new
    server process, as a pooled connection would have, so the race measures
    the sale and not first-use catalog reads."""
    tables = [model._meta.db_table for model in (Event, Registration, AuditEntry)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {', '.join(tables)} LIMIT 0")


def _customers(count: int) -> list[User]:
    return [make_user(Role.CUSTOMER) for _ in range(count)]


def _active_sum(event: Event) -> int:
    return (
        Registration.objects.filter(event=event, status="active").aggregate(
            total=Sum("quantity")
        )["total"]
        or 0
    )


def _sold(event: Event) -> int:
    return Event.objects.values_list("tickets_sold", flat=True).get(pk=event.pk)


def _api_register(user: User, event: Event, quantity: int):
    def setup():
        client = APIClient()
        client.force_authenticate(user)
        # The test client builds its middleware on the first request.
        assert client.get(f"/api/v1/events/{event.id}/").status_code == 200
        return lambda: job(client)

    def job(client):
        begin = time.perf_counter()
        response = client.post(
            f"/api/v1/events/{event.id}/registrations/",
            {"quantity": quantity},
            format="json",
        )
        return response.status_code, response.json(), time.perf_counter() - begin

    return setup


def _service_register(create, user: User, event: Event, quantity: int):
    def job():
        begin = time.perf_counter()
        try:
            registration = create(event=event, actor=user, quantity=quantity)
            outcome = (201, {"quantity": registration.quantity})
        except Problem as problem:
            outcome = (problem.status, problem.as_dict())
        return (*outcome, time.perf_counter() - begin)

    return lambda: job


def _latency(results, status) -> str:
    times = sorted(seconds for code, _, seconds in results if code == status)
    if not times:
        return "-"
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return f"p50 {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def _assert_clean_sale(event, results, quantities, capacity):
    """Exactly `capacity` sold, every loser a clean sold-out 409, counters agree."""
    assert not [r for r in results if isinstance(r, Exception)]
    codes = Counter(code for code, _, _ in results)
    assert set(codes) <= {201, 409}, codes
    losers = [body for code, body, _ in results if code == 409]
    assert all(body["type"] == PROBLEM + "sold-out" for body in losers)
    assert all("available" in body for body in losers)
    won = sum(
        q for (code, _, _), q in zip(results, quantities, strict=True) if code == 201
    )
    # More than `capacity` one-place requests exist, so one of them lost, and a
    # one-place request only loses when nothing is left: the sale is exactly full.
    assert won == capacity
    assert _sold(event) == capacity == _active_sum(event)
    assert Registration.objects.filter(event=event).count() == codes[201]
    assert oversold_events() == []
    return codes


def test_flash_sale_over_the_api_sells_exactly_the_capacity():
    attempts, capacity = 320, 50
    venue = make_venue(make_organization(), max_capacity=1000)
    event = make_event(venue, capacity=capacity)
    buyers = _customers(attempts)
    quantities = list(islice(cycle([1, 2, 3, 4]), attempts))  # 80 one-place asks
    results, wall = run_together(
        [
            _api_register(user, event, quantity)
            for user, quantity in zip(buyers, quantities, strict=True)
        ]
    )
    codes = _assert_clean_sale(event, results, quantities, capacity)
    print(
        f"\nflash sale (API): {attempts} attempts, {capacity} places -> "
        f"{codes[201]} registrations, {codes[409]} x 409, wall {wall:.2f} s; "
        f"winners {_latency(results, 201)}; losers {_latency(results, 409)}"
    )


def test_the_conditional_update_sells_exactly_through_the_service():
    attempts, capacity = 300, 50
    venue = make_venue(make_organization(), max_capacity=1000)
    quantities = list(islice(cycle([1, 2, 3, 4]), attempts))
    buyers = _customers(attempts)
    event = make_event(venue, capacity=capacity)
    results, wall = run_together(
        [
            _service_register(services.registration_create, user, event, quantity)
            for user, quantity in zip(buyers, quantities, strict=True)
        ]
    )
    codes = _assert_clean_sale(event, results, quantities, capacity)
    print(
        f"\nconditional UPDATE: {attempts} attempts, {codes[201]} won, "
        f"{codes[409]} x 409, wall {wall:.2f} s; winners {_latency(results, 201)}; "
        f"losers {_latency(results, 409)}"
    )


def test_cancel_and_rebuy_race_keeps_the_counter_exact():
    capacity = 20
    venue = make_venue(make_organization(), max_capacity=1000)
    event = make_event(venue, capacity=capacity)
    holders = _customers(capacity)
    registrations = [
        services.registration_create(event=event, actor=user, quantity=1)
        for user in holders
    ]
    newcomers = _customers(120)

    def cancel_and_rebuy(registration, user):
        def job():
            services.registration_cancel(registration=registration, actor=user)
            try:
                services.registration_create(event=event, actor=user, quantity=1)
                return "rebought"
            except Problem as problem:
                return problem.slug

        return lambda: job

    def buy(user):
        def job():
            try:
                services.registration_create(event=event, actor=user, quantity=1)
                return "bought"
            except Problem as problem:
                return problem.slug

        return lambda: job

    results, wall = run_together(
        [
            cancel_and_rebuy(registration, user)
            for registration, user in zip(registrations, holders, strict=True)
        ]
        + [buy(user) for user in newcomers]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    outcomes = Counter(results)
    assert set(outcomes) <= {"rebought", "bought", "sold-out"}, outcomes
    # Every holder cancelled once; every success took one place.
    expected = capacity - capacity + outcomes["rebought"] + outcomes["bought"]
    assert _sold(event) == expected == _active_sum(event)
    assert expected <= capacity
    assert (
        Registration.objects.filter(event=event, status="cancelled").count() == capacity
    )
    assert oversold_events() == []
    print(f"\ncancel-and-rebuy: {dict(outcomes)}, wall {wall:.2f} s")


@pytest.mark.parametrize("new_capacity", [30, 70])
def test_registrations_racing_a_capacity_cut_never_oversell(new_capacity):
    venue = make_venue(make_organization(), max_capacity=1000)
    event = make_event(venue, capacity=100)
    manager = make_user(Role.MANAGER, organization=venue.organization)
    buyers = _customers(150)

    def cut():
        try:
            services.event_update(event=event, actor=manager, capacity=new_capacity)
            return "cut"
        except Problem as problem:
            return problem.slug

    def cut_setup():
        return cut

    def buy(user):
        def job():
            try:
                services.registration_create(event=event, actor=user, quantity=1)
                return "bought"
            except Problem as problem:
                return problem.slug

        return lambda: job

    jobs = [buy(user) for user in buyers]
    jobs.insert(len(jobs) // 3, cut_setup)
    results, _ = run_together(jobs)
    assert not [r for r in results if isinstance(r, Exception)], results
    cut_outcome = results[len(jobs) // 3]
    buys = Counter(r for i, r in enumerate(results) if i != len(jobs) // 3)
    assert cut_outcome in {"cut", "capacity-below-sold"}
    assert set(buys) <= {"bought", "sold-out"}, buys
    event.refresh_from_db()
    assert event.capacity == (new_capacity if cut_outcome == "cut" else 100)
    assert event.tickets_sold == buys["bought"] == _active_sum(event)
    assert event.tickets_sold <= event.capacity
    # 150 one-place buyers against at most 100 places: whoever lost, lost to a
    # full event.
    assert event.tickets_sold == event.capacity
    assert oversold_events() == []


def test_a_lock_held_too_long_is_a_409_not_a_500(settings):
    settings.VENUEOS_LOCK_TIMEOUT_MS = 100
    venue = make_venue(make_organization())
    event = make_event(venue, capacity=10)
    buyer = make_user()
    holder = connections.create_connection("default")
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM events_event WHERE id = %s FOR UPDATE", [event.pk]
            )
        client = APIClient()
        client.force_authenticate(buyer)
        response = client.post(
            f"/api/v1/events/{event.id}/registrations/", {"quantity": 1}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["type"] == PROBLEM + "busy"
    finally:
        holder.rollback()
        holder.close()
    assert _sold(event) == 0 == Registration.objects.count()


def test_a_sold_out_event_refuses_from_one_read_without_a_transaction():
    """Once sold out, late buyers are told so from one plain read of the
    committed state: no transaction, no UPDATE of the event's row (in a flash
    sale most attempts come after the last place went)."""
    from django.test.utils import CaptureQueriesContext

    venue = make_venue(make_organization())
    event = make_event(venue, capacity=1)
    services.registration_create(event=event, actor=make_user())
    late = make_user()
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(Problem) as refused,
    ):
        services.registration_create(event=event, actor=late)
    assert refused.value.slug == "sold-out"
    statements = [query["sql"].split()[0].upper() for query in queries]
    assert statements == ["SELECT"], queries.captured_queries
    assert _sold(event) == 1 == Registration.objects.count()


def test_a_sale_refused_at_the_update_leaves_no_registration_entry_or_job():
    """The registration, audit entry and e-mail job are written before the
    conditional UPDATE (so the event's row is locked only from it to COMMIT);
    a buyer who passed the plain read but lost the row gets a sold-out answer
    and leaves none of them behind."""
    venue = make_venue(make_organization())
    event = make_event(venue, capacity=1)
    buyer, late = make_user(), make_user()
    services.registration_create(event=event, actor=buyer)

    def job_count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM procrastinate_jobs")
            return cursor.fetchone()[0]

    audit_before, jobs_before = AuditEntry.objects.count(), job_count()
    with pytest.raises(Problem) as refused:
        # Past the plain read, as a buyer racing for the last place would be.
        services._sell(event=event, actor=late, quantity=1)
    assert refused.value.slug == "sold-out"
    assert list(Registration.objects.values_list("attendee_id", flat=True)) == [
        buyer.pk
    ]
    assert (AuditEntry.objects.count(), job_count()) == (audit_before, jobs_before)
    assert _sold(event) == 1
