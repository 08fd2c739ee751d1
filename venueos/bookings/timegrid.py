"""The slot grid and interval arithmetic behind availability and the booking rules.

Pure functions, no queries. Intervals are half-open `[start, end)` pairs of
aware datetimes; lists of them are sorted and disjoint. The grid is the
venue's slot size in its local time zone, so it stays on local :00/:15/...
across a DST change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from venueos.common.timeutils import local_wall_time

Interval = tuple[datetime, datetime]

MINUTE = timedelta(minutes=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- the slot grid in local time -------------------------------------------------


def _offset_minutes(instant: datetime, zone: ZoneInfo) -> int:
    return int(instant.astimezone(zone).utcoffset() / MINUTE)


def _minutes(instant: datetime, *, round_up: bool) -> int:
    whole, rest = divmod(instant - _EPOCH, MINUTE)
    return whole + (1 if round_up and rest else 0)


def _at(minutes: int) -> datetime:
    return _EPOCH + minutes * MINUTE


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _first_minute(low: int, high: int, predicate: Callable[[int], bool]) -> int:
    """Smallest minute in (low, high] where predicate holds (false at low, true at high)."""
    while high - low > 1:
        middle = (low + high) // 2
        if predicate(middle):
            high = middle
        else:
            low = middle
    return high


def grid_ceil(instant: datetime, zone: ZoneInfo, slot_minutes: int) -> datetime:
    """The first instant at or after `instant` on the venue-local slot grid.

    Within one UTC offset the grid is regular in UTC; when the offset changes
    between the instant and the candidate, start again at the change.
    """
    minute = _minutes(instant, round_up=True)
    for _ in range(8):
        offset = _offset_minutes(_at(minute), zone)
        local = minute + offset
        candidate = -(-local // slot_minutes) * slot_minutes - offset
        if _offset_minutes(_at(candidate), zone) == offset:
            return _at(candidate)
        minute = _first_minute(
            minute,
            candidate,
            lambda m, offset=offset: _offset_minutes(_at(m), zone) != offset,
        )
    raise ValueError(f"No grid point found after {instant} in {zone}.")


def grid_floor(instant: datetime, zone: ZoneInfo, slot_minutes: int) -> datetime:
    """The last instant at or before `instant` on the venue-local slot grid."""
    minute = _minutes(instant, round_up=False)
    for _ in range(8):
        offset = _offset_minutes(_at(minute), zone)
        local = minute + offset
        candidate = local // slot_minutes * slot_minutes - offset
        if _offset_minutes(_at(candidate), zone) == offset:
            return _at(candidate)
        change = _first_minute(
            candidate,
            minute,
            lambda m, offset=offset: _offset_minutes(_at(m), zone) == offset,
        )
        minute = change - 1
    raise ValueError(f"No grid point found before {instant} in {zone}.")


# --- interval arithmetic (sorted, disjoint, half-open) ---------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def clip(
    intervals: Iterable[Interval], low: datetime, high: datetime
) -> list[Interval]:
    clipped = []
    for start, end in intervals:
        start, end = max(start, low), min(end, high)
        if start < end:
            clipped.append((start, end))
    return clipped


def widen(
    intervals: Iterable[Interval], *, before: timedelta, after: timedelta
) -> list[Interval]:
    """Busy time as seen by a space with buffers: a booking [s, e) of it claims
    [s - buffer_before, e + buffer_after), so it meets a claim [cs, ce) exactly
    when [s, e) meets [cs - buffer_after, ce + buffer_before)."""
    if not before and not after:
        return list(intervals)
    return [(start - before, end + after) for start, end in intervals]


def subtract(intervals: list[Interval], blockers: list[Interval]) -> list[Interval]:
    """`intervals` minus `blockers`; both sorted, `blockers` merged."""
    free: list[Interval] = []
    first = 0
    for start, end in intervals:
        while first < len(blockers) and blockers[first][1] <= start:
            first += 1
        cursor = start
        index = first
        while index < len(blockers) and blockers[index][0] < end:
            block_start, block_end = blockers[index]
            if block_start > cursor:
                free.append((cursor, block_start))
            cursor = max(cursor, block_end)
            if cursor >= end:
                break
            index += 1
        if cursor < end:
            free.append((cursor, end))
    return free


def opening_intervals(
    hours: dict[int, list[tuple[int, int]]],
    zone: ZoneInfo,
    low: datetime,
    high: datetime,
) -> list[Interval]:
    """Open time inside [low, high); `hours` maps weekday to (opens, closes)."""
    if not hours:
        return [(low, high)] if low < high else []
    day = low.astimezone(zone).date() - timedelta(days=1)
    last_day = high.astimezone(zone).date()
    intervals: list[Interval] = []
    while day <= last_day:
        for opens, closes in hours.get(day.weekday(), ()):
            intervals.append(
                (local_wall_time(day, opens, zone), local_wall_time(day, closes, zone))
            )
        day += timedelta(days=1)
    return clip(merge(intervals), low, high)
