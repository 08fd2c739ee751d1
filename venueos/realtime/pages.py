"""What a server-rendered page needs to follow the stream without a gap.

A page reads its data, then its browser opens the stream; a change that
commits in between would be in neither. So the view notes the stream position
BEFORE it reads anything (`streams_from_here`), and the page connects with
`last_event_id` set to it: since ids follow commit order, every change the
page's reads may have missed has a higher id and is replayed. A change that
was already read may come again; the pages' updates are idempotent.
"""

from __future__ import annotations

import functools

from django.db import connection

from venueos.realtime.hub import PRUNED_THROUGH_SQL


def stream_position() -> int:
    """The newest change id visible now (never below what was pruned)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT greatest(coalesce(max(id), 0), ({PRUNED_THROUGH_SQL})) "
            "FROM realtime_change"
        )
        return cursor.fetchone()[0]


def streams_from_here(view):
    """Sets `request.stream_position` before the view reads; templates put it
    in the stream URL: `…&last_event_id={{ request.stream_position }}`."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        request.stream_position = stream_position()
        return view(request, *args, **kwargs)

    return wrapper
