"""The request being served, for `audit_record` to find its actor and address.

Services do not take a request; the middleware keeps the current one in a context variable so
that a one-line `audit_record(...)` in a service knows who acted and from where. DRF sets the
token's user on the underlying request once it has authenticated it, so API calls are
attributed too. Outside a request (workers, commands) there is none: the actor is the system.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_current: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def current_request() -> HttpRequest | None:
    return _current.get()


class AuditContextMiddleware:
    """Makes the request being served visible to `current_request()` while it is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
