"""Time zones, the slot grid and opening hours in venue-local time.

Stored instants are UTC `timestamptz`; rules (grid, opening hours) are stated in
the venue's local wall-clock time, so every conversion goes through zoneinfo and
is DST-correct: 09:00-17:00 stays 09:00-17:00 local on the day the clocks change.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rest_framework import serializers

_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def valid_timezone(name: str) -> bool:
    if not name or name not in _timezone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_TIMEZONES: frozenset[str] | None = None


def _timezone_names() -> frozenset[str]:
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = frozenset(available_timezones())
    return _TIMEZONES


def parse_hhmm(value: str) -> int:
    """'09:30' -> 570 minutes after midnight; '24:00' is the end of the day."""
    match = _HHMM.fullmatch(value or "")
    if not match:
        raise ValueError(
            f"'{value}' is not a time of day in HH:MM form (00:00 to 24:00)."
        )
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > 24 * 60:
        raise ValueError(f"'{value}' is after 24:00.")
    return minutes


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def local_wall_time(local_day: date, minute_of_day: int, zone: ZoneInfo) -> datetime:
    """The instant at a local wall-clock minute of a day (24:00 = next midnight).

    zoneinfo's fold=0 reading decides the edge cases: a wall time inside a
    spring-forward gap lands just after the gap (02:30 -> 03:30), an ambiguous
    one in a fall-back hour is its first occurrence.
    """
    day = local_day + timedelta(days=minute_of_day // (24 * 60))
    minute_of_day %= 24 * 60
    naive = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60))
    return naive.replace(tzinfo=zone).astimezone(UTC)


def on_grid(instant: datetime, zone: ZoneInfo, slot_minutes: int) -> bool:
    """Whether an instant is a multiple of the slot size in venue-local time."""
    local = instant.astimezone(zone)
    if local.second or local.microsecond:
        return False
    return (local.hour * 60 + local.minute) % slot_minutes == 0


def utc_now() -> datetime:
    return datetime.now(UTC)


def rfc3339_utc(value: datetime | None) -> str | None:
    """The API's timestamp text (UTC, `Z`), as `AwareDateTimeField` renders it."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def minute_ceil(moment: datetime) -> datetime:
    floor = minute_floor(moment)
    return floor if floor == moment else floor + timedelta(minutes=1)


# Instants and dates outside these years are refused at the door: arithmetic on
# them (horizons, time-zone shifts, "the next day") would overflow Python's
# datetime, and no booking or event is that far away.
MIN_YEAR, MAX_YEAR = 1900, 2999


class AwareDateTimeField(serializers.DateTimeField):
    """RFC 3339 with an offset; a naive timestamp is a 400, never silently UTC."""

    default_error_messages = {
        "out_of_range": f"Timestamps must lie between the years {MIN_YEAR} and {MAX_YEAR}.",
        "naive": (
            "Timestamp '{value}' has no time zone offset; send RFC 3339 with an "
            "offset, e.g. 2026-12-01T09:00:00+01:00 or 2026-12-01T08:00:00Z."
        ),
        "invalid": (
            "'{value}' is not an RFC 3339 timestamp; expected e.g. 2026-12-01T09:00:00+01:00."
        ),
    }

    def to_internal_value(self, value):
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
            except ValueError:
                self.fail("invalid", value=value[:64])
            if len(value) > 64:
                self.fail("invalid", value=value[:64])
        else:
            self.fail("invalid", value=str(value)[:64])
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail("naive", value=str(value)[:64])
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            self.fail("out_of_range")
        return parsed.astimezone(UTC)

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_aware(value: str, field: str) -> datetime:
    """Parse a query-string timestamp with the same rules as request bodies."""
    from venueos.common.problems import InvalidInput

    try:
        return AwareDateTimeField().to_internal_value(value)
    except serializers.ValidationError as exc:
        raise InvalidInput.field(
            field, str(exc.detail[0]), slug="invalid-timestamp"
        ) from exc


def require_in_years(value: date, field: str) -> None:
    """Refuse a date or instant outside `MIN_YEAR`..`MAX_YEAR` with a 400, for
    services that take Python values from callers other than the API's
    serializers (the web forms, the command line)."""
    from venueos.common.problems import InvalidInput

    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidInput.field(
            field,
            f"Dates must lie between the years {MIN_YEAR} and {MAX_YEAR}.",
            slug="invalid-date",
        )


def parse_day(value: str, field: str) -> date:
    """A `YYYY-MM-DD` query parameter, within the same years as timestamps."""
    from venueos.common.problems import InvalidInput

    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput.field(
            field, f"'{value[:20]}' is not a date (YYYY-MM-DD).", slug="invalid-date"
        ) from exc
    if not MIN_YEAR <= day.year <= MAX_YEAR or len(value) != 10:
        raise InvalidInput.field(
            field,
            f"Dates must be YYYY-MM-DD between the years {MIN_YEAR} and {MAX_YEAR}.",
            slug="invalid-date",
        )
    return day
