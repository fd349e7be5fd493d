"""Changing the workspace switches."""

from __future__ import annotations

from django.db import transaction

from audit.models import AuditAction
from audit.services import audit_record
from workspace.models import SINGLETON_ID, WorkspaceSettings
from workspace.selectors import forget_workspace_settings
from workspace.signals import workspace_settings_changed

SWITCHES = (
    "plans_enabled",
    "sharing_enabled",
    "import_export_enabled",
    "api_tokens_enabled",
    "plan_emails_enabled",
)


def switch_values(row: WorkspaceSettings) -> dict[str, bool]:
    return {name: getattr(row, name) for name in SWITCHES}


@transaction.atomic
def workspace_settings_update(
    *,
    plans_enabled: bool | None = None,
    sharing_enabled: bool | None = None,
    import_export_enabled: bool | None = None,
    plan_emails_enabled: bool | None = None,
    api_tokens_enabled: bool | None = None,
) -> WorkspaceSettings:
    """Set the given switches (None keeps a switch as it is); creates the row on first use.

    Sends `workspace_settings_changed` when a value changed. The row is locked while it
    changes, so two concurrent updates both see the other's result as their "before".
    """
    row, _ = WorkspaceSettings.objects.select_for_update().get_or_create(pk=SINGLETON_ID)
    before = switch_values(row)
    given = {
        "plans_enabled": plans_enabled,
        "sharing_enabled": sharing_enabled,
        "import_export_enabled": import_export_enabled,
        "plan_emails_enabled": plan_emails_enabled,
        "api_tokens_enabled": api_tokens_enabled,
    }
    for name, value in given.items():
        if value is not None:
            setattr(row, name, value)
    after = switch_values(row)
    if after != before:
        row.save()
        workspace_settings_changed.send(sender=WorkspaceSettings, before=before, after=after)
        audit_record(action=AuditAction.SETTINGS_CHANGED, obj=row, before=before, after=after)
    forget_workspace_settings()
    return row
