"""Availability: the free time of spaces (`availability_search`, `space_availability`).

Selectors only (pure reads); alternatives to a conflicting request are in
`suggestions.py`, the grid and interval arithmetic in `timegrid.py`. The rules are the booking engine's rules
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
  Claims already carry their bookings' buffers; S's own buffers widen that
  busy time (a new booking of S would claim [start - before, end + after)), so
  a slot is offered only when its buffered period is free, while the slot
  itself is the booked time. Buffers do not have to lie in opening hours.
- Only bookable time is reported: nothing before now, no start later than
  `booking_horizon_days` after now, nothing on a space that is not bookable or
  in an archived venue. Interval ends are snapped inward to the venue's slot
  grid in local time, and intervals shorter than the requested duration (never
  less than the venue's minimum duration) are dropped.

Query count: one search costs four queries whatever the number of spaces and
days (plus one for the venues when `space.venue` is not already loaded): the
space trees of the venues, their opening hours, then closures and claims over
the search range (claims merged per space with range_agg). `next_available`
is looked up in the same data (the range reaches one week past the window); only spaces with no fitting time there cost
two more queries per further chunk (30, 120, 365 days, then the rest of the
horizon), so even a fully booked space costs at most eight more queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import connection

from venueos.bookings.timegrid import (
    MINUTE,
    Interval,
    clip,
    from_micros,
    grid_ceil,
    grid_floor,
    merge,
    opening_intervals,
    subtract,
    widen,
)
from venueos.common.problems import InvalidInput
from venueos.common.readcache import VersionedCache
from venueos.common.timeutils import minute_ceil, minute_floor, on_grid, utc_now
from venueos.venues.layout import VenueLayout, venue_layout
from venueos.venues.models import Closure, OpeningHours, Space, Venue
from venueos.venues.selectors import data_version

MAX_WINDOW = timedelta(days=31)
# One search answers for at most this many spaces and free intervals; beyond
# that it is refused (400) before the answer is built, with a hint to narrow it.
MAX_SEARCH_SPACES = 200
MAX_SLOTS = 10_000
# next_available: the first fetch reaches this far past the window, then chunks grow.
_FIRST_READ = timedelta(days=1)
_LOOKAHEAD = timedelta(days=7)
_NEXT_CHUNKS = (
    timedelta(days=30),
    timedelta(days=120),
    timedelta(days=365),
    timedelta(days=3650),
)


@dataclass(frozen=True)
class Slot:
    start_time: datetime
    end_time: datetime

    @property
    def duration_minutes(self) -> int:
        return int((self.end_time - self.start_time) / MINUTE)


@dataclass
class SpaceAvailability:
    space: Space
    available_slots: list[Slot] = field(default_factory=list)
    next_available: datetime | None = None


# --- loading: a fixed number of queries for any number of spaces ----------------


class Snapshot:
    """Venues, space trees and opening hours of a set of spaces (<= 3 queries);
    closures and claims are fetched per time range (2 queries each)."""

    def __init__(
        self, spaces: Sequence[Space], layout: VenueLayout | None = None
    ) -> None:
        self.spaces = list(spaces)
        self.layout = layout
        if layout is not None:
            self._from_layout(layout)
            return
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

    def _from_layout(self, layout: VenueLayout) -> None:
        """The same, from a venue's cached layout: no query at all."""
        venue = layout.venue
        self.venues = {venue.id: venue}
        self.zones = {venue.id: ZoneInfo(venue.timezone)}
        # The layout's own read-only map, shared by every reader; a space it
        # does not know has no ancestors (`blocked_in_windows` reads with .get).
        self.ancestors = layout.ancestor_chains
        self.hours = {venue.id: layout.weekly_hours}
        self._open_cache = {}

    def _closures(self, venue_ids, low: datetime, high: datetime):
        """(venue_id, space_id, start, end) of closures meeting [low, high)."""
        if self.layout is not None and low >= self.layout.closures_since:
            return [
                (c.venue_id, c.space_id, c.start_time, c.end_time)
                for c in self.layout.closures
                if c.start_time < high and c.end_time > low
            ]
        return Closure.objects.filter(
            venue_id__in=list(venue_ids), start_time__lt=high, end_time__gt=low
        ).values_list("venue_id", "space_id", "start_time", "end_time")

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
        (blocked_of,) = self.blocked_in_windows([(spaces, low, high)])
        return {space.id: blocked_of(space) for space in spaces}

    def blocked_in_windows(
        self, windows: Sequence[tuple[Sequence[Space], datetime, datetime]]
    ) -> list[Callable[[Space], list[Interval]]]:
        """For each (spaces, low, high) of `windows`, a function giving a
        space's closed or busy time in that window, merged. The claims of all
        windows are read now, in one query (one round trip); each space is
        merged only when asked, so a caller that stops at the first few free
        spaces of a large venue skips the rest of the work."""
        # Claims on the spaces themselves (any scope) and exclusive claims on
        # their ancestors: what the claim_no_conflict constraint would meet.
        # range_agg merges them per space in the database: a hall holds a
        # shared claim for every booking of every room in it. A new booking's
        # claims would be widened by its space's buffers, so claims that far
        # outside the window still matter.
        reads = []
        for spaces, low, high in windows:
            reach_before = max(s.buffer_before_minutes for s in spaces) * MINUTE
            reach_after = max(s.buffer_after_minutes for s in spaces) * MINUTE
            ancestor_venues = {
                a: s.venue_id for s in spaces for a in self.ancestors.get(s.id, ())
            }
            reads.append(
                (spaces, ancestor_venues, low - reach_before, high + reach_after)
            )
        own = [defaultdict(list) for _ in windows]
        exclusive = [defaultdict(list) for _ in windows]
        sql, params = _claims_query_in_windows(reads)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            # Epoch microseconds: much cheaper to load than timestamptz text.
            for index, space_id, is_exclusive, start_us, end_us in cursor.fetchall():
                interval = (from_micros(start_us), from_micros(end_us))
                own[index][space_id].append(interval)
                if is_exclusive:
                    exclusive[index][space_id].append(interval)
        return [
            self._merger(spaces, low, high, own[index], exclusive[index])
            for index, (spaces, low, high) in enumerate(windows)
        ]

    def _merger(
        self,
        spaces: Sequence[Space],
        low: datetime,
        high: datetime,
        own: dict[UUID, list[Interval]],
        exclusive: dict[UUID, list[Interval]],
    ) -> Callable[[Space], list[Interval]]:
        venue_wide: dict[UUID, list[Interval]] = defaultdict(list)
        by_space: dict[UUID, list[Interval]] = defaultdict(list)
        closures = self._closures({space.venue_id for space in spaces}, low, high)
        for venue_id, space_id, start, end in closures:
            if space_id is None:
                venue_wide[venue_id].append((start, end))
            else:
                by_space[space_id].append((start, end))

        def blocked_of(space: Space) -> list[Interval]:
            ancestors = self.ancestors.get(space.id, ())
            claimed = list(own.get(space.id, ()))
            for ancestor_id in ancestors:
                claimed += exclusive.get(ancestor_id, ())
            intervals = widen(
                claimed,
                before=space.buffer_after_minutes * MINUTE,
                after=space.buffer_before_minutes * MINUTE,
            )
            intervals += venue_wide.get(space.venue_id, ())
            for space_id in (space.id, *ancestors):
                intervals += by_space.get(space_id, ())
            return merge(intervals)

        return blocked_of


# Up to this many spaces (the searched ones and their ancestors), the claims
# are read with one index probe per space; beyond it, one per venue.
SPACE_PROBES = 8


def _claims_query_in_windows(
    reads: Sequence[tuple[Sequence[Space], dict[UUID, UUID], datetime, datetime]],
) -> tuple[str, list]:
    """The claims of each read's spaces (any) and of their ancestors
    (exclusive only) meeting its [low, high), merged per read, space and
    scope: (read's index in `reads`, space, exclusive, start µs, end µs) rows.

    Every branch names its venue (and, for a few spaces, its space) with `=`
    so that the claims' GiST index (claim_no_conflict: venue, space, period)
    narrows on all of them. Given `venue_id = ANY(...)` the planner may scan
    that index on the period alone: with no statistics for a window (a week
    ahead of every booking) it expects one row, and the scan walks the period's
    entries of every venue, about 3 ms instead of 0.3 ms.
    """
    branches: list[str] = []
    params: list = []
    for index, (spaces, ancestor_venues, low, high) in enumerate(reads):
        searched = {space.id: space.venue_id for space in spaces}
        ancestors = {a: v for a, v in ancestor_venues.items() if a not in searched}
        select = (
            f"SELECT {int(index)} AS read_index, space_id, exclusive, period"
            " FROM bookings_bookingclaim"
        )
        window = "period && tstzrange(%s, %s, '[)')"
        if len(searched) + len(ancestors) <= SPACE_PROBES:
            for probes, only_exclusive in ((searched, False), (ancestors, True)):
                for space_id, venue_id in probes.items():
                    branches.append(
                        f"{select} WHERE venue_id = %s AND space_id = %s AND {window}"
                        + (" AND exclusive" if only_exclusive else "")
                    )
                    params += [venue_id, space_id, low, high]
        else:
            for venue_id in sorted(set(searched.values()), key=str):
                branches.append(
                    f"{select} WHERE venue_id = %s AND {window}"
                    " AND (space_id = ANY(%s) OR (exclusive AND space_id = ANY(%s)))"
                )
                params += [
                    venue_id,
                    low,
                    high,
                    [s for s, v in searched.items() if v == venue_id],
                    [a for a, v in ancestors.items() if v == venue_id],
                ]
    sql = f"""
        SELECT read_index, space_id, exclusive,
               (extract(epoch FROM lower(busy)) * 1000000)::bigint,
               (extract(epoch FROM upper(busy)) * 1000000)::bigint
        FROM (
            SELECT read_index, space_id, exclusive, unnest(range_agg(period)) AS busy
            FROM ({" UNION ALL ".join(branches)}) AS claims
            GROUP BY read_index, space_id, exclusive
        ) AS merged
    """
    return sql, params


# --- the policy of one venue -----------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A venue's rules at the moment `now`.

    Every start on the slot grid is a whole minute, so "not before now" is
    "not before now rounded up to the minute" and "not after now + horizon" is
    "not after now rounded down + horizon": answers depend on the minute, not
    on the microsecond, which lets caches key on the minute and stay exact.
    """

    venue: Venue
    zone: ZoneInfo
    now: datetime

    @property
    def slot(self) -> int:
        return self.venue.slot_minutes

    @property
    def not_before(self) -> datetime:
        """The earliest start a booking may have."""
        return minute_ceil(self.now)

    @property
    def horizon(self) -> datetime:
        """The latest start a booking may have."""
        return minute_floor(self.now) + timedelta(days=self.venue.booking_horizon_days)

    def effective_duration(self, duration_minutes: int | None) -> timedelta:
        minutes = max(duration_minutes or self.slot, self.venue.min_duration_minutes)
        return minutes * MINUTE

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
                candidate = grid_ceil(candidate + MINUTE, self.zone, self.slot)
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
                candidate = grid_floor(candidate - MINUTE, self.zone, self.slot)
        return None


def policy_for(snapshot: Snapshot, space: Space, now: datetime) -> Policy:
    return Policy(snapshot.venue_of(space), snapshot.zones[space.venue_id], now)


def free_time(
    snapshot: Snapshot,
    space: Space,
    blocked: list[Interval],
    low: datetime,
    high: datetime,
) -> list[Interval]:
    return subtract(snapshot.open_time(space.venue_id, low, high), blocked)


# --- public selectors ------------------------------------------------------------


def space_availability(
    *,
    spaces: Sequence[Space],
    start: datetime,
    end: datetime,
    duration_minutes: int | None = None,
    now: datetime | None = None,
    layout: VenueLayout | None = None,
    max_slots: int | None = None,
) -> list[SpaceAvailability]:
    """Maximal bookable free intervals of each space inside [start, end).

    `duration_minutes` defaults to each venue's slot size and is never less
    than the venue's minimum duration. `next_available` is the first grid start
    at or after max(start, now) where the duration fits, up to the horizon.

    With `max_slots`, more free intervals than that in all are a 400
    (`too-many-slots`): refused from the opening hours alone, before anything
    is built, when they already give more (each open interval of each space
    is at least one free interval, less what is busy), else once counted.
    """
    now = now or utc_now()
    spaces = list(spaces)
    if not spaces:
        return []
    snapshot = Snapshot(spaces, layout)
    policies = {space.id: policy_for(snapshot, space, now) for space in spaces}
    durations = {
        space.id: policies[space.id].effective_duration(duration_minutes)
        for space in spaces
    }
    results = {space.id: SpaceAvailability(space=space) for space in spaces}
    searching = [space for space in spaces if policies[space.id].books(space)]
    if not searching:
        return [results[space.id] for space in spaces]

    earliest = max(start, minute_ceil(now))
    latest_possible = max(
        policies[space.id].horizon + durations[space.id] for space in searching
    )
    # The first read covers the window only (at least a day): every space with
    # room inside it has its next_available there too. Only spaces without
    # one read further, a week and then longer chunks at a time.
    low = earliest
    high = min(max(end, earliest + _FIRST_READ), latest_possible)
    if max_slots is not None:
        # The opening hours are read once per venue and cached for the pass
        # below, so this estimate costs nothing when the search goes ahead.
        estimate = sum(
            _intervals_in(snapshot.open_time(space.venue_id, low, high), start, end)
            for space in searching
        )
        if estimate > max_slots:
            raise _too_many_slots(estimate, max_slots)
    chunks = iter((_LOOKAHEAD, *_NEXT_CHUNKS))
    first_pass = True
    while searching and low < high:
        blocked = snapshot.blocked(searching, low, high)
        still_searching = []
        for space in searching:
            policy, duration = policies[space.id], durations[space.id]
            free = free_time(snapshot, space, blocked[space.id], low, high)
            if first_pass:
                window = clip(free, earliest, min(end, policy.horizon + duration))
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
    if max_slots is not None:
        # Bookings split open intervals: the estimate is not a bound.
        total = sum(len(result.available_slots) for result in results.values())
        if total > max_slots:
            raise _too_many_slots(total, max_slots)
    return [results[space.id] for space in spaces]


def _intervals_in(intervals: list[Interval], low: datetime, high: datetime) -> int:
    return sum(1 for start, end in intervals if start < high and end > low)


def _too_many_slots(count: int, limit: int) -> InvalidInput:
    return InvalidInput.field(
        "end_time",
        f"This search would list about {count:,} free intervals, more than "
        f"{limit:,}. Narrow it: a shorter window (end_time), one space "
        "(space_id), or fewer spaces (min_capacity, features).",
        slug="too-many-slots",
    )


def _invalid(field: str, message: str, slug: str) -> InvalidInput:
    return InvalidInput.field(field, message, slug=slug)


def _search_duration(venue: Venue, duration_minutes: int | None) -> int:
    if duration_minutes is None:
        return venue.slot_minutes
    if duration_minutes % venue.slot_minutes:
        raise _invalid(
            "duration",
            f"duration must be a multiple of the venue's {venue.slot_minutes}-minute "
            "slot.",
            "invalid-duration",
        )
    if duration_minutes > venue.max_duration_minutes:
        raise _invalid(
            "duration",
            f"duration may be at most {venue.max_duration_minutes} minutes here.",
            "invalid-duration",
        )
    return duration_minutes


def availability_search(
    *,
    start: datetime,
    end: datetime,
    space_id: UUID | None = None,
    venue_id: UUID | None = None,
    duration_minutes: int | None = None,
    min_capacity: int | None = None,
    features: Sequence[str] = (),
    now: datetime | None = None,
    render: Callable[[list[SpaceAvailability]], Any] | None = None,
) -> Any:
    """Free time of one space (`space_id`) or of a venue's bookable spaces:
    a list of `SpaceAvailability`, or what `render` makes of it.

    The window is at most 31 days, a venue's search covers at most
    `MAX_SEARCH_SPACES` spaces and the answer at most `MAX_SLOTS` free
    intervals (400 `too-many-spaces`, `too-many-slots`, each saying how to
    narrow the search); `duration_minutes` (default: the slot size)
    is a multiple of the venue's slot and at most its maximum duration. Ids
    that name nothing, a space of an archived venue or an archived venue are
    400s (`unknown-space`, `unknown-venue`): the search exists, its input is
    wrong. A space that misses `min_capacity` or `features` has no result.

    Answers are shared within the process while the venue's data version
    and the minute stay the same (see `Policy`): a repeated search costs one
    small query, and `render` runs once per shared answer. The results are
    shared objects: read them, do not change them.
    """
    if end <= start:
        raise _invalid(
            "end_time", "end_time must be after start_time.", "invalid-window"
        )
    if end - start > MAX_WINDOW:
        raise _invalid(
            "end_time", "The search window may span at most 31 days.", "window-too-long"
        )
    now = now or utc_now()
    search = partial(
        _search,
        render=render,
        start=start,
        end=end,
        space_id=space_id,
        venue_id=venue_id,
        duration_minutes=duration_minutes,
        min_capacity=min_capacity,
        features=features,
        now=now,
    )
    key = (
        space_id,
        venue_id,
        start,
        end,
        duration_minutes,
        min_capacity,
        frozenset(features),
        minute_floor(now),
        minute_ceil(now),
        render,
    )
    return _SEARCHES.get_or_compute(
        lambda: data_version(space_id=space_id, venue_id=venue_id), key, search
    )


_SEARCHES: VersionedCache[Any] = VersionedCache("availability", max_entries=4096)


def _search(
    *,
    start: datetime,
    end: datetime,
    space_id: UUID | None,
    venue_id: UUID | None,
    duration_minutes: int | None,
    min_capacity: int | None,
    features: Sequence[str],
    now: datetime,
    render: Callable[[list[SpaceAvailability]], Any] | None,
) -> Any:
    if space_id is not None:
        layout = venue_layout(space_id=space_id)
        space = layout.spaces.get(space_id) if layout else None
        if space is None or layout.venue.is_archived:
            raise _invalid("space_id", "No such space.", "unknown-space")
        if not space.is_bookable:
            raise _invalid(
                "space_id", f"'{space.name}' cannot be booked.", "space-not-bookable"
            )
        duration = _search_duration(space.venue, duration_minutes)
        matches = (min_capacity is None or space.capacity >= min_capacity) and set(
            features
        ) <= set(space.features)
        found = [space] if matches else []
    else:
        layout = venue_layout(venue_id=venue_id)
        if layout is None or layout.venue.is_archived:
            raise _invalid("venue_id", "No such venue.", "unknown-venue")
        duration = _search_duration(layout.venue, duration_minutes)
        found = layout.bookable_spaces(min_capacity=min_capacity, features=features)
        if len(found) > MAX_SEARCH_SPACES:
            raise _invalid(
                "venue_id",
                f"More than {MAX_SEARCH_SPACES} spaces of this venue match. Narrow "
                "the search: min_capacity, features, or one space (space_id).",
                "too-many-spaces",
            )
    results = space_availability(
        spaces=found,
        start=start,
        end=end,
        duration_minutes=duration,
        now=now,
        layout=layout,
        max_slots=MAX_SLOTS,
    )
    return render(results) if render else results
