"""`audit_record`: call inside the service's transaction, so the entry commits
or rolls back together with the change it describes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from venueos.audit.models import AuditEntry
from venueos.common.middleware import current_request


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    return value


def audit_record(
    *,
    entity_type: str,
    entity_id,
    action: str,
    actor=None,
    old: dict | None = None,
    new: dict | None = None,
) -> AuditEntry:
    context = current_request.get()
    return AuditEntry.objects.create(
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        old_values=_jsonable(old) if old is not None else None,
        new_values=_jsonable(new) if new is not None else None,
        ip=context.ip if context else None,
        user_agent=context.user_agent if context else "",
        request_id=context.request_id if context else "",
    )


def changed_fields(instance, fields: list[str], updates: dict) -> tuple[dict, dict]:
    """Old and new values of the fields an update really changes."""
    old, new = {}, {}
    for field in fields:
        if field in updates and getattr(instance, field) != updates[field]:
            old[field] = getattr(instance, field)
            new[field] = updates[field]
    return old, new
