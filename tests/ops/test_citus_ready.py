"""Citus-ready schema: read PostgreSQL's catalogue and fail when a table that
would be distributed by `venue_id` has a primary key, unique constraint,
unique index or exclusion constraint without that column, or a foreign key to
another distributed table that does not carry it, or when a table that would
be a reference table points at a distributed one (docs/scaling.md §3)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

DISTRIBUTION_COLUMN = "venue_id"
DISTRIBUTED = {
    "bookings_booking",
    "bookings_bookingclaim",
    "bookings_bookingseries",
    "events_event",
    "events_registration",
    "events_waitlistentry",
    "events_checkin",
}
# Tables with a venue_id that are not sharded: the venue catalogue is small and
# read everywhere (reference tables); the live stream's change log is written
# at commit and read by every server (docs/scaling.md §3).
NOT_DISTRIBUTED = {
    "venues_space",
    "venues_openinghours",
    "venues_closure",
    "venues_gate",
    "realtime_change",
}


def _rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _distributed_tables() -> set[str]:
    """Every table with the distribution column belongs to the venue's shard
    unless listed as not distributed, so a table added later with `venue_id`
    is checked too."""
    found = {
        table
        for (table,) in _rows(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND column_name = %s",
            [DISTRIBUTION_COLUMN],
        )
    }
    return (found - NOT_DISTRIBUTED) | DISTRIBUTED


def test_the_distributed_tables_have_the_distribution_column():
    tables = _distributed_tables()
    for table in DISTRIBUTED:
        columns = {
            name
            for (name,) in _rows(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND table_name = %s",
                [table],
            )
        }
        assert DISTRIBUTION_COLUMN in columns, table
    assert tables >= DISTRIBUTED


def test_every_unique_and_exclusion_rule_of_a_distributed_table_includes_venue_id():
    tables = sorted(_distributed_tables())
    offenders = _rows(
        """
        SELECT t.relname, i.relname
          FROM pg_index x
          JOIN pg_class t ON t.oid = x.indrelid
          JOIN pg_class i ON i.oid = x.indexrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
          LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid
         WHERE t.relname = ANY(%s)
           AND (x.indisunique OR x.indisprimary OR c.contype = 'x')
           AND NOT EXISTS (
               SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = t.oid AND a.attname = %s
                  AND a.attnum = ANY(x.indkey))
         ORDER BY 1, 2
        """,
        [tables, DISTRIBUTION_COLUMN],
    )
    assert offenders == []


def test_foreign_keys_between_distributed_tables_carry_venue_id():
    tables = sorted(_distributed_tables())
    offenders = _rows(
        """
        SELECT src.relname, c.conname
          FROM pg_constraint c
          JOIN pg_class src ON src.oid = c.conrelid
          JOIN pg_class dst ON dst.oid = c.confrelid
         WHERE c.contype = 'f' AND src.relname = ANY(%s) AND dst.relname = ANY(%s)
           AND NOT EXISTS (
               SELECT 1
                 FROM unnest(c.conkey, c.confkey) AS pair(src_col, dst_col)
                 JOIN pg_attribute sa ON sa.attrelid = c.conrelid AND sa.attnum = pair.src_col
                 JOIN pg_attribute da ON da.attrelid = c.confrelid AND da.attnum = pair.dst_col
                WHERE sa.attname = %s AND da.attname = %s)
         ORDER BY 1, 2
        """,
        [tables, tables, DISTRIBUTION_COLUMN, DISTRIBUTION_COLUMN],
    )
    assert offenders == []


def test_no_reference_table_points_at_a_distributed_table():
    tables = sorted(_distributed_tables())
    offenders = _rows(
        """
        SELECT src.relname, c.conname, dst.relname
          FROM pg_constraint c
          JOIN pg_class src ON src.oid = c.conrelid
          JOIN pg_class dst ON dst.oid = c.confrelid
         WHERE c.contype = 'f' AND dst.relname = ANY(%s)
           AND NOT (src.relname = ANY(%s))
         ORDER BY 1, 2
        """,
        [tables, tables],
    )
    assert offenders == []
