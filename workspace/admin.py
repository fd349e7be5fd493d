"""The workspace settings in the admin: one row, changed only through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from workspace.models import SINGLETON_ID, WorkspaceSettings
from workspace.services import SWITCHES, workspace_settings_update


@admin.register(WorkspaceSettings)
class WorkspaceSettingsAdmin(admin.ModelAdmin):
    fields = SWITCHES

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not WorkspaceSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """There is nothing to list: go straight to the one row (or to adding it)."""
        if WorkspaceSettings.objects.filter(pk=SINGLETON_ID).exists():
            url = reverse("admin:workspace_workspacesettings_change", args=[SINGLETON_ID])
        else:
            url = reverse("admin:workspace_workspacesettings_add")
        return HttpResponseRedirect(url)

    def save_model(
        self, request: HttpRequest, obj: WorkspaceSettings, form: ModelForm, change: bool
    ) -> None:
        saved = workspace_settings_update(**{name: form.cleaned_data[name] for name in SWITCHES})
        obj.pk = saved.pk
        obj._state.adding = False
