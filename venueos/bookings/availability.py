"""Availability: free time of spaces, and alternatives to a conflicting request.

Selectors only (pure reads). The rules are the booking engine's rules
(`venueos/bookings/rules.py` and the claims trigger), so that every slot shown
here can be booked and every bookable slot is shown:

- Open time is the venue's weekly opening hours in its local time zone, built
  per local day with `local_wall_time` (DST-correct: 09:00-17:00 stays
  09:00-17:00 local on the day the clocks change); intervals that touch, also
  across midnight, merge. A venue without opening-hour rows is always open.
- Closed time: venue-wide closures, closures of the space itself and closures
  of any of its ancestors (closing the hall closes every room in it). A
  closure of a room does not close the hall or the room next door.
- Busy time of space S: every claim on S (active bookings of S and of its
  descendants) and the exclusive claims on S's ancestors (active bookings of an
  ancestor). Siblings never block each other. This reads the claims table the
  booking trigger writes, i.e. exactly what the exclusion constraint checks.
- Only bookable time is reported: nothing before now, no start later than
  `booking_horizon_days` after now, nothing on a space that is not bookable or
  in an archived venue. Interval ends are snapped inward to the venue's slot
  grid in local time, and intervals shorter than the requested duration (never
  less than the venue's minimum duration) are dropped.

Query count: one search costs four queries whatever the number of spaces and
days (plus one for the venues when `space.venue` is not already loaded): the
space trees of the venues, their opening hours, then closures and claims over
the search range (claims merged per space with range_agg). `next_available` is looked up in the same data (the range
reaches one week past the window); only spaces with no fitting time there cost
two more queries per further chunk (30, 120, 365 days, then the rest of the
horizon), so even a fully booked space costs at most eight more queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import connection

from venueos.common.timeutils import local_wall_time, on_grid, utc_now
from venueos.venues.models import Closure, OpeningHours, Space, Venue

Interval = tuple[datetime, datetime]

_MINUTE = timedelta(minutes=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# next_available: the first fetch reaches this far past the window, then chunks grow.
_FIRST_READ = timedelta(days=1)
_LOOKAHEAD = timedelta(days=7)
_NEXT_CHUNKS = (
    timedelta(days=30),
    timedelta(days=120),
    timedelta(days=365),
    timedelta(days=3650),
)
SUGGESTION_RADIUS = timedelta(days=7)


@dataclass(frozen=True)
class Slot:
    start_time: datetime
    end_time: datetime

    @property
    def duration_minutes(self) -> int:
        return int((self.end_time - self.start_time) / _MINUTE)


@dataclass
class SpaceAvailability:
    space: Space
    available_slots: list[Slot] = field(default_factory=list)
    next_available: datetime | None = None


# --- the slot grid in local time -------------------------------------------------


def _offset_minutes(instant: datetime, zone: ZoneInfo) -> int:
    return int(instant.astimezone(zone).utcoffset() / _MINUTE)


def _minutes(instant: datetime, *, round_up: bool) -> int:
    whole, rest = divmod(instant - _EPOCH, _MINUTE)
    return whole + (1 if round_up and rest else 0)


def _at(minutes: int) -> datetime:
    return _EPOCH + minutes * _MINUTE


def _from_micros(micros: int) -> datetime:
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


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
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


def _clip(
    intervals: Iterable[Interval], low: datetime, high: datetime
) -> list[Interval]:
    clipped = []
    for start, end in intervals:
        start, end = max(start, low), min(end, high)
        if start < end:
            clipped.append((start, end))
    return clipped


def _subtract(intervals: list[Interval], blockers: list[Interval]) -> list[Interval]:
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
    return _clip(_merge(intervals), low, high)


# --- loading: a fixed number of queries for any number of spaces ----------------


class _Snapshot:
    """Venues, space trees and opening hours of a set of spaces (<= 3 queries);
    closures and claims are fetched per time range (2 queries each)."""

    def __init__(self, spaces: Sequence[Space]) -> None:
        self.spaces = list(spaces)
        self.venues = self._venues()
        self.zones = {vid: ZoneInfo(v.timezone) for vid, v in self.venues.items()}
        self.ancestors = self._ancestors()
        self.hours: dict[UUID, dict[int, list[tuple[int, int]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        rows = OpeningHours.objects.filter(venue_id__in=list(self.venues)).order_by(
            "weekday", "opens_minute"
        )
        for venue_id, weekday, opens, closes in rows.values_list(
            "venue_id", "weekday", "opens_minute", "closes_minute"
        ):
            self.hours[venue_id][weekday].append((opens, closes))
        self._open_cache: dict[tuple[UUID, datetime, datetime], list[Interval]] = {}

    def _venues(self) -> dict[UUID, Venue]:
        venues: dict[UUID, Venue] = {}
        missing: set[UUID] = set()
        for space in self.spaces:
            if Space.venue.is_cached(space):
                venues[space.venue_id] = space.venue
            else:
                missing.add(space.venue_id)
        missing -= set(venues)
        if missing:
            venues.update(Venue.objects.in_bulk(list(missing)))
        return venues

    def _ancestors(self) -> dict[UUID, tuple[UUID, ...]]:
        """Ancestor ids of every space, nearest first: the venues' trees in one
        query (a parent always lies in its child's venue)."""
        parent_of = dict(
            Space.objects.filter(venue_id__in=list(self.venues)).values_list(
                "id", "parent_id"
            )
        )
        ancestors: dict[UUID, tuple[UUID, ...]] = {}
        for space in self.spaces:
            chain: list[UUID] = []
            current = parent_of.get(space.id)
            while current is not None and len(chain) <= len(parent_of):
                chain.append(current)
                current = parent_of.get(current)
            ancestors[space.id] = tuple(chain)
        return ancestors

    def venue_of(self, space: Space) -> Venue:
        return self.venues[space.venue_id]

    def open_time(
        self, venue_id: UUID, low: datetime, high: datetime
    ) -> list[Interval]:
        key = (venue_id, low, high)
        if key not in self._open_cache:
            self._open_cache[key] = opening_intervals(
                self.hours.get(venue_id, {}), self.zones[venue_id], low, high
            )
        return self._open_cache[key]

    def blocked(
        self, spaces: Sequence[Space], low: datetime, high: datetime
    ) -> dict[UUID, list[Interval]]:
        """Closed or busy time of each space meeting [low, high), merged."""
        space_ids = {space.id for space in spaces}
        ancestor_ids = {a for space in spaces for a in self.ancestors[space.id]}
        venue_ids = {space.venue_id for space in spaces}
        closures = Closure.objects.filter(
            venue_id__in=list(venue_ids), start_time__lt=high, end_time__gt=low
        ).values_list("venue_id", "space_id", "start_time", "end_time")
        venue_wide: dict[UUID, list[Interval]] = defaultdict(list)
        by_space: dict[UUID, list[Interval]] = defaultdict(list)
        for venue_id, space_id, start, end in closures:
            if space_id is None:
                venue_wide[venue_id].append((start, end))
            else:
                by_space[space_id].append((start, end))
        # Claims on the spaces themselves (any scope) and exclusive claims on
        # their ancestors: what the claim_no_conflict constraint would meet.
        # range_agg merges them per space in the database: a hall holds a
        # shared claim for every booking of every room in it.
        own: dict[UUID, list[Interval]] = defaultdict(list)
        exclusive: dict[UUID, list[Interval]] = defaultdict(list)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT space_id, exclusive,
                       (extract(epoch FROM lower(busy)) * 1000000)::bigint,
                       (extract(epoch FROM upper(busy)) * 1000000)::bigint
                FROM (
                    SELECT space_id, exclusive, unnest(range_agg(period)) AS busy
                    FROM bookings_bookingclaim
                    WHERE period && tstzrange(%s, %s, '[)')
                      AND (space_id = ANY(%s) OR (exclusive AND space_id = ANY(%s)))
                    GROUP BY space_id, exclusive
                ) AS merged
                """,
                [low, high, list(space_ids), list(ancestor_ids - space_ids)],
            )
            # Epoch microseconds: much cheaper to load than timestamptz text.
            for space_id, is_exclusive, start_us, end_us in cursor.fetchall():
                start, end = _from_micros(start_us), _from_micros(end_us)
                own[space_id].append((start, end))
                if is_exclusive:
                    exclusive[space_id].append((start, end))
        result: dict[UUID, list[Interval]] = {}
        for space in spaces:
            lineage = (space.id, *self.ancestors[space.id])
            intervals = list(venue_wide[space.venue_id]) + own[space.id]
            for space_id in lineage:
                intervals += by_space[space_id]
            for ancestor_id in self.ancestors[space.id]:
                intervals += exclusive[ancestor_id]
            result[space.id] = _merge(intervals)
        return result


# --- the policy of one venue -----------------------------------------------------


@dataclass(frozen=True)
class _Policy:
    venue: Venue
    zone: ZoneInfo
    now: datetime

    @property
    def slot(self) -> int:
        return self.venue.slot_minutes

    @property
    def horizon(self) -> datetime:
        """The latest start a booking may have."""
        return self.now + timedelta(days=self.venue.booking_horizon_days)

    def effective_duration(self, duration_minutes: int | None) -> timedelta:
        minutes = max(duration_minutes or self.slot, self.venue.min_duration_minutes)
        return minutes * _MINUTE

    def books(self, space: Space) -> bool:
        return space.is_bookable and not self.venue.is_archived

    def snap(self, intervals: list[Interval], duration: timedelta) -> list[Slot]:
        slots = []
        for start, end in intervals:
            first = grid_ceil(start, self.zone, self.slot)
            last = grid_floor(end, self.zone, self.slot)
            if last - first >= duration:
                slots.append(Slot(first, last))
        return slots

    def fits_at(self, start: datetime, duration: timedelta) -> bool:
        end = start + duration
        return on_grid(end, self.zone, self.slot)

    def first_fit(
        self, intervals: list[Interval], duration: timedelta, earliest: datetime
    ) -> datetime | None:
        """First grid start >= earliest whose [start, start + duration) lies in
        one of the intervals, with a start no later than the horizon."""
        for start, end in intervals:
            if end <= earliest:
                continue
            candidate = grid_ceil(max(start, earliest), self.zone, self.slot)
            while candidate + duration <= end and candidate <= self.horizon:
                if self.fits_at(candidate, duration):
                    return candidate
                candidate = grid_ceil(candidate + _MINUTE, self.zone, self.slot)
        return None

    def last_fit(
        self, intervals: list[Interval], duration: timedelta, latest: datetime
    ) -> datetime | None:
        """Last grid start <= latest whose slot lies in one of the intervals."""
        for start, end in reversed(intervals):
            if start > latest:
                continue
            candidate = grid_floor(min(end - duration, latest), self.zone, self.slot)
            while candidate >= start:
                if candidate <= self.horizon and self.fits_at(candidate, duration):
                    return candidate
                candidate = grid_floor(candidate - _MINUTE, self.zone, self.slot)
        return None


def _policy(snapshot: _Snapshot, space: Space, now: datetime) -> _Policy:
    return _Policy(snapshot.venue_of(space), snapshot.zones[space.venue_id], now)


def _free(
    snapshot: _Snapshot,
    space: Space,
    blocked: list[Interval],
    low: datetime,
    high: datetime,
) -> list[Interval]:
    return _subtract(snapshot.open_time(space.venue_id, low, high), blocked)


# --- public selectors ------------------------------------------------------------


def space_availability(
    *,
    spaces: Sequence[Space],
    start: datetime,
    end: datetime,
    duration_minutes: int | None = None,
    now: datetime | None = None,
) -> list[SpaceAvailability]:
    """Maximal bookable free intervals of each space inside [start, end).

    `duration_minutes` defaults to each venue's slot size and is never less
    than the venue's minimum duration. `next_available` is the first grid start
    at or after max(start, now) where the duration fits, up to the horizon.
    """
    now = now or utc_now()
    spaces = list(spaces)
    if not spaces:
        return []
    snapshot = _Snapshot(spaces)
    policies = {space.id: _policy(snapshot, space, now) for space in spaces}
    durations = {
        space.id: policies[space.id].effective_duration(duration_minutes)
        for space in spaces
    }
    results = {space.id: SpaceAvailability(space=space) for space in spaces}
    searching = [space for space in spaces if policies[space.id].books(space)]
    if not searching:
        return [results[space.id] for space in spaces]

    earliest = max(start, now)
    latest_possible = max(
        policies[space.id].horizon + durations[space.id] for space in searching
    )
    # The first read covers the window only (at least a day): every space with
    # room inside it has its next_available there too. Only spaces without
    # one read further, a week and then longer chunks at a time.
    low = earliest
    high = min(max(end, earliest + _FIRST_READ), latest_possible)
    chunks = iter((_LOOKAHEAD, *_NEXT_CHUNKS))
    first_pass = True
    while searching and low < high:
        blocked = snapshot.blocked(searching, low, high)
        still_searching = []
        for space in searching:
            policy, duration = policies[space.id], durations[space.id]
            free = _free(snapshot, space, blocked[space.id], low, high)
            if first_pass:
                window = _clip(free, earliest, min(end, policy.horizon + duration))
                results[space.id].available_slots = policy.snap(window, duration)
            found = policy.first_fit(free, duration, earliest)
            if found is not None:
                results[space.id].next_available = found
            elif high < policy.horizon + duration:
                still_searching.append(space)
        first_pass = False
        searching = still_searching
        if not searching:
            break
        step = next(chunks, None)
        if step is None:
            break
        longest = max(durations[space.id] for space in searching)
        low, high = max(earliest, high - longest), min(high + step, latest_possible)
    return [results[space.id] for space in spaces]


def suggest_alternatives(
    *,
    space: Space,
    start: datetime,
    end: datetime,
    attendee_count: int,
    limit: int = 5,
    now: datetime | None = None,
) -> list[dict]:
    """Up to `limit` bookable slots as long as [start, end), for a 409 body.

    First the nearest free times on the same space (earlier and later in turn,
    nearest first, within a week either side, never overlapping each other),
    then the same time on other bookable spaces of the venue that hold
    `attendee_count` people (smallest fitting space first). When both kinds
    exist, other spaces get up to limit // 2 places so the list shows both.
    Every suggestion passes the venue's rules: grid, duration, opening hours,
    closures, not in the past, within the horizon, capacity.
    """
    now = now or utc_now()
    if limit <= 0 or end <= start:
        return []
    venue = space.venue
    if venue.is_archived:
        return []
    duration = end - start
    minutes = duration / _MINUTE
    if not venue.min_duration_minutes <= minutes <= venue.max_duration_minutes:
        return []
    others = list(
        Space.objects.filter(
            venue_id=venue.id, is_bookable=True, capacity__gte=attendee_count
        )
        .exclude(pk=space.id)
        .order_by("capacity", "name", "id")
    )
    for other in others:
        other.venue = venue
    snapshot = _Snapshot([space, *others])
    policy = _policy(snapshot, space, now)
    horizon_end = policy.horizon + duration
    low = max(now, start - SUGGESTION_RADIUS)
    high = min(end + SUGGESTION_RADIUS, horizon_end)
    candidates = [
        s for s in [space, *others] if s.is_bookable and s.capacity >= attendee_count
    ]
    if low >= high or not candidates:
        return []

    same_space: list[datetime] = []
    if space in candidates:
        blocked = snapshot.blocked([space], low, high)
        free = _free(snapshot, space, blocked[space.id], low, high)
        later = _later_starts(policy, free, duration, start, limit)
        earlier = _earlier_starts(policy, free, duration, start, limit)
        same_space = _alternate(start, earlier, later)

    other_spaces: list[Space] = []
    start_is_bookable = (
        now <= start <= policy.horizon
        and on_grid(start, policy.zone, policy.slot)
        and on_grid(end, policy.zone, policy.slot)
    )
    if start_is_bookable and others:
        # Other spaces are offered only at the requested time, so only that
        # window is read: a venue's whole fortnight of claims is not needed.
        blocked = snapshot.blocked(others, start, end)
        for other in others:
            free = _free(snapshot, other, blocked[other.id], start, end)
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
    policy: _Policy,
    free: list[Interval],
    duration: timedelta,
    start: datetime,
    limit: int,
) -> list[datetime]:
    found: list[datetime] = []
    earliest = max(start + _MINUTE, policy.now)
    while len(found) < limit:
        moment = policy.first_fit(free, duration, earliest)
        if moment is None:
            break
        found.append(moment)
        earliest = moment + duration
    return found


def _earlier_starts(
    policy: _Policy,
    free: list[Interval],
    duration: timedelta,
    start: datetime,
    limit: int,
) -> list[datetime]:
    found: list[datetime] = []
    latest = start - _MINUTE
    while len(found) < limit:
        moment = policy.last_fit(free, duration, latest)
        if moment is None or moment < policy.now:
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
