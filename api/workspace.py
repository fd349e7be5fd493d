"""Workspace settings: `GET /v4/workspaceSettings`, `PATCH /v4/workspaceSettings` (staff).

`{"plansEnabled", "sharingEnabled", "importExportEnabled", "planEmailsEnabled",
"apiTokensEnabled": bool, "updatedAt"}`.
Any signed-in user may read them (clients hide what is turned off); only staff change them.
These endpoints stay available while plans are turned off, so staff can turn them back on.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import StrictBooleanField, UtcDateTimeField
from api.serializers import StrictInputSerializer
from workspace.models import WorkspaceSettings
from workspace.selectors import get_workspace_settings
from workspace.services import workspace_settings_update


class WorkspaceSettingsOutputSerializer(serializers.Serializer):
    plansEnabled = serializers.BooleanField(source="plans_enabled")
    sharingEnabled = serializers.BooleanField(source="sharing_enabled")
    importExportEnabled = serializers.BooleanField(source="import_export_enabled")
    planEmailsEnabled = serializers.BooleanField(source="plan_emails_enabled")
    apiTokensEnabled = serializers.BooleanField(source="api_tokens_enabled")
    updatedAt = UtcDateTimeField(source="updated_at")


def _json(row: WorkspaceSettings) -> dict[str, Any]:
    return dict(WorkspaceSettingsOutputSerializer(row).data)


class WorkspaceSettingsDetailApi(APIView):
    """GET /v4/workspaceSettings: the switches (all true until staff change one)."""

    def get(self, request: Request) -> Response:
        return Response(_json(get_workspace_settings()))


class WorkspaceSettingsUpdateApi(APIView):
    """PATCH /v4/workspaceSettings -> 200 with the switches; staff only (403 otherwise); an
    unknown field or a value other than true/false is a 400 and changes nothing."""

    class InputSerializer(StrictInputSerializer):
        ignored_fields = ("updatedAt",)

        plansEnabled = StrictBooleanField(required=False)
        sharingEnabled = StrictBooleanField(required=False)
        importExportEnabled = StrictBooleanField(required=False)
        planEmailsEnabled = StrictBooleanField(required=False)
        apiTokensEnabled = StrictBooleanField(required=False)

    def patch(self, request: Request) -> Response:
        if not request.user.is_staff:
            raise PermissionDenied("Only staff can change the workspace settings.")
        serializer = self.InputSerializer(data=request.data if request.data is not None else {})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = workspace_settings_update(
            plans_enabled=data.get("plansEnabled"),
            sharing_enabled=data.get("sharingEnabled"),
            import_export_enabled=data.get("importExportEnabled"),
            plan_emails_enabled=data.get("planEmailsEnabled"),
            api_tokens_enabled=data.get("apiTokensEnabled"),
        )
        return Response(_json(row))
