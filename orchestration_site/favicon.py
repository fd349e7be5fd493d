"""`/favicon.ico`: browsers ask for it on every page that names no icon (the admin, raw
responses), so it is answered from the app rather than left to 404."""

from __future__ import annotations

from functools import cache

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

ONE_DAY = 24 * 3600


@cache
def _icon() -> bytes | None:
    path = finders.find("favicon.ico")
    if not path or isinstance(path, list):
        return None
    with open(path, "rb") as file:
        return file.read()


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """The site icon (`static/favicon.ico`), cacheable for a day."""
    icon = _icon()
    if icon is None:
        raise Http404("No favicon.")
    response = HttpResponse(icon, content_type="image/x-icon")
    response["Cache-Control"] = f"public, max-age={ONE_DAY}"
    return response
