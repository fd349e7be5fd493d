"""The workspace-wide switch for plan emails."""

from __future__ import annotations


def plan_emails_allowed() -> bool:
    """Whether plan email notifications may be sent at all in this workspace (the workspace
    setting `plan_emails_enabled`). Checked before a mail is queued and again before it is
    sent, so turning it off also stops mails already queued."""
    from workspace.selectors import get_workspace_settings

    return get_workspace_settings().plan_emails_enabled
