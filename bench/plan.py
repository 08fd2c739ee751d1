"""Deterministic data layout shared by the generator and the load client.

No Django here: the load client imports this to know which slots are taken
(conflict targets) and which are free (creation slots) without asking the
server.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TIMEZONES = ["Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo", "Europe/London"]

# Day offsets (from the manifest's base date) of each kind of data, all well
# inside the 3650-day booking horizon and disjoint from each other.
GENERATED_FROM_DAY = 2
SERIES_FROM_DAY = 1500
GROWTH_CREATE_FROM_DAY = 2200
APP_CREATE_FROM_DAY = 2500
CAPACITY_CREATE_FROM_DAY = 2600  # up to PG_CREATE_FROM_DAY: bench/capacity.py
PG_CREATE_FROM_DAY = 2800
STORM_DAY = 3400
PG_CONFLICT_SEED_DAY = 3500

HALLS_PER_VENUE = 4
ROOMS_PER_HALL = 3
BOOTHS_PER_ROOM = 2  # hall + 3 rooms + 6 booths = 10 spaces per hall

# One large venue (the last in the manifest) for the venue-wide search:
# 5 halls + 20 rooms + 80 booths = 105 bookable spaces.
BIG_HALLS = 5
BIG_ROOMS_PER_HALL = 4
BIG_BOOTHS_PER_ROOM = 4
BIG_TIMEZONE = "Europe/Berlin"


def local(base: date, day: int, hour: int, tz: str) -> datetime:
    return datetime.combine(base + timedelta(days=day), time(hour), ZoneInfo(tz))


def generated_slot(i: int, leaves: list[dict], base: date):
    """The i-th pre-generated booking: (leaf, start, end). Never overlapping:
    each leaf gets three 2-hour-spaced bookings a day (1 h or 2 h long)."""
    leaf = leaves[i % len(leaves)]
    k = i // len(leaves)
    start = local(base, GENERATED_FROM_DAY + k // 3, 8 + (k % 3) * 3, leaf["tz"])
    return leaf, start, start + timedelta(hours=1 + (i % 2))


def free_slot(j: int, leaves: list[dict], base: date, from_day: int):
    """The j-th free 1-hour slot in a region nobody else books."""
    leaf = leaves[j % len(leaves)]
    k = j // len(leaves)
    start = local(base, from_day + k // 12, (k % 12) * 2, leaf["tz"])
    return leaf, start, start + timedelta(hours=1)
