"""The workspace-wide switch for plan emails."""

from __future__ import annotations


def plan_emails_allowed() -> bool:
    """Whether plan email notifications may be sent at all in this workspace.

    Always True for now: the lead wires this to the workspace settings (built elsewhere), where
    workspace admins turn plan emails on or off for every plan at once. Checked before a mail
    is queued and again before it is sent.
    """
    return True
