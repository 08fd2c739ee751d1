"""Gates (entrances) of a venue, where tickets are scanned: the write
(`gate_create`, audited) and the read (`gate_list`).

Invariant held by PostgreSQL: `gate_name_unique_per_venue`.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from venueos.accounts.models import User
from venueos.audit.actions import AuditAction
from venueos.audit.services import audit_record
from venueos.common.locking import constraint_name
from venueos.common.permissions import require_manager_of
from venueos.common.problems import Conflict, InvalidInput
from venueos.venues.models import Gate, Venue


class GateNameTaken(Conflict):
    slug, title = "gate-name-taken", "Gate name taken"


@transaction.atomic(durable=True)
def gate_create(*, venue: Venue, actor: User, name: str) -> Gate:
    require_manager_of(actor, venue.organization_id)
    name = name.strip()
    if not name:
        raise InvalidInput.field("name", "A gate needs a name.")
    if venue.is_archived:
        raise InvalidInput.field(
            "venue_id", "The venue is archived.", slug="venue-archived"
        )
    gate = Gate(venue=venue, name=name)
    try:
        with transaction.atomic():
            gate.save(force_insert=True)
    except IntegrityError as exc:
        if constraint_name(exc) == "gate_name_unique_per_venue":
            raise GateNameTaken(
                f"This venue already has a gate called '{name}'."
            ) from exc
        raise
    audit_record(
        AuditAction.GATE_CREATED,
        gate.id,
        actor=actor,
        new={"venue_id": venue.id, "name": name},
    )
    return gate


def gate_list(venue: Venue, *, user) -> QuerySet:
    """A venue's gates, for its managers."""
    require_manager_of(user, venue.organization_id)
    return Gate.objects.filter(venue_id=venue.id).order_by("name", "id")


def gate_find(gate_id, *, venue_id) -> Gate | None:
    """A gate of the venue by id, or None (also for another venue's gate, so
    that an id tells nothing of venues the caller may not see)."""
    return Gate.objects.filter(pk=gate_id, venue_id=venue_id).first()
