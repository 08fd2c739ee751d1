"""The capacity model's pure parts (bench/openloop.py, bench/capacity.py):
arrival schedule, Zipf choice, the stepping rule and the capacity verdict; and
one step against a tiny local server, for the open-loop property itself."""

from __future__ import annotations

import asyncio
import math
import random
import statistics
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import pytest

from bench import capacity, openloop, plan
from bench.scenarios import World
from bench.targets import P95_TARGET_MS


def test_poisson_schedule_is_reproducible_with_a_seed():
    a = openloop.poisson_offsets(100, 10, random.Random(7))
    b = openloop.poisson_offsets(100, 10, random.Random(7))
    c = openloop.poisson_offsets(100, 10, random.Random(8))
    assert a == b
    assert a != c


def test_poisson_schedule_has_the_mean_rate_and_exponential_gaps():
    rate, duration = 200, 500
    offsets = openloop.poisson_offsets(rate, duration, random.Random(1))
    expected = rate * duration  # a Poisson count: standard deviation √expected
    assert abs(len(offsets) - expected) < 4 * math.sqrt(expected)
    assert all(0 <= t < duration for t in offsets)
    gaps = [b - a for a, b in zip(offsets, offsets[1:], strict=False)]
    assert min(gaps) >= 0
    assert statistics.fmean(gaps) == pytest.approx(1 / rate, rel=0.02)
    # Exponential gaps: standard deviation equal to the mean (evenly spaced
    # arrivals would have none).
    assert statistics.pstdev(gaps) / statistics.fmean(gaps) == pytest.approx(
        1, abs=0.03
    )


def test_zipf_puts_most_picks_on_few_ranks_in_the_right_proportions():
    n, picks = 100, 200_000
    zipf = openloop.Zipf(n, 1.0)
    rng = random.Random(3)
    counts = Counter(zipf.pick(rng) for _ in range(picks))
    assert set(counts) <= set(range(n))
    harmonic = sum(1 / (k + 1) for k in range(n))
    for rank in (0, 1, 9):
        expected = picks / (rank + 1) / harmonic
        assert abs(counts[rank] - expected) < 5 * math.sqrt(expected)
    # Hot and cold: the top 10 % of ranks take more than half of all picks.
    assert sum(counts[k] for k in range(n // 10)) > picks / 2
    assert counts[n - 1] > 0


def test_zipf_of_one_item_and_of_none():
    rng = random.Random(0)
    assert {openloop.Zipf(1).pick(rng) for _ in range(100)} == {0}
    with pytest.raises(ValueError):
        openloop.Zipf(0)


def test_mix_shares_follow_the_weights():
    mix = openloop.Mix(capacity.MIX)
    rng = random.Random(5)
    picks = 100_000
    counts = Counter(mix.pick(rng) for _ in range(picks))
    for kind, share in capacity.MIX:
        assert counts[kind] / picks == pytest.approx(share, abs=0.01)


def test_verdict_fails_a_kind_at_or_over_its_target_and_any_error():
    targets = {"a": 100, "b": 50}
    assert openloop.verdict({"a": 99.9, "b": 49}, 0, targets) == []
    assert openloop.verdict({"a": 100, "b": 10}, 0, targets) == ["a p95 100 ≥ 100 ms"]
    assert openloop.verdict({"a": 10, "b": None}, 0, targets) == []
    assert openloop.verdict({"a": 10, "b": 10}, 2, targets) == ["2 errors"]


def drive(stepper: openloop.Stepper, holds) -> list[tuple[float, bool]]:
    """Run the stepper against a server that holds a rate iff `holds(rate)`."""
    while (rate := stepper.next()) is not None:
        stepper.record(rate, holds(rate))
        assert len(stepper.steps) < 100
    return stepper.steps


def test_stepper_steps_up_until_a_failure_then_bisects_once():
    steps = drive(openloop.Stepper(50, 1.25), lambda r: r <= 130)
    rates = [r for r, _ in steps]
    assert rates[:5] == [50, 62, 78, 98, 122]
    assert steps[5] == (152, False)
    assert steps[6] == (137, False)  # halfway between 122 and 152
    assert len(steps) == 7
    assert openloop.capacity(steps) == 122


def test_stepper_bisection_that_holds_raises_the_capacity():
    steps = drive(openloop.Stepper(50, 1.25), lambda r: r <= 140)
    assert steps[-1] == (137, True)
    assert openloop.capacity(steps) == 137


def test_stepper_without_bisection_stops_at_the_first_failure():
    steps = drive(openloop.Stepper(100, 1.5, bisect=False), lambda r: r < 200)
    assert steps == [(100, True), (150, True), (225, False)]


def test_stepper_halves_when_the_start_rate_already_fails():
    steps = drive(openloop.Stepper(50, 1.25, floor=5), lambda r: r <= 15)
    assert [r for r, _ in steps] == [50, 25, 12, 18]
    assert openloop.capacity(steps) == 12


def test_stepper_gives_up_below_the_floor_and_at_the_ceiling():
    never = drive(openloop.Stepper(50, 1.25, floor=10), lambda r: False)
    assert [r for r, _ in never] == [50, 25, 12]
    assert openloop.capacity(never) is None
    always = drive(openloop.Stepper(50, 2, ceiling=400), lambda r: True)
    assert [r for r, _ in always] == [50, 100, 200, 400]


def test_stepper_skips_a_bisection_too_small_to_matter():
    # 100 holds, 104 fails: halfway (102) could move the answer by 2 %.
    stepper = openloop.Stepper(100, 1.04)
    steps = drive(stepper, lambda r: r <= 100)
    assert steps == [(100, True), (104, False)]


def test_capacity_is_the_highest_rate_held_below_every_failure():
    assert openloop.capacity([(50, True), (62, True), (78, False)]) == 62
    # A lucky step above a failure does not count.
    assert openloop.capacity([(50, True), (62, False), (70, True)]) == 50
    assert openloop.capacity([(50, False), (25, False)]) is None
    assert openloop.capacity([]) is None


def test_step_duration_waits_for_enough_of_the_rarest_kind_up_to_a_limit():
    assert openloop.step_duration(1000, 3, 0.05, 20, 9) == 3
    assert openloop.step_duration(100, 3, 0.05, 20, 9) == pytest.approx(4)
    assert openloop.step_duration(10, 3, 0.05, 20, 9) == 9


def test_the_mix_is_judged_by_the_projects_targets():
    assert set(capacity.TARGETS) == set(capacity.EXPECT) == {k for k, _ in capacity.MIX}
    for kind, target in capacity.TARGETS.items():
        assert target == P95_TARGET_MS[kind]
    assert sum(share for _, share in capacity.MIX) == pytest.approx(1)


def small_world() -> World:
    spaces = [{"id": "hall", "parent": None}] + [
        {"id": f"booth{i}", "parent": "hall"} for i in range(4)
    ]
    return World(
        {
            "base_date": "2030-01-01",
            "venues": [{"id": "v", "tz": "Europe/Berlin", "spaces": spaces}],
            "customers": [{"id": f"c{i}", "token": f"t{i}"} for i in range(3)],
            "buyers": [],
            "manager": {"token": "m"},
            "generation": {"bookings": 40},
        }
    )


def test_mix_requests_book_distinct_free_slots_and_lose_on_generated_ones():
    world = small_world()
    make = capacity.MixRequests(world, random.Random(1), first_slot=10, tag="x")
    creates = [make("create") for _ in range(50)]
    slots = {(r[2]["space_id"], r[2]["start_time"]) for r in creates}
    assert len(slots) == 50
    assert make.next_slot - make.first_slot == 50
    first_day = datetime.combine(
        date(2030, 1, 1) + timedelta(days=plan.CAPACITY_CREATE_FROM_DAY),
        datetime.min.time(),
    ).date()
    assert all(
        datetime.fromisoformat(r[2]["start_time"]).date() >= first_day for r in creates
    )
    assert {r[2]["title"] for r in creates} == {make.title}
    generated = {
        (leaf["id"], s.isoformat())
        for leaf, s, _ in (
            plan.generated_slot(i, world.leaves, world.base) for i in range(40)
        )
    }
    for _ in range(20):
        method, path, body, token = make("conflict")
        assert (method, path) == ("POST", "/api/v1/bookings/")
        assert (body["space_id"], body["start_time"]) in generated
    method, path, _, token = make("availability")
    assert method == "GET" and path.startswith(
        "/api/v1/availability/search?space_id=booth"
    )
    assert token in {"t0", "t1", "t2"}
    assert make("list")[:3] == ("GET", "/api/v1/me/bookings/", None)


def test_mix_requests_refuse_to_run_into_the_next_region():
    world = small_world()
    per_day = 12 * len(world.leaves)
    days = plan.PG_CREATE_FROM_DAY - plan.CAPACITY_CREATE_FROM_DAY
    make = capacity.MixRequests(world, random.Random(1), per_day * days, tag="x")
    with pytest.raises(RuntimeError, match="ran out of free slots"):
        make("create")


def test_a_slow_answer_delays_no_other_arrival():
    """Open loop: while the first request hangs, the next ones go out on new
    connections, and the slow one's latency runs from its intended time."""
    slow = 0.3

    async def scenario():
        async def handle(reader, writer):
            while True:
                line = await reader.readline()
                if not line:
                    break
                path = line.split()[1]
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass
                if path == b"/slow":
                    await asyncio.sleep(slow)
                status = b"409 Conflict" if path == b"/lose" else b"200 OK"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        schedule = [(0.0, "a", ("GET", "/slow"))] + [
            (0.01 * i, "a" if i % 2 else "b", ("GET", "/fast" if i % 2 else "/lose"))
            for i in range(1, 6)
        ]
        try:
            return await openloop.run_step(
                "127.0.0.1",
                port,
                schedule,
                rate=100,
                duration=0.06,
                expect={"a": 200, "b": 200},
                keep={"a": 200},
                pre_open=1,
            )
        finally:
            await asyncio.sleep(0.05)  # the handlers see the client's EOF
            server.close()
            await server.wait_closed()

    # On a thread of its own: the browser tests leave an event loop running in
    # the main thread for the rest of the session.
    with ThreadPoolExecutor(1) as thread:
        step = thread.submit(asyncio.run, scenario()).result()
    assert step.sent == 6
    assert step.kinds["a"].count == 4 and step.kinds["b"].count == 2
    assert step.kinds["b"].errors == 2  # 409 where 200 was expected
    assert step.errors == 2
    assert step.kept == [b"ok"] * 4
    assert step.opened >= 1  # the one pre-opened connection was busy
    assert step.max_in_flight >= 2
    assert max(step.kinds["a"].latencies) >= slow


def summary(rate, p95, errors=0, errors_by_kind=None):
    """A step as `capacity.step_summary` reports it."""
    kinds = list(capacity.EXPECT)
    return {
        "rate": rate,
        "duration_s": 3.0,
        "sent": int(rate * 3),
        "p95_ms": dict(zip(kinds, p95, strict=True)),
        "requests": dict.fromkeys(kinds, 30),
        "errors": errors,
        "errors_by_kind": dict(zip(kinds, errors_by_kind or [0] * 4, strict=True)),
        "failed_because": openloop.verdict(
            dict(zip(kinds, p95, strict=True)), errors, capacity.TARGETS
        ),
        "client": {
            "lag_mean_ms": 0.5,
            "lag_max_ms": 4,
            "pre_opened": 8,
            "opened": 0,
            "behind_schedule": False,
        },
    }


def test_headline_and_table_name_the_capacity_and_what_broke_above_it():
    held = summary(50, [40, 60, 70, 30])
    broke = summary(62, [40, 60, 70, 55])
    res = {
        "capacity_rps": 50,
        "capacity_users": 250,
        "at_capacity": held,
        "per_kind_rps": capacity.per_kind([held, broke]),
        "steps": [held, broke],
    }
    line = capacity.headline(res)
    assert "50 req/s" in line and "250 concurrent users" in line
    assert "conflict (409) 30 ms (< 50)" in line
    assert "availability 62, my bookings 62, create 62, conflict (409) 50" in line
    table = capacity.steps_table(res).splitlines()
    assert len(table) == 4
    assert table[2].endswith("| held |")
    assert "conflict p95 55 ≥ 50 ms" in table[3]
    none = capacity.headline(
        {"capacity_rps": None, "steps": [broke], "per_kind_rps": {"conflict": None}}
    )
    assert "no rate held" in none and "(lowest tried 62 req/s)" in none
    assert "conflict (409) < 62" in none


def test_each_kinds_own_capacity_names_the_one_that_limits_the_mix():
    steps = [
        summary(50, [40, 60, 70, 30]),
        summary(62, [40, 60, 70, 55]),
        summary(78, [90, 60, 120, 80], errors=1, errors_by_kind=[0, 1, 0, 0]),
        summary(98, [150, 60, 130, 90]),
    ]
    assert capacity.per_kind(steps) == {
        "availability": 78,
        "list": 98,  # its error at 78 counts against it alone
        "create": 62,
        "conflict": 50,
    }
    assert capacity.per_kind([summary(50, [200, 60, 70, 80])])["availability"] is None


def test_latest_json_headline_figures():
    from bench.load import Result
    from bench.report import headline_figures

    storm = Result("storm", 10, latencies=[0.1] * 10, wall=2.5)
    flash = Result(
        "flash", 20, latencies=[0.2] * 20, wall=4.0, winner_latencies=[0.3, 0.4]
    )
    flash.statuses[201] = 2
    figures = headline_figures(
        {"app": {"storm": storm, "flash": flash}, "capacity": {"capacity_rps": 62}}
    )
    assert figures["capacity_rps"] == 62
    assert figures["storm_wall_s"] == 2.5
    assert figures["flash_attempts_per_s"] == 5.0
    assert figures["flash_winners_p95_ms"] == 400.0
    assert figures["scenarios"] == {
        "storm": {"p95_ms": 100.0, "rps": 4.0},
        "flash": {"p95_ms": 200.0, "rps": 5.0},
    }


def test_fixed_rates_run_each_rate_once_whatever_the_steps_show():
    stepper = openloop.FixedRates([100, 100, 80])
    assert drive(stepper, lambda r: r < 90) == [(100, False), (100, False), (80, True)]
