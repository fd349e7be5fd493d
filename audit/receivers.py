"""Failed sign-ins go to the audit log (Django sends `user_login_failed` from `authenticate`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from audit.models import AuditAction
from audit.services import audit_record


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def record_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    """The username tried is the label; the object is that user when one exists. Django has
    already replaced the password in `credentials`, and only the username is kept anyway."""
    user_model = get_user_model()
    tried = str(credentials.get(user_model.USERNAME_FIELD) or credentials.get("username") or "")
    target = user_model.objects.filter(**{user_model.USERNAME_FIELD: tried}).first()
    audit_record(action=AuditAction.LOGIN_FAILED, obj=target, label=tried)
