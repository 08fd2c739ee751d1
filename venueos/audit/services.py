"""`audit_record`: the one way to write the audit log, for single and bulk
writes alike. Call it inside the service's transaction (it refuses to run
outside one), so the entry commits or rolls back with the change it
describes; the receivers of `hooks.entries_recorded` run in that transaction
too."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from venueos.audit.actions import AuditAction
from venueos.audit.hooks import entries_recorded
from venueos.audit.models import AuditEntry
from venueos.common.middleware import current_request


@dataclass(frozen=True)
class Change:
    """What one write did to one entity: its values before and after."""

    entity_id: uuid.UUID
    old: Mapping[str, Any] | None = None
    new: Mapping[str, Any] | None = None


def snapshot(instance: Any, fields: Sequence[str]) -> dict[str, Any]:
    """The audited fields of a model instance, as they are now."""
    return {field: getattr(instance, field) for field in fields}


def differences(old: Mapping, new: Mapping) -> tuple[dict, dict]:
    """The old and new values of the keys whose value changed."""
    changed = [key for key, value in old.items() if new[key] != value]
    return {key: old[key] for key in changed}, {key: new[key] for key in changed}


def changed_fields(
    instance, fields: Sequence[str], updates: Mapping
) -> tuple[dict, dict]:
    """Old and new values of the fields an update would really change."""
    current = snapshot(instance, [field for field in fields if field in updates])
    return differences(current, {key: updates[key] for key in current})


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    return value


def audit_record(
    action: AuditAction,
    entity_id: uuid.UUID | None = None,
    *,
    actor,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    changes: Iterable[Change] | None = None,
) -> list[AuditEntry]:
    """Record `action` by `actor`: on one entity (`entity_id`, `old`, `new`) or
    on many (`changes`, one INSERT for all: a bulk import). Returns the saved
    entries, after `hooks.entries_recorded` has seen them.

        audit_record(AuditAction.SPACE_UPDATED, space.id, actor=actor, old=old, new=new)
        audit_record(AuditAction.BOOKING_IMPORTED, actor=actor, changes=[...])
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the write's transaction.")
    action = AuditAction(action)
    if changes is None:
        if entity_id is None:
            raise TypeError("audit_record needs entity_id or changes.")
        changes = [Change(entity_id, old, new)]
    elif entity_id is not None or old is not None or new is not None:
        raise TypeError("Give either entity_id/old/new or changes, not both.")
    context = current_request.get()
    actor = actor if actor is not None and actor.is_authenticated else None
    entries = AuditEntry.objects.bulk_create(
        AuditEntry(
            entity_type=action.entity_type,
            entity_id=change.entity_id,
            action=action.value,
            actor=actor,
            old_values=_jsonable(change.old) if change.old is not None else None,
            new_values=_jsonable(change.new) if change.new is not None else None,
            ip=context.ip if context else None,
            user_agent=context.user_agent if context else "",
            request_id=context.request_id if context else "",
        )
        for change in changes
    )
    if entries:
        entries_recorded(entries=entries)
    return entries
