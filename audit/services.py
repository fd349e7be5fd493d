"""Writes to the audit log: `audit_record` (one line in each service that changes something)
and `audit_purge_expired` (the housekeeping task)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from audit.context import current_request
from audit.models import AuditEvent

# Keys whose text values are never stored, whatever a caller passes by mistake.
_SECRET_KEY = re.compile(
    r"secret|password|passwd|token|authorization|cookie|api.?key|credential", re.I
)
HIDDEN = "[hidden]"
LABEL_MAX = 200


# user:password@ in a URL.
_URL_PASSWORD = re.compile(r"(//[^/@\s:]*:)[^/@\s]*@")


def _without_secrets(value: Any, key: str = "") -> Any:
    if isinstance(value, Mapping):
        return {str(k): _without_secrets(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_secrets(v) for v in value]
    if isinstance(value, str):
        return HIDDEN if _SECRET_KEY.search(key) else _URL_PASSWORD.sub(rf"\1{HIDDEN}@", value)
    return value


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    label: str | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    **details: Any,
) -> AuditEvent:
    """Record that `actor` did `action` (an `AuditAction`) to `obj`, now, with `details` (JSON).

    `actor` None (or anonymous) means whoever is signed in to the request being served
    (`audit.context`), else the system. `label` defaults to `str(obj)`. Text in `details` under
    a key that names a secret (token, password, authorization, ...) is stored as "[hidden]",
    and passwords in URLs too: pass names of fields, never values of secrets. Record inside
    the service's transaction, after its checks passed, so a change that rolls back leaves
    no event.
    """
    request = current_request()
    if actor is not None and not actor.is_authenticated:
        actor = None
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        action=action,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=obj.pk if obj is not None else None,
        object_label=(label if label is not None else str(obj or ""))[:LABEL_MAX],
        details=_without_secrets(details),
        ip=(request.META.get("REMOTE_ADDR") or None) if request is not None else None,
    )


def audit_purge_expired(*, now: Any = None) -> int:
    """Delete events older than AUDIT_RETENTION_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
