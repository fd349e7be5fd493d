"""One error shape for the whole API:
`{"error": {"code": "...", "message": "...", "details": {"tasks[0].config.url": ["..."]}}}`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ServiceValidationError
from runs.services import RunStateError
from workspace.features import FeatureDisabled


def error_response(
    code: str, message: str, http_status: int, details: dict[str, list[str]] | None = None
) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "details": details or {}}},
        status=http_status,
    )


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail -> {"a.b[0].c": [messages]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):
                # DRF's ListField reports items by index.
                path = f"{prefix}[{key}]"
            elif key == "non_field_errors":
                # Errors about the object itself belong to its own path ("request" at the top).
                path = prefix or "request"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for k, v in _flatten(value, path).items():
                flat.setdefault(k, []).extend(v)
    elif (
        isinstance(detail, list) and detail and all(not isinstance(d, dict | list) for d in detail)
    ):
        flat[prefix or "request"] = [str(d) for d in detail]
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            for k, v in _flatten(value, f"{prefix}[{index}]").items():
                flat.setdefault(k, []).extend(v)
    else:
        flat[prefix or "request"] = [str(detail)]
    return flat


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error in the one shape; domain errors from services map to 400, 403 and 409."""
    if isinstance(exc, ServiceValidationError):
        exc = exceptions.ValidationError(exc.errors)
    if isinstance(exc, RunStateError):
        return error_response("conflict", str(exc), status.HTTP_409_CONFLICT)
    if isinstance(exc, Http404):
        return error_response("not_found", "Not found.", status.HTTP_404_NOT_FOUND)
    if isinstance(exc, FeatureDisabled):
        return error_response("feature_disabled", str(exc), status.HTTP_403_FORBIDDEN)
    if isinstance(exc, PermissionDenied):
        # Ours carry the reason (a role that falls short); Django's bare one gets DRF's text.
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        details = _flatten(exc.detail)
        first = next(iter(details.items()), ("request", ["Invalid input."]))
        message = f"{first[0]}: {first[1][0]}" if first[0] != "request" else first[1][0]
        return error_response("invalid", message, status.HTTP_400_BAD_REQUEST, details)
    code = getattr(exc, "default_code", "error")
    detail = getattr(exc, "detail", str(exc))
    message = str(detail) if not isinstance(detail, dict | list) else "Request failed."
    wrapped = error_response(str(code), message, response.status_code)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            wrapped[header] = response[header]
    return wrapped
