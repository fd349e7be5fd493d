"""URL map: pages, the admin and the v4 API."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from api.token_pages import token_revoke_view, tokens_view
from orchestration_site.favicon import favicon
from orchestration_site.health import health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="plans:list", permanent=False)),
    path("health/", health, name="health"),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/tokens/", tokens_view, name="api_tokens"),
    path("accounts/tokens/<int:token_id>/revoke/", token_revoke_view, name="api_token_revoke"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("audit/", include("audit.urls")),
    path("plans/", include("plans.urls")),
    path("flows/", include("flows.urls")),
    path("", include("runs.urls")),
    path("v4/", include("api.urls")),
]

# A 403 page that says why: the role, or the workspace switch, that refused the action.
handler403 = "workspace.views.permission_denied"
