"""Alternatives to a booking that collides: nearby free times on the same
space, then the same time on other spaces of the venue (the 409 body's
`suggested_alternatives`). Selectors only; every suggestion passes the
venue's booking rules, read through the availability engine."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from venueos.bookings.availability import Policy, Snapshot, free_time, policy_for
from venueos.bookings.timegrid import MINUTE, Interval
from venueos.common.readcache import VersionedCache
from venueos.common.timeutils import minute_ceil, minute_floor, on_grid, utc_now
from venueos.venues.layout import VenueLayout, venue_layout
from venueos.venues.models import Space
from venueos.venues.selectors import data_version as current_data_version

SUGGESTION_RADIUS = timedelta(days=7)


def suggest_alternatives(
    *,
    space: Space,
    start: datetime,
    end: datetime,
    attendee_count: int,
    limit: int = 5,
    now: datetime | None = None,
    layout: VenueLayout | None = None,
    data_version: int | None = None,
) -> list[dict]:
    """Up to `limit` bookable slots as long as [start, end), for a 409 body.

    First the nearest free times on the same space (earlier and later in turn,
    nearest first, within a week either side, never overlapping each other),
    then the same time on other bookable spaces of the venue that hold
    `attendee_count` people (smallest fitting space first). When both kinds
    exist, other spaces get up to limit // 2 places so the list shows both.
    Every suggestion passes the venue's rules: grid, duration, opening hours,
    closures, not in the past, within the horizon, capacity.

    `layout` and `data_version`, when the caller read them already in this
    request (`venue_layout_read`), spare reading them again.
    """
    now = now or utc_now()
    if limit <= 0 or end <= start:
        return []
    # The losers of a rush all ask this same question: answer it once per
    # process while the venue's data (and the minute, see Policy) stay the same.
    key = (
        space.id,
        start,
        end,
        attendee_count,
        limit,
        minute_floor(now),
        minute_ceil(now),
    )
    return _SUGGESTIONS.get_or_compute(
        (lambda: data_version)
        if data_version is not None
        else (lambda: current_data_version(space_id=space.id)),
        key,
        partial(_suggest, space, start, end, attendee_count, limit, now, layout),
    )


_SUGGESTIONS: VersionedCache[list[dict]] = VersionedCache("suggestions", 4096)


def _suggest(
    space: Space,
    start: datetime,
    end: datetime,
    attendee_count: int,
    limit: int,
    now: datetime,
    layout: VenueLayout | None,
) -> list[dict]:
    venue = space.venue
    if venue.is_archived:
        return []
    duration = end - start
    minutes = duration / MINUTE
    if not venue.min_duration_minutes <= minutes <= venue.max_duration_minutes:
        return []
    layout = layout or venue_layout(space_id=space.id)
    if layout is None:
        return []
    # Smallest first; among equals, the layout's (the database's) name order.
    others = sorted(
        (
            other
            for other in layout.bookable_spaces(min_capacity=attendee_count)
            if other.id != space.id
        ),
        key=lambda other: other.capacity,
    )
    snapshot = Snapshot([space, *others], layout)
    policy = policy_for(snapshot, space, now)
    horizon_end = policy.horizon + duration
    low = max(policy.not_before, start - SUGGESTION_RADIUS)
    high = min(end + SUGGESTION_RADIUS, horizon_end)
    candidates = [
        s for s in [space, *others] if s.is_bookable and s.capacity >= attendee_count
    ]
    if low >= high or not candidates:
        return []

    start_is_bookable = (
        policy.not_before <= start <= policy.horizon
        and on_grid(start, policy.zone, policy.slot)
        and on_grid(end, policy.zone, policy.slot)
    )
    # The space over the whole radius; other spaces only at the requested
    # time (a venue's fortnight of claims is not needed for them): both
    # read in one query.
    reads_same_space = space in candidates
    reads_others = start_is_bookable and bool(others)
    windows = []
    if reads_same_space:
        windows.append(([space], low, high))
    if reads_others:
        windows.append((others, start, end))
    blocked = iter(snapshot.blocked_in_windows(windows) if windows else ())

    same_space: list[datetime] = []
    if reads_same_space:
        blocked_of = next(blocked)
        free = free_time(snapshot, space, blocked_of(space), low, high)
        later = _later_starts(policy, free, duration, start, limit)
        earlier = _earlier_starts(policy, free, duration, start, limit)
        same_space = _alternate(start, earlier, later)

    other_spaces: list[Space] = []
    if reads_others:
        # Merged only for the spaces looked at: most are free, and the first
        # `limit` free ones end the search.
        blocked_of = next(blocked)
        for other in others:
            free = free_time(snapshot, other, blocked_of(other), start, end)
            if any(s <= start and end <= e for s, e in free):
                other_spaces.append(other)
                if len(other_spaces) >= limit:
                    break

    same_quota = limit - min(len(other_spaces), limit // 2)
    picked = [(moment, space.id) for moment in same_space[:same_quota]]
    picked += [(start, other.id) for other in other_spaces[: limit - len(picked)]]
    return [
        {
            "start_time": moment,
            "end_time": moment + duration,
            "duration_minutes": int(minutes),
            "space_id": space_id,
        }
        for moment, space_id in picked
    ]


def _later_starts(
    policy: Policy,
    free: list[Interval],
    duration: timedelta,
    start: datetime,
    limit: int,
) -> list[datetime]:
    found: list[datetime] = []
    earliest = max(start + MINUTE, policy.not_before)
    while len(found) < limit:
        moment = policy.first_fit(free, duration, earliest)
        if moment is None:
            break
        found.append(moment)
        earliest = moment + duration
    return found


def _earlier_starts(
    policy: Policy,
    free: list[Interval],
    duration: timedelta,
    start: datetime,
    limit: int,
) -> list[datetime]:
    found: list[datetime] = []
    latest = start - MINUTE
    while len(found) < limit:
        moment = policy.last_fit(free, duration, latest)
        if moment is None or moment < policy.not_before:
            break
        found.append(moment)
        latest = moment - duration
    return found


def _alternate(
    start: datetime, earlier: list[datetime], later: list[datetime]
) -> list[datetime]:
    """Earlier and later starts in turn, beginning with the nearer one."""
    order: list[datetime] = []
    later_first = bool(later) and (
        not earlier or later[0] - start <= start - earlier[0]
    )
    first, second = (later, earlier) if later_first else (earlier, later)
    for index in range(max(len(first), len(second))):
        if index < len(first):
            order.append(first[index])
        if index < len(second):
            order.append(second[index])
    return order
