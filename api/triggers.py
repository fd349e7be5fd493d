"""Triggers: `GET/POST /v4/plans/{id}/triggers`, `GET/PATCH/DELETE /v4/triggers/{id}`.

A trigger's JSON: `{"id", "planId", "name", "enabled", "kind", "cron", "every", "unit", "runAt",
"timezone", "startAt", "endAt", "parameterOverrides", "nextFireTimes"}`. Fields a kind does not
use are null. `runAt`/`startAt`/`endAt` are read with an offset, or without one as local time in
the trigger's zone, and written in the trigger's zone with its offset, as are `nextFireTimes`
(the next five, within the bounds).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import list_body, paginate
from api.permissions import PlansApiView
from plans.access import Capability, access_plan, access_trigger
from plans.models import Trigger
from plans.schedules.wallclock import UnknownZoneError, get_zone
from plans.triggers.selectors import trigger_next_fire_times
from plans.triggers.services import trigger_create, trigger_delete, trigger_update

# API name -> service keyword.
_FIELDS = {
    "name": "name",
    "enabled": "enabled",
    "kind": "kind",
    "cron": "cron",
    "every": "every",
    "unit": "unit",
    "runAt": "run_at",
    "timezone": "timezone_name",
    "startAt": "start_at",
    "endAt": "end_at",
    "parameterOverrides": "parameter_overrides",
}
_OUTPUT_ONLY = ("id", "planId", "nextFireTimes", "createdAt", "updatedAt")
_TIMES = ("runAt", "startAt", "endAt")


def _local_iso(value: datetime | None, zone_name: str) -> str | None:
    if value is None:
        return None
    try:
        return value.astimezone(get_zone(zone_name)).isoformat()
    except UnknownZoneError:
        return value.isoformat()


def trigger_json(trigger: Trigger) -> dict[str, Any]:
    """The trigger as the API shows it (see the module docstring)."""
    zone = trigger.timezone
    kind = trigger.kind
    return {
        "id": trigger.pk,
        "planId": trigger.plan_id,
        "name": trigger.name,
        "enabled": trigger.enabled,
        "kind": kind,
        "cron": trigger.cron if kind == "cron" else None,
        "every": trigger.every if kind == "interval" else None,
        "unit": trigger.unit if kind == "interval" else None,
        "runAt": _local_iso(trigger.run_at, zone) if kind == "once" else None,
        "timezone": zone,
        "startAt": _local_iso(trigger.start_at, zone),
        "endAt": _local_iso(trigger.end_at, zone),
        "parameterOverrides": trigger.parameter_overrides,
        "nextFireTimes": [t.isoformat() for t in trigger_next_fire_times(trigger)],
    }


def _parse_input(data: Any, *, creating: bool) -> dict[str, Any]:
    """The request body as service keywords; a 400 naming each bad field."""
    if not isinstance(data, Mapping):
        raise serializers.ValidationError({"request": ["Send a JSON object."]})
    errors: dict[str, list[str]] = {}
    unknown = set(data) - set(_FIELDS) - set(_OUTPUT_ONLY)
    for key in sorted(unknown):
        errors[key] = ["Unknown field."]
    out: dict[str, Any] = {}
    for key, keyword in _FIELDS.items():
        if key not in data:
            continue
        value = data[key]
        if key in _TIMES:
            if value is None or value == "":
                value = None
            elif not isinstance(value, str):
                errors[key] = ["Enter a date and time in ISO 8601, e.g. 2026-11-26T04:30:00Z."]
                continue
            else:
                try:
                    value = datetime.fromisoformat(value)
                except ValueError:
                    errors[key] = [
                        f"'{value}' is not an ISO 8601 date and time, e.g. 2026-11-26T04:30:00Z."
                    ]
                    continue
        elif key == "enabled" and not isinstance(value, bool):
            errors[key] = ["Must be true or false."]
            continue
        elif (
            key == "every"
            and value is not None
            and (isinstance(value, bool) or not isinstance(value, int))
        ):
            errors[key] = [f"'every' must be a whole number; got {value!r}."]
            continue
        elif key in ("name", "kind", "cron", "unit", "timezone"):
            if value is None and key in ("cron", "unit"):
                value = ""
            elif not isinstance(value, str):
                errors[key] = ["Must be a string."]
                continue
        out[keyword] = value
    if creating:
        for key in ("name", "kind"):
            if key not in data:
                errors.setdefault(key, []).append("This field is required.")
    if errors:
        raise serializers.ValidationError(errors)
    return out


class TriggerListApi(PlansApiView):
    """GET /v4/plans/{id}/triggers: the plan's triggers, oldest first."""

    def get(self, request: Request, plan_id: int) -> Response:
        plan = access_plan(request.user, plan_id)
        page = paginate(request, Trigger.objects.filter(plan=plan), newest_first=False)
        return Response(list_body([trigger_json(t) for t in page.items], page))


class TriggerCreateApi(PlansApiView):
    """POST /v4/plans/{id}/triggers -> 201 with the trigger; 400 naming the field, nothing saved.
    Editors, the owner and staff; a viewer gets 403."""

    def post(self, request: Request, plan_id: int) -> Response:
        plan = access_plan(request.user, plan_id, Capability.EDIT)
        fields = _parse_input(request.data, creating=True)
        trigger = trigger_create(plan=plan, **fields)
        return Response(trigger_json(trigger), status=status.HTTP_201_CREATED)


class TriggerDetailApi(PlansApiView):
    """GET /v4/triggers/{id}; 404 if the user may not see its plan."""

    def get(self, request: Request, trigger_id: int) -> Response:
        return Response(trigger_json(access_trigger(request.user, trigger_id)))


class TriggerUpdateApi(PlansApiView):
    """PATCH /v4/triggers/{id}: change the given fields -> 200; 400 naming the field; 403 for
    a viewer."""

    def patch(self, request: Request, trigger_id: int) -> Response:
        trigger = access_trigger(request.user, trigger_id, Capability.EDIT)
        fields = _parse_input(request.data, creating=False)
        trigger = trigger_update(trigger=trigger, **fields)
        return Response(trigger_json(trigger))


class TriggerDeleteApi(PlansApiView):
    """DELETE /v4/triggers/{id} -> 204; the trigger's past runs stay; 403 for a viewer."""

    def delete(self, request: Request, trigger_id: int) -> Response:
        trigger_delete(trigger=access_trigger(request.user, trigger_id, Capability.EDIT))
        return Response(status=status.HTTP_204_NO_CONTENT)
