"""Refusing what a workspace switch has turned off.

`FeatureDisabled` is a `PermissionDenied`: a page answers 403 with its message (see
`workspace.views.permission_denied`), the API 403 `{"error": {"code": "feature_disabled", ...}}`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from workspace.selectors import get_workspace_settings

PLANS_OFF = "Plans are turned off in this workspace's settings."
SHARING_OFF = "Sharing is turned off in this workspace's settings."
IMPORT_EXPORT_OFF = "Export and import are turned off in this workspace's settings."
API_TOKENS_OFF = "Creating API access tokens is turned off in this workspace's settings."


class FeatureDisabled(PermissionDenied):
    """The action needs a feature that the workspace settings have switched off."""


def require_plans_enabled() -> None:
    """Raise FeatureDisabled when plans are turned off."""
    if not get_workspace_settings().plans_enabled:
        raise FeatureDisabled(PLANS_OFF)


def require_sharing_enabled() -> None:
    """Raise FeatureDisabled when sharing is turned off."""
    if not get_workspace_settings().sharing_enabled:
        raise FeatureDisabled(SHARING_OFF)


def require_import_export_enabled() -> None:
    """Raise FeatureDisabled when export and import are turned off."""
    if not get_workspace_settings().import_export_enabled:
        raise FeatureDisabled(IMPORT_EXPORT_OFF)


def require_api_tokens_enabled() -> None:
    """Raise FeatureDisabled when users may not create API access tokens."""
    if not get_workspace_settings().api_tokens_enabled:
        raise FeatureDisabled(API_TOKENS_OFF)


def plans_enabled_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a plan page (inside `login_required`): 403 with the reason while plans are off."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_plans_enabled()
        return view(request, *args, **kwargs)

    return wrapped
