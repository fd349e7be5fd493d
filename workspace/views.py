"""The 403 page: says why (a role that does not allow the action, or a switched-off feature)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workspace.features import FeatureDisabled


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """`handler403`: the exception's message, and for a switched-off feature where staff turn
    it back on."""
    message = str(exception) if exception is not None and str(exception) else ""
    context = {
        "message": message or "You do not have permission to do this.",
        "feature_disabled": isinstance(exception, FeatureDisabled),
    }
    return render(request, "403.html", context, status=403)
