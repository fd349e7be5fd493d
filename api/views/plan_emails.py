"""A plan's email notifications: GET and PUT /v4/plans/{id}/notifications."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors
from api.fields import RawJSONField, StrictBooleanField
from api.permissions import PlansApiView
from api.serializers import CheckedInputSerializer
from notifications.models import PlanEmailNotifications
from notifications.services import (
    LISTS,
    clean_recipients,
    plan_notifications_get,
    plan_notifications_update,
)
from plans.access import Capability


def _body(row: PlanEmailNotifications) -> dict[str, Any]:
    return {"enabled": row.enabled, **{name: list(getattr(row, f)) for name, f in LISTS.items()}}


class PlanNotificationsDetailApi(PlansApiView):
    """GET /v4/plans/{id}/notifications: `{"enabled", "onSuccess", "onFailure", "onAny"}` (a
    plan never set up reads as off with empty lists); 404 for a plan the user may not see."""

    def get(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get(user=request.user, plan_id=plan_id)
        return Response(_body(plan_notifications_get(plan)))


class PlanNotificationsUpdateApi(PlansApiView):
    """PUT /v4/plans/{id}/notifications: replaces all four (a list left out becomes empty);
    400 naming each bad address (`onFailure[1]`), nothing saved; 404 as for GET, 403 for a
    viewer."""

    class InputSerializer(CheckedInputSerializer):
        enabled = StrictBooleanField()
        onSuccess = RawJSONField(required=False)
        onFailure = RawJSONField(required=False)
        onAny = RawJSONField(required=False)

        def check(self, data: Mapping[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
            found: dict[str, Any] = {}
            for name in LISTS:
                if name in data and name not in errors:
                    found.update(clean_recipients(data[name], path=name)[1])
            return found

    def put(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get(user=request.user, plan_id=plan_id, need=Capability.EDIT)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = plan_notifications_update(
            plan=plan,
            enabled=data["enabled"],
            on_success=data.get("onSuccess"),
            on_failure=data.get("onFailure"),
            on_any=data.get("onAny"),
        )
        return Response(_body(row))
