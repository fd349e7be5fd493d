"""API tokens in the admin: staff see every token and can revoke (delete) one. Tokens are made
on the Access tokens page or with `manage.py create_api_token`, where the value is shown once."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from api.models import ApiToken
from api.services import token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    list_filter = ("created_at",)
    search_fields = ("name", "user__username", "prefix")
    # Never the hash: it is not secret on its own, but nobody needs to see it.
    fields = ("name", "user", "prefix", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # Revoking goes through the service, so it is in the audit log like a revoke on the page.
    def delete_model(self, request: HttpRequest, obj: ApiToken) -> None:
        token_revoke(user=obj.user, token_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.select_related("user"):
            token_revoke(user=token.user, token_id=token.pk)
