"""Reads of the audit log for the page and the API (both staff only; callers check)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from audit.models import AuditEvent


@dataclass(frozen=True)
class AuditFilters:
    """None means "any". `actor` is a username as recorded (it matches events of a user since
    deleted too); `object_type` is `app_label.model`; `since` is inclusive, `until` exclusive."""

    actor_id: int | None = None
    actor: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def object_type_id(key: str) -> int | None:
    """The ContentType id of `app_label.model`, or None when there is no such type."""
    app_label, _, model = key.partition(".")
    try:
        return ContentType.objects.get_by_natural_key(app_label, model).pk
    except ContentType.DoesNotExist:
        return None


def audit_event_list(filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    """Events matching `filters`, each with its object type joined (one query per page).

    Every filter has an index ending in id, so keyset pages (newest first) stay cheap.
    """
    f = filters or AuditFilters()
    events = AuditEvent.objects.select_related("object_type")
    if f.actor_id is not None:
        events = events.filter(actor_id=f.actor_id)
    if f.actor:
        events = events.filter(actor_name=f.actor)
    if f.object_type:
        type_id = object_type_id(f.object_type)
        events = events.filter(object_type_id=type_id) if type_id is not None else events.none()
    if f.object_id is not None:
        events = events.filter(object_id=f.object_id)
    if f.action:
        events = events.filter(action=f.action)
    if f.since is not None:
        events = events.filter(at__gte=f.since)
    if f.until is not None:
        events = events.filter(at__lt=f.until)
    return events
