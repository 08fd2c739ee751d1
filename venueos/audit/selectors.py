from venueos.audit.models import AuditEntry


def audit_history(*, entity_type: str, entity_id):
    return (
        AuditEntry.objects.filter(entity_type=entity_type, entity_id=entity_id)
        .select_related("actor")
        .order_by("id")
    )
