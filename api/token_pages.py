"""The Access tokens page (`/accounts/tokens/`): a user's own API tokens, made and revoked.

A new token's value is shown once, on the page that answers the POST that made it; only its
hash is stored. No redirect after that POST for the same reason: nowhere else could show it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api.models import ApiToken
from api.services import TokenError, token_create_for_self, token_revoke
from workspace.selectors import get_workspace_settings


def _page(request: HttpRequest, status: int = 200, **context: object) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
    may_create = request.user.is_staff or get_workspace_settings().api_tokens_enabled
    return render(
        request,
        "api/tokens.html",
        {"tokens": tokens, "may_create": may_create, **context},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def tokens_view(request: HttpRequest) -> HttpResponse:
    """GET: the user's tokens. POST (`name`): a new token, its value shown this once."""
    if request.method == "GET":
        return _page(request)
    name = request.POST.get("name", "")
    try:
        token, raw = token_create_for_self(user=request.user, name=name)
    except TokenError as error:
        return _page(request, error=str(error), name=name, status=400)
    return _page(request, new_token=token, raw=raw)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's tokens; another user's id is a 404-like no-op message."""
    if token_revoke(user=request.user, token_id=token_id):
        messages.success(request, "Token revoked: requests with it are refused from now on.")
    else:
        messages.error(request, "No such token of yours.")
    return redirect("api_tokens")
