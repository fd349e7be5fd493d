"""Plans: list, create, read, update, delete, run now."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors
from api.fields import ParameterOverridesField, RawJSONField, StrictBooleanField, StrictCharField
from api.pagination import list_body, paginate
from api.permissions import PlansApiView
from api.serializers import (
    CheckedInputSerializer,
    PlanOutputSerializer,
    RunStartedOutputSerializer,
    StrictInputSerializer,
)
from plans.access import Capability
from plans.models import OverlapPolicy, PlanTask
from plans.services import plan_create, plan_delete, plan_update
from plans.triggers.services import plan_schedule_update
from plans.validation import clean_tasks
from runs.models import RunSource
from runs.services import run_plan, run_plan_once

IDEMPOTENCY_KEY_MAX = 200  # PlanRun.idempotency_key's max_length
# Read-only fields of a plan's output that a client may send back unchanged.
_PLAN_OUTPUT_ONLY = ("id", "ownerId", "role", "createdAt", "updatedAt", "latestPlanSnapshotRun")


class _PlanInputSerializer(CheckedInputSerializer):
    """Checks the plan's own fields and, with `tasks`, the whole task list, reporting every
    bad field at once (`name`, `tasks[0].config.url`, ...). The service validates again when
    saving; this pass exists so one answer names all problems, not just the first layer's.
    """

    ignored_fields = _PLAN_OUTPUT_ONLY

    def check(self, data: Mapping[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
        if "tasks" not in data or "tasks" in errors:
            return {}
        existing: Sequence[PlanTask] = self.context.get("existing_tasks", ())
        return clean_tasks(data["tasks"], existing=existing, owner=self.context.get("owner"))[1]


PLANS_FILTERS = ("all", "owned", "shared")


class PlanListApi(PlansApiView):
    """GET /v4/plans: the user's plans and those shared with them (staff: all), by id, each
    with the caller's role and its latest run. `?plansFilter=owned` keeps the caller's own,
    `shared` those shared with them, `all` (the default) every plan they may see."""

    def get(self, request: Request) -> Response:
        which = request.query_params.get("plansFilter", "all")
        if which not in PLANS_FILTERS:
            raise serializers.ValidationError(
                {"plansFilter": [f"Use one of: {', '.join(PLANS_FILTERS)}."]}
            )
        plans = selectors.plan_visible_list(user=request.user)
        if which == "owned":
            plans = plans.filter(owner=request.user)
        elif which == "shared":
            plans = plans.filter(shares__user=request.user)
        page = paginate(request, plans, newest_first=False)
        return Response(list_body(PlanOutputSerializer(page.items, many=True).data, page))


class PlanCreateApi(PlansApiView):
    """POST /v4/plans -> 201 with the plan; 400 naming each bad field, nothing saved."""

    class InputSerializer(_PlanInputSerializer):
        name = StrictCharField(max_length=200)
        description = StrictCharField(required=False, allow_blank=True, default="")
        tasks = RawJSONField()

    OutputSerializer = PlanOutputSerializer

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data, context={"owner": request.user})
        serializer.is_valid(raise_exception=True)
        plan = plan_create(owner=request.user, **serializer.validated_data)
        plan = selectors.plan_get(user=request.user, plan_id=plan.pk)
        return Response(self.OutputSerializer(plan).data, status=status.HTTP_201_CREATED)


class PlanDetailApi(PlansApiView):
    """GET /v4/plans/{id}: the plan with its tasks; 404 if the user may not see it."""

    OutputSerializer = PlanOutputSerializer

    def get(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get(user=request.user, plan_id=plan_id)
        return Response(self.OutputSerializer(plan).data)


class PlanUpdateApi(PlansApiView):
    """PATCH /v4/plans/{id}: change the given fields; `tasks` replaces the whole list (an
    entry with the `id` of a current task keeps that task, and its secrets unless replaced).
    `paused`, `pauseReason` and `overlapPolicy` are the plan's schedule settings. Editors,
    the owner and staff; a viewer gets 403."""

    class InputSerializer(_PlanInputSerializer):
        name = StrictCharField(required=False, max_length=200)
        description = StrictCharField(required=False, allow_blank=True)
        tasks = RawJSONField(required=False)
        paused = StrictBooleanField(required=False)
        pauseReason = StrictCharField(required=False, allow_blank=True, max_length=500)
        overlapPolicy = serializers.ChoiceField(choices=OverlapPolicy.values, required=False)

    OutputSerializer = PlanOutputSerializer

    def patch(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get(user=request.user, plan_id=plan_id, need=Capability.EDIT)
        serializer = self.InputSerializer(
            data=request.data,
            context={"existing_tasks": list(plan.tasks.all()), "owner": plan.owner},
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Both services validate before writing; one transaction keeps a failure in the second
        # from leaving the first half applied.
        with transaction.atomic():
            if {"name", "description", "tasks"} & set(data):
                plan_update(
                    plan=plan,
                    name=data.get("name"),
                    description=data.get("description"),
                    tasks=data.get("tasks"),
                )
            if {"paused", "pauseReason", "overlapPolicy"} & set(data):
                # Not plan_update(extra=...): unpausing must also mark missed slots as handled.
                plan_schedule_update(
                    plan=plan,
                    paused=data.get("paused"),
                    pause_reason=data.get("pauseReason"),
                    overlap_policy=data.get("overlapPolicy"),
                )
        plan = selectors.plan_get(user=request.user, plan_id=plan_id)
        return Response(self.OutputSerializer(plan).data)


class PlanDeleteApi(PlansApiView):
    """DELETE /v4/plans/{id} -> 204; the plan's tasks, triggers and runs go with it. The owner
    and staff only: a collaborator gets 403."""

    def delete(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get(user=request.user, plan_id=plan_id, need=Capability.MANAGE)
        plan_delete(plan=plan)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlanRunApi(PlansApiView):
    """POST /v4/plans/{id}/run (empty body allowed) -> 201 with the new run's id.

    The run has `source="api"`. With an `Idempotency-Key` header (at most 200 characters) a
    repeated request returns the run the key started, with `Idempotent-Replayed: true`; the
    same key with other `parameterOverrides` is a 409. A collaborator lacking access to one of
    the plan's flows gets 403 naming them.
    """

    class InputSerializer(StrictInputSerializer):
        parameterOverrides = ParameterOverridesField()

    OutputSerializer = RunStartedOutputSerializer

    def post(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get(user=request.user, plan_id=plan_id, need=Capability.RUN)
        serializer = self.InputSerializer(data=request.data if request.data is not None else {})
        serializer.is_valid(raise_exception=True)
        fields: dict[str, Any] = {
            "plan": plan,
            "source": RunSource.API,
            "requested_by": request.user,
            "parameter_overrides": serializer.validated_data.get("parameterOverrides") or {},
        }
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > IDEMPOTENCY_KEY_MAX:
            raise serializers.ValidationError(
                {"Idempotency-Key": [f"At most {IDEMPOTENCY_KEY_MAX} characters."]}
            )
        created = True
        if key:
            run, created = run_plan_once(idempotency_key=key, **fields)
        else:
            run = run_plan(**fields)
        response = Response(self.OutputSerializer(run).data, status=status.HTTP_201_CREATED)
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response
