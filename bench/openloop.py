"""Open-loop load: requests arrive at a fixed rate whatever the server does.

A closed loop (bench/load.py's `closed_loop`) sends the next request only
when the previous answer is in, so a slow server slows its own load down and
the slow moments are under-sampled ("coordinated omission"). Here the
arrivals are a Poisson process (exponential gaps, drawn before the step
starts) and each request is sent at its intended time on a free keep-alive
connection, a new one if all are busy; its latency runs from the intended
time, so time spent queueing anywhere (client included) counts.

The pure parts (schedule, Zipf choice, the stepping rule, the capacity
verdict) are separate from the sending so that tests/bench checks them
without a server or a clock.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.load import Conn, Result

# Beyond this mean delay between an arrival's intended and actual send time the
# client, not the server, sets part of the latency: the step says so.
LAG_WARN_MS = 3.0

# A pooled connection idle longer than this is replaced before use: the
# server's keep-alive timeout (uvicorn: 5 s) may have closed it already.
IDLE_REUSE_S = 2.0


def poisson_offsets(rate: float, duration: float, rng) -> list[float]:
    """Arrival times in [0, duration) of a Poisson process of `rate` per second
    (independent exponential gaps), from `rng` (a random.Random)."""
    out: list[float] = []
    t = rng.expovariate(rate)
    while t < duration:
        out.append(t)
        t += rng.expovariate(rate)
    return out


class Zipf:
    """Ranks 0..n-1 with P(rank) ∝ 1 / (rank + 1) ** s: rank 0 is the hottest,
    a few ranks take most picks and the long tail stays cold."""

    def __init__(self, n: int, s: float = 1.0):
        if n < 1:
            raise ValueError("Zipf needs at least one item")
        self.cumulative: list[float] = []
        total = 0.0
        for rank in range(n):
            total += 1.0 / (rank + 1) ** s
            self.cumulative.append(total)

    def pick(self, rng) -> int:
        x = rng.random() * self.cumulative[-1]
        return min(bisect.bisect_right(self.cumulative, x), len(self.cumulative) - 1)


class Mix:
    """Picks a kind of request by weight, e.g. (("availability", 0.6), ...)."""

    def __init__(self, weights: Sequence[tuple[str, float]]):
        self.kinds = [k for k, _ in weights]
        self.cumulative: list[float] = []
        total = 0.0
        for _, w in weights:
            total += w
            self.cumulative.append(total)

    def pick(self, rng) -> str:
        x = rng.random() * self.cumulative[-1]
        i = bisect.bisect_right(self.cumulative, x)
        return self.kinds[min(i, len(self.kinds) - 1)]


def verdict(
    p95_ms: dict[str, float | None], errors: int, targets: dict[str, float]
) -> list[str]:
    """Why a step failed: each kind over its p95 target, and any error; an
    empty list is a step that held. A kind without answers is not judged."""
    why = [
        f"{kind} p95 {p95:.0f} ≥ {targets[kind]} ms"
        for kind, p95 in p95_ms.items()
        if p95 is not None and p95 >= targets[kind]
    ]
    if errors:
        why.append(f"{errors} errors")
    return why


class Stepper:
    """The rate of each step: up by `factor` from `start` while steps hold;
    after the first failure one step halfway between the last good and the
    first bad rate (if `bisect` and they are far enough apart), then stop.
    If even the start rate fails, halve until a step holds (or `floor`)."""

    def __init__(
        self,
        start: float,
        factor: float = 1.25,
        *,
        bisect: bool = True,
        floor: float = 5,
        ceiling: float = 5000,
    ):
        self.start, self.factor = start, factor
        self.bisect, self.floor, self.ceiling = bisect, floor, ceiling
        self.steps: list[tuple[float, bool]] = []
        self._bisected = False

    def record(self, rate: float, ok: bool) -> None:
        self.steps.append((rate, ok))

    def next(self) -> float | None:
        if not self.steps:
            return self.start
        rate, ok = self.steps[-1]
        bad = [r for r, o in self.steps if not o]
        good = [r for r, o in self.steps if o]
        if not bad:
            nxt = max(rate + 1, round(rate * self.factor))
            return nxt if nxt <= self.ceiling else None
        if not good:
            nxt = round(min(bad) / 2)
            return nxt if nxt >= self.floor else None
        if not self.bisect or self._bisected:
            return None
        lo = max(good)
        above = [r for r in bad if r > lo]
        if not above:
            return None
        hi = min(above)
        mid = round((lo + hi) / 2)
        # Not worth a step when the answer could only move by a few percent.
        if mid - lo < max(2, 0.04 * lo):
            return None
        self._bisected = True
        return mid


class FixedRates:
    """The given rates in turn, whatever each step shows: a before/after
    comparison at one load, with more answers per kind than a capacity run's
    steps give."""

    def __init__(self, rates: Sequence[float]):
        self.rates = list(rates)
        self.steps: list[tuple[float, bool]] = []

    def record(self, rate: float, ok: bool) -> None:
        self.steps.append((rate, ok))

    def next(self) -> float | None:
        done = len(self.steps)
        return self.rates[done] if done < len(self.rates) else None


def step_duration(
    rate: float, base: float, rarest_share: float, min_samples: int, longest: float
) -> float:
    """`base` seconds, longer at low rates so that the rarest kind of request
    gets `min_samples` answers (fewer make its p95 little more than its
    maximum), but never more than `longest`."""
    return min(max(base, min_samples / (rate * rarest_share)), longest)


def capacity(steps: Sequence[tuple[float, bool]]) -> float | None:
    """The highest rate that held, below every rate that failed (a lucky step
    above a failed one does not count); None if no step held."""
    lowest_bad = min((r for r, ok in steps if not ok), default=math.inf)
    held = [r for r, ok in steps if ok and r < lowest_bad]
    return max(held) if held else None


@dataclass
class Step:
    rate: float  # offered, req/s
    duration: float
    kinds: dict[str, Result]
    sent: int = 0
    lag_mean_ms: float = 0.0
    lag_max_ms: float = 0.0
    pre_opened: int = 0
    opened: int = 0  # connections opened during the step: all were busy (or stale)
    resent: int = 0  # sent again once on a fresh connection the server had closed
    max_in_flight: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    kept: list[bytes] = field(default_factory=list)  # bodies asked for by `keep`

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.kinds.values())

    def p95(self) -> dict[str, float | None]:
        return {k: r.pct(95) for k, r in self.kinds.items()}

    @property
    def behind(self) -> bool:
        return self.lag_mean_ms > LAG_WARN_MS


async def run_step(
    host: str,
    port: int,
    schedule: Sequence[tuple[float, str, tuple]],
    *,
    rate: float,
    duration: float,
    expect: dict[str, int],
    keep: dict[str, int] | None = None,
    timeout: float = 5.0,
    pre_open: int = 8,
) -> Step:
    """Send each (offset, kind, request) of `schedule` at `offset` seconds after
    the start, each on its own task; wait for every answer (or `timeout`).
    `request` is what `Conn.request` takes; an answer other than
    `expect[kind]` (or a timeout, or a transport error) counts as an error;
    the bodies of answers `keep[kind]` are kept (to check them afterwards)."""
    keep = keep or {}
    step = Step(rate, duration, {k: Result(k, 0) for k in expect})
    idle: list[tuple[Conn, float]] = []
    conns: list[Conn] = []

    def new_conn() -> Conn:
        c = Conn(host, port)
        conns.append(c)
        return c

    await asyncio.gather(*(new_conn().open() for _ in range(pre_open)))
    step.pre_opened = pre_open
    now = time.perf_counter()
    idle = [(c, now) for c in conns]
    in_flight = 0

    async def send(conn: Conn, req: tuple):
        if conn.writer is None:
            step.opened += 1
        return await conn.request(*req)

    async def one(intended: float, kind: str, req: tuple) -> None:
        nonlocal in_flight
        conn, last_used = idle.pop() if idle else (new_conn(), 0.0)
        if last_used and time.perf_counter() - last_used > IDLE_REUSE_S:
            conn.close()
        in_flight += 1
        step.max_in_flight = max(step.max_in_flight, in_flight)
        body = b""
        try:
            async with asyncio.timeout(timeout):
                try:
                    status, body = await send(conn, req)
                except (ConnectionError, asyncio.IncompleteReadError):
                    # Closed by the server while idle: the request never got
                    # in, so sending it once more is not a second attempt.
                    step.resent += 1
                    status, body = await send(conn, req)
        except TimeoutError:
            status = "timeout"
            conn.close()
        except (OSError, asyncio.IncompleteReadError, ValueError):
            status = "transport-error"
            conn.close()
        done = time.perf_counter()
        in_flight -= 1
        r = step.kinds[kind]
        r.latencies.append(done - intended)
        r.statuses[status] += 1
        if status != expect[kind]:
            r.errors += 1
        if keep.get(kind) == status:
            step.kept.append(body)
        idle.append((conn, done))

    tasks: set[asyncio.Task] = set()
    lag_sum = lag_max = 0.0
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter() + 0.01
    for offset, kind, req in schedule:
        intended = start + offset
        now = time.perf_counter()
        if intended > now:
            await asyncio.sleep(intended - now)
            now = time.perf_counter()
        lag = now - intended
        lag_sum += lag
        lag_max = max(lag_max, lag)
        task = asyncio.create_task(one(intended, kind, req))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    step.wall_s = time.perf_counter() - start
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    step.cpu_s = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    step.sent = len(schedule)
    if schedule:
        step.lag_mean_ms = lag_sum / len(schedule) * 1000
        step.lag_max_ms = lag_max * 1000
    for c in conns:
        c.close()
    return step


def build_schedule(
    rate: float, duration: float, rng, mix: Mix, make: Callable[[str], tuple]
) -> list[tuple[float, str, tuple]]:
    """Every arrival of a step, drawn before it starts so the sending loop
    only sleeps and sends."""
    out = []
    for t in poisson_offsets(rate, duration, rng):
        kind = mix.pick(rng)
        out.append((t, kind, make(kind)))
    return out
