"""The availability grid and the free-time search that the web UI shows.

Selectors only. A grid cell is *free* exactly when `space_availability` lists a
free interval containing it, so every free cell can be booked as shown (the
same rules as `booking_create`). The other states only explain why a cell is
not free, in this order: *past* (it starts before now), *closed* (outside the
venue's opening hours, or in a closure of the venue, the space or one of its
ancestors: `rules.within_opening_hours` and `rules.first_closure`, the checks a
booking meets), *unavailable* (beyond the booking horizon), else *busy*.

Times are instants (UTC); columns are laid out in the venue's local time, so a
day's columns follow its opening hours across DST changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from venueos.bookings.availability import space_availability
from venueos.bookings.rules import first_closure, within_opening_hours
from venueos.common.timeutils import local_wall_time, on_grid, utc_now
from venueos.venues.models import Closure, OpeningHours, Space, Venue
from venueos.venues.selectors import bookable_spaces, space_tree

FREE, BUSY, CLOSED, PAST, UNAVAILABLE = "free", "busy", "closed", "past", "unavailable"
GRID_DURATIONS = (30, 60, 90, 120, 180, 240)
_DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Cell:
    start: datetime
    end: datetime
    state: str


@dataclass
class GridRow:
    space: Space
    depth: int
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Grid:
    venue: Venue
    zone: ZoneInfo
    days: list[date]
    duration_minutes: int
    columns: list[tuple[datetime, datetime]]
    rows: list[GridRow]


def grid_durations(venue: Venue) -> list[int]:
    """Booking lengths the grid offers at this venue: on its slot grid, within
    its minimum and maximum duration."""
    durations = [
        minutes
        for minutes in GRID_DURATIONS
        if minutes % venue.slot_minutes == 0
        and venue.min_duration_minutes <= minutes <= venue.max_duration_minutes
    ]
    return durations or [venue.min_duration_minutes]


def default_duration(venue: Venue) -> int:
    durations = grid_durations(venue)
    return 60 if 60 in durations else durations[0]


def _hours_of(venue: Venue) -> list[OpeningHours]:
    return list(OpeningHours.objects.filter(venue_id=venue.id))


def _day_span(hours: Sequence[OpeningHours]) -> tuple[int, int]:
    """The local minutes every day's columns cover: from the earliest opening to
    the latest closing of the week (the whole day without opening hours)."""
    if not hours:
        return 0, _DAY_MINUTES
    return min(h.opens_minute for h in hours), max(h.closes_minute for h in hours)


def _columns(
    day: date, span: tuple[int, int], zone: ZoneInfo, minutes: int
) -> list[tuple[datetime, datetime]]:
    columns = []
    first, last = span
    for start_minute in range(first, last - minutes + 1, minutes):
        start = local_wall_time(day, start_minute, zone)
        end = local_wall_time(day, start_minute + minutes, zone)
        if end > start and (not columns or start >= columns[-1][1]):
            columns.append((start, end))
    return columns


def _flatten(roots: list[Space], depth: int = 0) -> list[GridRow]:
    rows = []
    for space in roots:
        rows.append(GridRow(space=space, depth=depth))
        rows.extend(_flatten(space.tree_children, depth + 1))
    return rows


def availability_grid(
    *,
    venue: Venue,
    days: Sequence[date],
    duration_minutes: int,
    now: datetime | None = None,
) -> Grid:
    """Every space of the venue (in tree order) × the columns of `days` (local
    dates), each cell `duration_minutes` long."""
    now = now or utc_now()
    zone = ZoneInfo(venue.timezone)
    hours = _hours_of(venue)
    span = _day_span(hours)
    columns = [
        column for day in days for column in _columns(day, span, zone, duration_minutes)
    ]
    rows = _flatten(space_tree(venue.id))
    grid = Grid(venue, zone, list(days), duration_minutes, columns, rows)
    bookable = [row.space for row in rows if row.space.is_bookable]
    if not columns or not bookable or venue.is_archived:
        return grid
    low, high = columns[0][0], columns[-1][1]
    for space in bookable:
        space.venue = venue
    free = {
        result.space.id: result.available_slots
        for result in space_availability(
            spaces=bookable,
            start=low,
            end=high,
            duration_minutes=duration_minutes,
            now=now,
        )
    }
    closures = list(
        Closure.objects.filter(venue_id=venue.id, start_time__lt=high, end_time__gt=low)
    )
    horizon = now + timedelta(days=venue.booking_horizon_days)
    open_columns = {
        column: within_opening_hours(hours, zone, *column) if hours else True
        for column in columns
    }
    for row in rows:
        if not row.space.is_bookable:
            continue
        lineage = [row.space.id, *row.space.path]
        slots = free[row.space.id]
        for start, end in columns:
            if start < now:
                state = PAST
            elif on_grid(start, zone, venue.slot_minutes) and any(
                slot.start_time <= start and end <= slot.end_time for slot in slots
            ):
                state = FREE
            elif not open_columns[(start, end)] or first_closure(
                closures, lineage, start, end
            ):
                state = CLOSED
            elif start > horizon:
                state = UNAVAILABLE
            else:
                state = BUSY
            row.cells.append(Cell(start, end, state))
    return grid


@dataclass(frozen=True)
class DaySummary:
    day: date
    free: int
    state: str


def week_summary(grid: Grid) -> list[tuple[GridRow, list[DaySummary]]]:
    """Per row, per day of the grid: how many cells are free, and the day's
    state (free if any cell is; past or closed if every cell is; else busy)."""
    summaries = []
    for row in grid.rows:
        by_day: dict[date, list[Cell]] = {day: [] for day in grid.days}
        for cell in row.cells:
            by_day.setdefault(cell.start.astimezone(grid.zone).date(), []).append(cell)
        days = []
        if row.cells:
            for day in grid.days:
                states = [cell.state for cell in by_day[day]]
                free = states.count(FREE)
                if free:
                    state = FREE
                elif states and all(s == PAST for s in states):
                    state = PAST
                elif all(s in (PAST, CLOSED) for s in states):
                    state = CLOSED
                else:
                    state = BUSY
                days.append(DaySummary(day, free, state))
        summaries.append((row, days))
    return summaries


@dataclass
class SpaceSlots:
    space: Space
    starts: list[datetime]


def free_starts(
    *,
    venues: Sequence[Venue],
    day: date | None,
    duration_minutes: int,
    min_capacity: int = 1,
    features: Sequence[str] = (),
    per_space: int = 8,
    now: datetime | None = None,
) -> dict[Venue, list[SpaceSlots]]:
    """For a search: the bookable spaces of each venue that hold `min_capacity`
    people and have every feature, with up to `per_space` start times on the
    local `day` (default: today at each venue) where a booking of
    `duration_minutes` fits, one booking length apart. Venues whose policy
    cannot take that duration are left out, and so are spaces with no time."""
    now = now or utc_now()
    venues = [
        venue
        for venue in venues
        if duration_minutes % venue.slot_minutes == 0
        and venue.min_duration_minutes <= duration_minutes <= venue.max_duration_minutes
    ]
    found: dict[Venue, list[SpaceSlots]] = {}
    for venue in venues:
        zone = ZoneInfo(venue.timezone)
        local_day = day or now.astimezone(zone).date()
        venue_spaces = bookable_spaces(
            venue, min_capacity=min_capacity, features=features
        )
        if not venue_spaces:
            continue
        results = space_availability(
            spaces=venue_spaces,
            start=local_wall_time(local_day, 0, zone),
            end=local_wall_time(local_day, _DAY_MINUTES, zone),
            duration_minutes=duration_minutes,
            now=now,
        )
        length = timedelta(minutes=duration_minutes)
        for result in results:
            starts: list[datetime] = []
            for slot in result.available_slots:
                start = slot.start_time
                while start + length <= slot.end_time and len(starts) < per_space:
                    starts.append(start)
                    start += length
            if starts:
                found.setdefault(venue, []).append(SpaceSlots(result.space, starts))
    return found
