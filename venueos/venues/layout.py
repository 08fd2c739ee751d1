"""A venue's layout: the venue, its space tree, weekly hours and the closures
not yet over, read together and shared within the process while the venue's
`layout_version` stays the same (venueos/venues/models.py `DataVersion`).

Every booking write, availability search and 409 suggestion needs these rows,
and they change far less often than bookings do: a hit costs the one small
query that reads the version. Objects in a layout are shared between threads:
read them, never change or save them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple
from uuid import UUID

from venueos.common.readcache import VersionedCache
from venueos.common.timeutils import utc_now
from venueos.venues.models import Closure, OpeningHours, Space, Venue
from venueos.venues.selectors import data_versions


@dataclass(frozen=True)
class VenueLayout:
    venue: Venue
    spaces: dict[UUID, Space]
    parent_of: dict[UUID, UUID | None]
    opening_hours: tuple[OpeningHours, ...]
    # Closures that had not ended at `closures_since` (when the layout was
    # read): complete for any time from then on, which is all that booking
    # rules and free time look at; an older window must read the database.
    closures: tuple[Closure, ...]
    closures_since: datetime
    weekly_hours: dict[int, list[tuple[int, int]]] = field(init=False)
    # Every space's ancestor ids, nearest first: walked once per layout, not
    # once per space by every search and 409 that reads this layout. Read-only:
    # every thread's snapshots share it.
    ancestor_chains: Mapping[UUID, tuple[UUID, ...]] = field(init=False)

    def __post_init__(self) -> None:
        weekly: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for row in self.opening_hours:
            weekly[row.weekday].append((row.opens_minute, row.closes_minute))
        object.__setattr__(self, "weekly_hours", dict(weekly))
        object.__setattr__(
            self,
            "ancestor_chains",
            MappingProxyType(
                {space_id: self._walk_up(space_id) for space_id in self.parent_of}
            ),
        )

    def _walk_up(self, space_id: UUID) -> tuple[UUID, ...]:
        chain: list[UUID] = []
        current = self.parent_of.get(space_id)
        while current is not None and len(chain) <= len(self.parent_of):
            chain.append(current)
            current = self.parent_of.get(current)
        return tuple(chain)

    def ancestors(self, space_id: UUID) -> list[UUID]:
        """Ancestor ids, nearest first."""
        return list(self.ancestor_chains.get(space_id, ()))

    def bookable_spaces(
        self, *, min_capacity: int | None = None, features=()
    ) -> list[Space]:
        """Bookable spaces holding `min_capacity` with every feature, by name."""
        wanted = set(features)
        return [
            space
            for space in self.spaces.values()
            if space.is_bookable
            and (not min_capacity or space.capacity >= min_capacity)
            and wanted <= set(space.features)
        ]


def _read(venue_id: UUID) -> VenueLayout | None:
    venue = Venue.objects.filter(pk=venue_id).first()
    if venue is None:
        return None
    spaces = {}
    # In the database's name order: lists of spaces keep it.
    for space in Space.objects.filter(venue_id=venue_id).order_by("name", "id"):
        space.venue = venue
        spaces[space.id] = space
    hours = OpeningHours.objects.filter(venue_id=venue_id).order_by(
        "weekday", "opens_minute"
    )
    since = utc_now()
    closures = Closure.objects.filter(venue_id=venue_id, end_time__gt=since)
    return VenueLayout(
        venue=venue,
        spaces=spaces,
        parent_of={space.id: space.parent_id for space in spaces.values()},
        opening_hours=tuple(hours),
        closures=tuple(closures.order_by("start_time")),
        closures_since=since,
    )


_LAYOUTS: VersionedCache[VenueLayout | None] = VersionedCache("layout", 1024)


def venue_layout(*, venue_id=None, space_id=None) -> VenueLayout | None:
    """The layout of a venue, or of a space's venue; None if there is none."""
    return venue_layout_read(venue_id=venue_id, space_id=space_id).layout


class LayoutRead(NamedTuple):
    layout: VenueLayout | None
    # The venue's data `version`, read in the same query as the layout's own
    # version; None when none was read (no such venue, or inside a
    # transaction, where the cache is not used).
    data_version: int | None


def venue_layout_read(*, venue_id=None, space_id=None) -> LayoutRead:
    """`venue_layout`, with the venue's data version read alongside: a request
    that goes on to another versioned read of the venue (a 409's suggestions)
    keys it by this number instead of asking the database again. The number
    was read after the request began, so the read-cache rule still holds."""
    # (venue id, version, layout version), once `version` has read them.
    versions: list[tuple[UUID, int, int]] = []

    def version():
        found = data_versions(venue_id=venue_id, space_id=space_id)
        if found is None:
            return None
        versions.append(found)
        venue, _, layout_version = found
        return venue, layout_version  # one entry per venue

    def read():
        if versions:
            return _read(versions[0][0])
        if space_id is not None:
            owner = Space.objects.filter(pk=space_id).values_list("venue_id").first()
            return _read(owner[0]) if owner else None
        return _read(venue_id)

    layout = _LAYOUTS.get_or_compute(version, "layout", read)
    return LayoutRead(layout, versions[0][1] if versions else None)
