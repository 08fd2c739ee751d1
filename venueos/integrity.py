"""`venueos check`: the integrity invariants, verified from first principles.

Deliberately independent of the claims table and of the constraints that
should make these states impossible: it recomputes the space tree and compares
raw rows, so it would notice if a constraint were dropped or a trigger broken.

Two bookings collide when their buffered periods meet: each booking's time
widened by the set-up and clean-up minutes it was booked with (its own
`buffer_before_minutes` / `buffer_after_minutes` columns, not the space's
current ones, which may have changed since).
"""

from django.db import connection

OVERLAPS_SQL = """
WITH RECURSIVE lineage(descendant, ancestor, depth) AS (
    SELECT id, id, 0 FROM venues_space
    UNION ALL
    SELECT l.descendant, s.parent_id, l.depth + 1
    FROM lineage l JOIN venues_space s ON s.id = l.ancestor
    WHERE s.parent_id IS NOT NULL AND l.depth < 100
)
SELECT a.id, a.space_id, b.id, b.space_id, lower(r), upper(r)
FROM bookings_booking a
JOIN lineage l ON l.descendant = a.space_id
JOIN bookings_booking b ON b.space_id = l.ancestor
CROSS JOIN LATERAL (
    SELECT tstzrange(a.start_time - make_interval(mins => a.buffer_before_minutes),
                     a.end_time + make_interval(mins => a.buffer_after_minutes), '[)')
         * tstzrange(b.start_time - make_interval(mins => b.buffer_before_minutes),
                     b.end_time + make_interval(mins => b.buffer_after_minutes), '[)') AS r
) overlap
WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
  AND a.id <> b.id
  AND (l.depth > 0 OR a.id < b.id)
  AND NOT isempty(r)
ORDER BY lower(r)
LIMIT 1000
"""


def overlapping_bookings() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS_SQL)
        return [
            f"booking {a} (space {a_space}) overlaps booking {b} (space {b_space}) "
            f"from {start.isoformat()} to {end.isoformat()}"
            for a, a_space, b, b_space, start, end in cursor.fetchall()
        ]


def integrity_problems() -> list[str]:
    from venueos.events.selectors import oversold_events

    return overlapping_bookings() + oversold_events()
