"""The audit log: who did what to which object, when, from where.

Low in the layers (it depends only on Django's auth and contenttypes), so every app records into
it through `audit.services.audit_record`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    CREATED = "created"
    EDITED = "edited"
    DELETED = "deleted"
    RAN = "ran"
    CANCELED = "canceled"
    RETRIED = "retried"
    SHARED = "shared"
    UNSHARED = "unshared"
    IMPORTED = "imported"
    EXPORTED = "exported"
    SETTINGS_CHANGED = "settings_changed", "Settings changed"
    REVOKED = "revoked"
    LOGIN_FAILED = "login_failed", "Login failed"


class AuditEvent(models.Model):
    """One recorded action. Rows are only ever added (and deleted past the retention period).

    `actor` is None for the system (a worker, a command) and for failed sign-ins; `actor_name`
    keeps the username as it was, so the row still says who after the user is renamed or gone.
    The object is a content type, an id and its label at the time (the object may be deleted
    since). `details` never holds secret values (`audit_record` hides any it is given).
    `ip` is the request's REMOTE_ADDR where there was a request.
    """

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # audit_actor_id covers it
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # audit_object_id covers it
    )
    object_id = models.BigIntegerField(null=True, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        # Lists are newest first by id (keyset); each filter has an index ending in id.
        indexes = [
            models.Index(fields=["actor", "id"], name="audit_actor_id"),
            models.Index(fields=["actor_name", "id"], name="audit_actor_name_id"),
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_id"),
            models.Index(fields=["action", "id"], name="audit_action_id"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        who = self.actor_name or "system"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.object_label}".strip()

    @property
    def object_type_key(self) -> str:
        """`app_label.model` of the object (e.g. `plans.plan`), or "" when there is none."""
        kind = self.object_type
        return f"{kind.app_label}.{kind.model}" if kind is not None else ""
