"""Reading the workspace switches: `get_workspace_settings()`.

During a web request the row is read once and kept until the request ends, so any number of
checks in one request cost one query. Outside a request (Celery tasks, the shell, tests calling
services directly) every call reads the database: a worker must see a switch change at once.
`workspace.services.workspace_settings_update` refreshes the kept copy, so a request that
changes the settings reads its own change.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.signals import request_finished, request_started
from django.dispatch import receiver

from workspace.models import SINGLETON_ID, WorkspaceSettings

_request = threading.local()
_UNREAD = object()


def get_workspace_settings() -> WorkspaceSettings:
    """The workspace's switches. While no row exists: an unsaved row with the defaults (all on).

    Treat the answer as read-only; write through `workspace_settings_update`.
    """
    kept = getattr(_request, "settings", None)
    if kept is not None and kept is not _UNREAD:
        return kept
    row = WorkspaceSettings.objects.filter(pk=SINGLETON_ID).first() or WorkspaceSettings()
    if kept is _UNREAD:
        _request.settings = row
    return row


def forget_workspace_settings() -> None:
    """Drop the copy kept for this request (the next read goes to the database)."""
    if getattr(_request, "settings", None) is not None:
        _request.settings = _UNREAD


@receiver(request_started, dispatch_uid="workspace.settings_cache_open")
def _open_request_cache(**kwargs: Any) -> None:
    _request.settings = _UNREAD


@receiver(request_finished, dispatch_uid="workspace.settings_cache_close")
def _close_request_cache(**kwargs: Any) -> None:
    _request.settings = None
