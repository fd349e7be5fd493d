"""The API's gate on the workspace's plans switch."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from workspace.features import require_plans_enabled


class PlansEnabled(BasePermission):
    """While plans are turned off: 403 `feature_disabled` (after authentication, so a missing
    token is still a 401)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        require_plans_enabled()
        return True


class PlansApiView(APIView):
    """Base of every plan, trigger, run and job endpoint."""

    permission_classes = [IsAuthenticated, PlansEnabled]
