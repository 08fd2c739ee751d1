"""Recurring bookings: a series of occurrences, created or refused as a whole.

Expansion: python-dateutil's `rrule` runs over the venue's LOCAL wall-clock
time (naive local datetimes), and each occurrence is then turned into an
instant with the venue's zone, so 09:00-10:00 stays 09:00-10:00 local across
DST changes (the instants move by the offset change). An occurrence whose local
start or end does not exist that day (inside a spring-forward gap) is refused
with reason `nonexistent-local-time`; an ambiguous one (the repeated hour in
autumn) is its first occurrence, as everywhere else (`local_wall_time`).

Every occurrence obeys every rule of a single booking: the same
`check_booking_rules`, run from data pre-fetched once for the whole series
(`RuleData`, shared with the bulk import), then the conflict rule, read for all
occurrences in one query and decided by the claims' exclusion constraint.

Lock order (as `booking_create`): the advisory locks of the space path (shared
on the ancestors, exclusive on the space, one ordered statement), then the
conflict read under those locks, then one bulk insert of every occurrence (the
claims trigger and the constraints check each row) and the audit entries, all
in one durable transaction. Because the conflict read runs under the locks
every other booking writer takes, what it finds is what the insert would meet:
`on_conflict: "fail"` creates nothing and lists every refused occurrence,
`"skip"` creates the others. A writer that bypasses the locks (raw SQL) still
meets the constraint: the series then fails as a whole with a 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule
from django.db import connection, transaction
from django.utils import timezone

from venueos.accounts.models import User
from venueos.audit.actions import AuditAction
from venueos.audit.services import Change, audit_record, snapshot
from venueos.bookings.conflicts import BookingConflict
from venueos.bookings.imports import RuleData
from venueos.bookings.limits import customer_allowance
from venueos.bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingSeries,
    BookingStatus,
)
from venueos.bookings.rules import BookingRuleViolation
from venueos.bookings.services import AUDITED_FIELDS, _resolve_owner
from venueos.common.locking import lock_rows, lock_space_paths, lost_race_as
from venueos.common.permissions import manages_organization, require_signed_in
from venueos.common.problems import InvalidInput, PermissionDenied
from venueos.common.timeutils import (
    local_wall_time,
    require_in_years,
    rfc3339_utc,
)
from venueos.venues.models import Space

MAX_OCCURRENCES = 200
MAX_INTERVAL = 1000
# The longest booking horizon a venue may have: nothing later can be booked.
MAX_REACH = timedelta(days=3650)
FREQUENCIES = {
    "daily": rrule.DAILY,
    "weekly": rrule.WEEKLY,
    "monthly": rrule.MONTHLY,
}
ON_CONFLICT = ("fail", "skip")


@dataclass(frozen=True)
class Recurrence:
    """`freq` daily/weekly/monthly, every `interval`, `count` occurrences or
    `until` a local date (inclusive), optionally only on `byweekday` (Monday 0).

    As in RFC 5545 (and dateutil), the first booking's date is an occurrence
    only if it matches the rule (e.g. its weekday is in `byweekday`), and a
    monthly series on the 31st skips months without one."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: date | None = None
    byweekday: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.freq not in FREQUENCIES:
            raise InvalidInput.field(
                "recurrence", f"freq must be one of: {', '.join(FREQUENCIES)}."
            )
        if not 1 <= self.interval <= MAX_INTERVAL:
            raise InvalidInput.field(
                "recurrence", f"interval must be between 1 and {MAX_INTERVAL}."
            )
        if (self.count is None) == (self.until is None):
            raise InvalidInput.field(
                "recurrence", "Give exactly one of count and until."
            )
        if self.count is not None and not 1 <= self.count <= MAX_OCCURRENCES:
            raise InvalidInput.field(
                "recurrence", f"count must be between 1 and {MAX_OCCURRENCES}."
            )
        if self.byweekday is not None and (
            not self.byweekday or any(not 0 <= day <= 6 for day in self.byweekday)
        ):
            raise InvalidInput.field(
                "recurrence", "byweekday lists weekdays 0 (Monday) to 6 (Sunday)."
            )

    def as_json(self) -> dict[str, Any]:
        return {
            "freq": self.freq,
            "interval": self.interval,
            "count": self.count,
            "until": self.until.isoformat() if self.until else None,
            "byweekday": list(self.byweekday) if self.byweekday else None,
        }


@dataclass
class Occurrence:
    start: datetime
    end: datetime
    reason: str | None = None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def refuse(self, reason: str, detail: str, **extra: Any) -> None:
        self.reason, self.detail, self.extra = reason, detail, extra

    def as_json(self) -> dict[str, Any]:
        return {
            "start_time": rfc3339_utc(self.start),
            "end_time": rfc3339_utc(self.end),
            "reason": self.reason,
            "detail": self.detail,
            **self.extra,
        }


def _instant(naive: datetime, zone: ZoneInfo) -> datetime | None:
    """The instant of a local wall time, or None if the clocks skip it."""
    instant = naive.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return instant


def expand(
    recurrence: Recurrence, *, start: datetime, end: datetime, zone: ZoneInfo
) -> list[Occurrence]:
    """The occurrences in local wall time, as instants; at most 200, and none
    later than ten years after the first (400 otherwise)."""
    first = start.astimezone(zone).replace(tzinfo=None)
    wall_length = end.astimezone(zone).replace(tzinfo=None) - first
    if wall_length <= timedelta(0):
        raise InvalidInput.field("end_time", "end_time must be after start_time.")
    until = None
    if recurrence.until is not None:
        if recurrence.until < first.date():
            raise InvalidInput.field(
                "recurrence", "until lies before the first booking's date."
            )
        until = datetime.combine(recurrence.until, time.max)
    rule = rrule.rrule(
        FREQUENCIES[recurrence.freq],
        dtstart=first,
        interval=recurrence.interval,
        count=recurrence.count,
        until=until,
        byweekday=recurrence.byweekday,
    )
    limit = first + MAX_REACH
    naive_starts: list[datetime] = []
    for moment in rule:
        if moment > limit:
            raise InvalidInput.field(
                "recurrence", "The series reaches more than ten years ahead."
            )
        if len(naive_starts) == MAX_OCCURRENCES:
            raise InvalidInput.field(
                "recurrence",
                f"A series has at most {MAX_OCCURRENCES} occurrences; this rule "
                "gives more.",
            )
        naive_starts.append(moment)
    if not naive_starts:
        raise InvalidInput.field(
            "recurrence", "This rule gives no occurrence on or after the first date."
        )
    occurrences = []
    for naive in naive_starts:
        if naive == first:
            occurrences.append(Occurrence(start, end))
            continue
        begin, finish = _instant(naive, zone), _instant(naive + wall_length, zone)
        if begin is None or finish is None:
            missing = naive if begin is None else naive + wall_length
            occurrence = Occurrence(
                begin or local_wall_time(naive.date(), _minute(naive), zone),
                finish
                or local_wall_time(
                    (naive + wall_length).date(), _minute(naive + wall_length), zone
                ),
            )
            occurrence.refuse(
                "nonexistent-local-time",
                f"{missing:%Y-%m-%d %H:%M} does not exist in {zone.key} "
                "(the clocks skip it).",
            )
            occurrences.append(occurrence)
        else:
            occurrences.append(Occurrence(begin, finish))
    return occurrences


def _minute(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _conflicts(
    space: Space, occurrences: list[Occurrence]
) -> dict[int, tuple[uuid.UUID, datetime, datetime]]:
    """For each occurrence (by index) that meets a claim of another booking,
    the earliest such booking: one query for the whole series, widened by the
    space's buffers exactly as the claims trigger would widen them."""
    if not occurrences:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE up(id, depth) AS (
                SELECT id, 0 FROM venues_space WHERE id = %(space)s
                UNION ALL
                SELECT s.parent_id, up.depth + 1 FROM venues_space s
                JOIN up ON s.id = up.id WHERE s.parent_id IS NOT NULL AND up.depth < 100
            ),
            occurrence(n, venue_id, period) AS (
                SELECT o.n - 1, sp.venue_id, tstzrange(
                    o.start_time - make_interval(mins => sp.buffer_before_minutes),
                    o.end_time + make_interval(mins => sp.buffer_after_minutes), '[)')
                FROM unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[])
                     WITH ORDINALITY AS o(start_time, end_time, n)
                CROSS JOIN (
                    SELECT venue_id, buffer_before_minutes, buffer_after_minutes
                    FROM venues_space WHERE id = %(space)s
                ) AS sp
            )
            SELECT DISTINCT ON (occurrence.n)
                   occurrence.n, b.space_id, b.start_time, b.end_time
            FROM occurrence
            JOIN bookings_bookingclaim c
              ON c.venue_id = occurrence.venue_id AND c.period && occurrence.period
            JOIN up ON c.space_id = up.id AND (up.depth = 0 OR c.exclusive)
            JOIN bookings_booking b ON b.id = c.booking_id
            ORDER BY occurrence.n, b.start_time, b.id
            """,
            {
                "space": space.id,
                "starts": [item.start for item in occurrences],
                "ends": [item.end for item in occurrences],
            },
        )
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def _refuse_self_overlaps(space: Space, occurrences: list[Occurrence]) -> None:
    """Occurrences of one series that would meet each other (with the space's
    buffers): the later one is refused."""
    before = timedelta(minutes=space.buffer_before_minutes)
    after = timedelta(minutes=space.buffer_after_minutes)
    previous_end: datetime | None = None
    for occurrence in sorted(occurrences, key=lambda item: item.start):
        if occurrence.reason:
            continue
        if previous_end is not None and occurrence.start - before < previous_end:
            occurrence.refuse(
                "overlaps-series",
                "It meets the previous occurrence of this series (with the "
                "space's set-up and clean-up time).",
            )
            continue
        previous_end = occurrence.end + after


def _refusal(occurrences: list[Occurrence]) -> InvalidInput | BookingConflict:
    refused = [item for item in occurrences if item.reason]
    listed = [item.as_json() for item in refused]
    count = f"{len(refused)} of {len(occurrences)} occurrences"
    if any(item.reason == BookingConflict.slug for item in refused):
        return BookingConflict(
            f"{count} cannot be booked; nothing was created.", occurrences=listed
        )
    return BookingRuleViolation(
        f"{count} break a booking rule; nothing was created.",
        slug=refused[0].reason,
        occurrences=listed,
    )


def booking_series_create(
    *,
    actor: User,
    space: Space,
    start_time: datetime,
    end_time: datetime,
    title: str,
    recurrence: Recurrence,
    on_conflict: str = "fail",
    description: str = "",
    attendee_count: int = 1,
    external_meeting_url: str = "",
    owner: User | None = None,
    owner_id: uuid.UUID | None = None,
) -> tuple[BookingSeries, list[Booking], list[Occurrence]]:
    """Create every occurrence in one transaction; returns the series, its
    bookings and the skipped occurrences. `fail` (and `skip` when nothing is
    left) raises 409 booking-conflict if an occurrence collides, else 400,
    with `occurrences` listing every refused one. Booking for someone else
    (`owner` or `owner_id`) needs a manager of the venue, as for one booking."""
    require_signed_in(actor)
    owner = _resolve_owner(actor=actor, space=space, owner=owner, owner_id=owner_id)
    if on_conflict not in ON_CONFLICT:
        raise InvalidInput.field("on_conflict", "Use 'fail' or 'skip'.")
    venue = space.venue
    zone = ZoneInfo(venue.timezone)
    occurrences = expand(recurrence, start=start_time, end=end_time, zone=zone)
    rules = RuleData.fetch(
        [space],
        min(item.start for item in occurrences),
        max(item.end for item in occurrences),
    )
    now = timezone.now()
    is_manager = manages_organization(actor, venue.organization_id)
    for occurrence in occurrences:
        if occurrence.reason:
            continue
        try:
            rules.check(
                space=space,
                start=occurrence.start,
                end=occurrence.end,
                attendee_count=attendee_count,
                now=now,
                reveal_closure_reasons=is_manager,
            )
        except BookingRuleViolation as exc:
            occurrence.refuse(exc.slug, exc.detail)
    _refuse_self_overlaps(space, occurrences)
    status = (
        BookingStatus.PENDING
        if space.requires_approval and not is_manager
        else BookingStatus.CONFIRMED
    )
    series = BookingSeries(
        venue_id=venue.id,
        space=space,
        user=owner,
        created_by=actor,
        title=title,
        recurrence=recurrence.as_json(),
        timezone=venue.timezone,
    )

    @transaction.atomic(durable=True)
    def write() -> list[Booking]:
        allowance = customer_allowance(actor=actor, owner=owner, venue=venue)
        lock_space_paths([(space.id, rules.ancestors[space.id])])
        candidates = [item for item in occurrences if not item.reason]
        for index, (space_id, begin, finish) in _conflicts(space, candidates).items():
            candidates[index].refuse(
                BookingConflict.slug,
                "The space (or a space containing it or inside it) is already "
                "booked then.",
                conflicting_booking={
                    "start_time": rfc3339_utc(begin),
                    "end_time": rfc3339_utc(finish),
                    "space_id": str(space_id),
                },
            )
        accepted = [item for item in occurrences if not item.reason]
        if len(accepted) < len(occurrences) and (on_conflict == "fail" or not accepted):
            raise _refusal(occurrences)
        if allowance is not None:
            # All or nothing, as for conflicts: no silent partial series.
            allowance.check(len(accepted))
        series.save(force_insert=True)
        bookings = [
            Booking(
                venue_id=venue.id,
                space=space,
                user=owner,
                created_by=actor,
                start_time=item.start,
                end_time=item.end,
                title=title,
                description=description,
                attendee_count=attendee_count,
                external_meeting_url=external_meeting_url,
                status=status,
                series=series,
            )
            for item in accepted
        ]
        Booking.objects.bulk_create(bookings)
        audit_record(
            AuditAction.BOOKING_SERIES_CREATED,
            series.id,
            actor=actor,
            new={
                "space_id": space.id,
                "user_id": owner.id,
                "title": title,
                "recurrence": series.recurrence,
                "created": len(bookings),
                "skipped": len(occurrences) - len(bookings),
            },
        )
        if owner.pk == actor.pk:
            action = AuditAction.BOOKING_CREATED
        else:
            action = AuditAction.BOOKING_CREATED_ON_BEHALF
        audit_record(
            action,
            actor=actor,
            changes=[
                Change(booking.id, new=snapshot(booking, AUDITED_FIELDS))
                for booking in bookings
            ],
        )
        return bookings

    with lost_race_as(
        lambda state: BookingConflict(
            "The space is busy with other bookings right now; nothing was "
            "created. Try again."
        )
    ):
        bookings = write()
    return series, bookings, [item for item in occurrences if item.reason]


def booking_series_cancel(
    *,
    actor: User,
    series: BookingSeries,
    from_day: date | None = None,
    reason: str = "",
) -> list[Booking]:
    """Cancel the series' active occurrences that have not started (and, with
    `from_day`, start on or after that local date in the series' zone); by
    its owner or the venue's managers."""
    require_signed_in(actor)
    is_manager = manages_organization(actor, series.venue.organization_id)
    if series.user_id != actor.pk and not is_manager:
        raise PermissionDenied(
            "Only the series' owner or the venue's managers may cancel it."
        )
    now = timezone.now()
    earliest = now
    if from_day is not None:
        require_in_years(from_day, "from_day")
        earliest = max(now, local_wall_time(from_day, 0, ZoneInfo(series.timezone)))

    @transaction.atomic(durable=True)
    def write() -> list[Booking]:
        bookings = list(
            lock_rows(
                Booking.objects.filter(
                    series=series, status__in=ACTIVE_STATUSES, start_time__gt=earliest
                ).order_by("start_time", "id")
            )
        )
        if not bookings:
            return []
        old_status = {booking.id: booking.status for booking in bookings}
        Booking.objects.filter(pk__in=list(old_status)).update(
            status=BookingStatus.CANCELLED,
            cancelled_at=now,
            cancelled_by=actor,
            cancellation_reason=reason,
            updated_at=now,
        )
        for booking in bookings:
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_at, booking.cancelled_by = now, actor
            booking.cancellation_reason = reason
        if series.user_id == actor.pk:
            action = AuditAction.BOOKING_CANCELLED
        else:
            action = AuditAction.BOOKING_ADMIN_CANCELLED
        audit_record(
            action,
            actor=actor,
            changes=[
                Change(
                    booking.id,
                    old={"status": old_status[booking.id]},
                    new={
                        "status": booking.status,
                        "reason": reason,
                        "series_id": series.id,
                    },
                )
                for booking in bookings
            ],
        )
        return bookings

    with lost_race_as(
        lambda state: BookingConflict(
            "Someone else is changing bookings of this series right now; try again."
        )
    ):
        return write()
