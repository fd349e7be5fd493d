"""One API view per operation, several operations per URL.

`by_method(GET=PlanListApi, POST=PlanCreateApi)` is the view mounted at one URL: it hands the
request to the view of its method, and answers 405 in the API's error shape otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.views import APIView


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": {}}}, status=status)


def by_method(**views: type[APIView]) -> Callable[..., HttpResponse]:
    """A view dispatching on the HTTP method to the given APIView classes (HEAD goes to GET)."""
    handlers = {method.upper(): view.as_view() for method, view in views.items()}
    allowed = ", ".join(sorted(handlers))

    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        method = request.method or "GET"
        handler = handlers.get(method)
        if handler is None and method == "HEAD":
            handler = handlers.get("GET")
        if handler is None and method == "OPTIONS":
            handler = next(iter(handlers.values()))
        if handler is None:
            response = _error("method_not_allowed", f'Method "{method}" not allowed.', status=405)
            response["Allow"] = allowed
            return response
        return handler(request, *args, **kwargs)

    view.operations = dict(views)  # type: ignore[attr-defined]  # read by api.openapi
    return view


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Unknown paths under /v4/ answer 404 in the API's error shape, not an HTML page."""
    return _error("not_found", "Not found.", status=404)
