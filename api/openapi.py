"""`GET /v4/open-api-spec`: an OpenAPI 3 document of the v4 API, built from the URL map.

Every route mounted with `api.routing.by_method` appears with each of its methods, its path
parameters and the summary and description from the view's docstring, so the document cannot
drift from what is served. Request and response bodies are described in docs/api.md; the
document gives the shapes every endpoint shares (the error body, Bearer authentication).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from django.conf import settings
from django.urls import URLPattern
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}


def _operation(view: type[APIView], method: str, parameters: list[dict[str, Any]]) -> dict:
    doc = inspect.cleandoc(view.__doc__ or "")
    summary, _, description = doc.partition("\n")
    error = {"$ref": "#/components/responses/Error"}
    operation: dict[str, Any] = {
        "operationId": view.__name__,
        "summary": summary.strip() or view.__name__,
        "responses": {"2XX": {"description": "Success; see docs/api.md."}, "4XX": error},
    }
    if description.strip():
        operation["description"] = description.strip()
    if parameters:
        operation["parameters"] = parameters
    if method in ("post", "put", "patch"):
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    if any(isinstance(p, AllowAny) for p in view().get_permissions()):
        operation["security"] = []
    return operation


def build_spec() -> dict[str, Any]:
    from api.urls import urlpatterns

    paths: dict[str, dict[str, Any]] = {}
    for pattern in urlpatterns:
        operations = getattr(pattern.callback, "operations", None)
        if not isinstance(pattern, URLPattern) or pattern.name is None or not operations:
            continue  # the trailing-slash twin of a route, or the catch-all 404
        route = str(pattern.pattern)
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if converter == "int" else "string"},
            }
            for converter, name in _PARAMETER.findall(route)
        ]
        path = "/v4/" + _PARAMETER.sub(r"{\2}", route)
        paths[path] = {
            method.lower(): _operation(view, method.lower(), parameters)
            for method, view in operations.items()
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Plans API",
            "version": "4",
            "description": "Plans, triggers, runs and jobs. Bodies and errors: docs/api.md.",
        },
        "servers": [{"url": settings.SITE_URL}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _ERROR_SCHEMA},
            "responses": {
                "Error": {
                    "description": "The one error shape of the API.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }


class OpenApiSpecApi(APIView):
    """GET /v4/open-api-spec: this API as an OpenAPI 3 document (no token needed)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response(build_spec())
