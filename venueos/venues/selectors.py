"""Venue and space reads. The space tree is read with one query per venue and
assembled in memory, so `path` and nested `children` cost no extra queries."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from django.db import connection
from django.db.models import F, Q, QuerySet

from venueos.common.permissions import (
    manages_organization,
    require_manager_of,
    require_manager_or_admin,
)
from venueos.common.problems import NotFound
from venueos.venues.models import Closure, OpeningHours, Space, Venue


def venue_list(
    *, organization_slug: str | None = None, query: str | None = None
) -> QuerySet:
    venues = Venue.objects.filter(archived_at__isnull=True).select_related(
        "organization"
    )
    if organization_slug:
        venues = venues.filter(organization__slug=organization_slug)
    if query:
        venues = venues.filter(Q(name__icontains=query) | Q(address__icontains=query))
    return venues.order_by("name", "id")


def venue_get(venue_id, *, user=None) -> Venue:
    """A venue anyone may read; archived ones only for its managers."""
    venue = Venue.objects.select_related("organization").filter(pk=venue_id).first()
    if venue is None or (
        venue.is_archived and not manages_organization(user, venue.organization_id)
    ):
        raise NotFound("No such venue.")
    return venue


def space_find(space_id, *, venue_id=None, active_venue: bool = False) -> Space | None:
    """The space with its venue, or None (also when it is not in `venue_id`,
    or, with `active_venue`, when its venue is archived)."""
    spaces = Space.objects.select_related("venue").filter(pk=space_id)
    if venue_id is not None:
        spaces = spaces.filter(venue_id=venue_id)
    if active_venue:
        spaces = spaces.filter(venue__archived_at__isnull=True)
    return spaces.first()


def bookable_spaces(
    venue: Venue, *, min_capacity: int | None = None, features=(), limit=None
) -> list[Space]:
    """The venue's bookable spaces holding `min_capacity` with every feature,
    by name (the first `limit`); each shares the one `venue` object (no join
    per row)."""
    spaces = Space.objects.filter(venue=venue, is_bookable=True)
    if min_capacity:
        spaces = spaces.filter(capacity__gte=min_capacity)
    if features:
        spaces = spaces.filter(features__contains=list(features))
    found = list(spaces.order_by("name", "id")[:limit])
    for space in found:
        space.venue = venue
    return found


def space_visible(space_id, *, user, venue_id=None) -> Space | None:
    """The space with its venue if `user` may see it, else None: like its
    venue (`venue_get`), a space of an archived venue is its managers' only.
    With `venue_id`, only a space of that venue."""
    spaces = Space.objects.select_related("venue", "venue__organization").filter(
        pk=space_id
    )
    if venue_id is not None:
        spaces = spaces.filter(venue_id=venue_id)
    space = spaces.first()
    return space if space is not None and may_see_space(space, user) else None


def may_see_space(space: Space, user) -> bool:
    """Like its venue (`venue_get`), a space of an archived venue is its
    managers' only."""
    return not space.venue.is_archived or manages_organization(
        user, space.venue.organization_id
    )


def space_get(space_id, *, user, venue_id=None) -> Space:
    """`space_visible`, or 404: a space the caller may not see answers like
    one that does not exist, whatever they meant to do with it."""
    space = space_visible(space_id, user=user, venue_id=venue_id)
    if space is None:
        raise NotFound("No such space.")
    return space


def venue_spaces(venue_id) -> list[Space]:
    """All spaces of a venue, each with `.path` (ancestor ids from the root)."""
    spaces = list(Space.objects.filter(venue_id=venue_id).order_by("name", "id"))
    attach_paths(spaces)
    return spaces


def attach_paths(spaces: list[Space]) -> None:
    parent_of = {space.id: space.parent_id for space in spaces}
    for space in spaces:
        path: list[UUID] = []
        current = space.parent_id
        while current is not None and len(path) < len(parent_of):
            path.append(current)
            current = parent_of.get(current)
        space.path = list(reversed(path))


def space_tree(venue_id) -> list[Space]:
    """Root spaces with `.tree_children` filled recursively (one query)."""
    spaces = venue_spaces(venue_id)
    children: dict[UUID | None, list[Space]] = defaultdict(list)
    for space in spaces:
        children[space.parent_id].append(space)
    for space in spaces:
        space.tree_children = children.get(space.id, [])
    return children.get(None, [])


def space_with_path(space: Space) -> Space:
    space.path = list(reversed(space_ancestor_ids(space.id)))
    return space


def space_ancestor_ids(space_id) -> list[UUID]:
    """Ancestors of a space, nearest first (one recursive query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE up(id, parent_id, depth) AS (
                SELECT id, parent_id, 0 FROM venues_space WHERE id = %s
                UNION ALL
                SELECT s.id, s.parent_id, up.depth + 1
                FROM venues_space s JOIN up ON s.id = up.parent_id
                WHERE up.depth < 100
            )
            SELECT id FROM up WHERE depth > 0 ORDER BY depth
            """,
            [space_id],
        )
        return [row[0] for row in cursor.fetchall()]


def opening_hours(venue_id) -> list[OpeningHours]:
    return list(
        OpeningHours.objects.filter(venue_id=venue_id).order_by(
            "weekday", "opens_minute"
        )
    )


def closure_list(venue: Venue, *, user) -> QuerySet:
    """A venue's closures, for its managers."""
    require_manager_of(user, venue.organization_id)
    return Closure.objects.filter(venue_id=venue.id).order_by("start_time", "id")


def closure_get(closure_id, *, user, venue_id=None) -> Closure:
    """A closure for its venue's managers (only they list closures); 404 for
    anyone else, as for one that does not exist. With `venue_id`, only a
    closure of that venue."""
    closures = Closure.objects.select_related("venue").filter(pk=closure_id)
    if venue_id is not None:
        closures = closures.filter(venue_id=venue_id)
    closure = closures.first()
    if closure is None or not manages_organization(user, closure.venue.organization_id):
        raise NotFound("No such closure.")
    return closure


def feature_names() -> list[str]:
    """Every feature of a bookable space in an open venue, sorted (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT unnest(s.features) AS feature
            FROM venues_space s JOIN venues_venue v ON v.id = s.venue_id
            WHERE s.is_bookable AND v.archived_at IS NULL
            ORDER BY feature
            """
        )
        return [row[0] for row in cursor.fetchall()]


def venues_by_id(venue_ids) -> dict[UUID, Venue]:
    return Venue.objects.in_bulk(list(set(venue_ids)))


def venues_managed_by(user) -> QuerySet:
    """The venues a person runs: all for administrators, their organization's
    for managers (archived ones last); anyone else is refused (403)."""
    require_manager_or_admin(user)
    venues = Venue.objects.select_related("organization")
    if not user.is_admin:
        venues = venues.filter(organization_id=user.organization_id)
    return venues.order_by(F("archived_at").asc(nulls_first=True), "name", "id")


def venue_get_managed(venue_id, *, user) -> Venue:
    """A venue for its managers' pages: 404 if it does not exist or is an
    archived venue the caller may not see, 403 for anyone else who does not
    manage it."""
    venue = Venue.objects.select_related("organization").filter(pk=venue_id).first()
    if venue is None or (
        venue.is_archived and not manages_organization(user, venue.organization_id)
    ):
        raise NotFound("No such venue.")
    require_manager_of(user, venue.organization_id)
    return venue


def data_versions(*, venue_id=None, space_id=None) -> tuple[UUID, int, int] | None:
    """(venue id, version, layout version) of a venue, or of a space's venue;
    None if there is no such venue or space. One small query: callers read it
    before the data they derive from it (venueos/common/readcache.py)."""
    if space_id is not None:
        sql = (
            "SELECT s.venue_id, coalesce(d.version, 0), coalesce(d.layout_version, 0)"
            " FROM venues_space s"
            " LEFT JOIN venues_dataversion d ON d.venue_id = s.venue_id"
            " WHERE s.id = %s"
        )
        key = space_id
    else:
        sql = (
            "SELECT v.id, coalesce(d.version, 0), coalesce(d.layout_version, 0)"
            " FROM venues_venue v"
            " LEFT JOIN venues_dataversion d ON d.venue_id = v.id WHERE v.id = %s"
        )
        key = venue_id
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    return tuple(row) if row else None


def data_version(*, venue_id=None, space_id=None) -> int | None:
    """The `version` of `data_versions`."""
    found = data_versions(venue_id=venue_id, space_id=space_id)
    return found[1] if found else None
