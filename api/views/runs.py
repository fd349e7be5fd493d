"""Plan snapshot runs: list, read, cancel, retry from failed."""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors
from api.fields import MAX_ID, ParameterOverridesField
from api.pagination import list_body, paginate
from api.permissions import PlansApiView
from api.serializers import (
    RunDetailOutputSerializer,
    RunOutputSerializer,
    RunStartedOutputSerializer,
    StrictInputSerializer,
)
from plans.access import Capability, require
from runs.models import RunStatus
from runs.services import run_cancel, run_retry


class RunListApi(PlansApiView):
    """GET /v4/planSnapshotRuns?planId=&status=: visible runs, newest first, without jobs.

    A `planId` the user may not see answers 404.
    """

    class FilterSerializer(serializers.Serializer):
        planId = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        status = serializers.ChoiceField(choices=RunStatus.values, required=False)

    OutputSerializer = RunOutputSerializer

    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        runs = selectors.run_visible_list(
            user=request.user, plan_id=filters.validated_data.get("planId")
        )
        if "status" in filters.validated_data:
            runs = runs.filter(status=filters.validated_data["status"])
        page = paginate(request, runs, newest_first=True)
        return Response(list_body(self.OutputSerializer(page.items, many=True).data, page))


class RunDetailApi(PlansApiView):
    """GET /v4/planSnapshotRuns/{id}: the run with its jobs in position order."""

    OutputSerializer = RunDetailOutputSerializer

    def get(self, request: Request, run_id: int) -> Response:
        run = selectors.run_get(user=request.user, run_id=run_id)
        return Response(self.OutputSerializer(run).data)


class RunCancelApi(PlansApiView):
    """POST /v4/planSnapshotRuns/{id}/cancel -> 202 with the run; 409 if it has already ended.

    Pending jobs are canceled at once; the running job is stopped by its worker, so it may
    still show `running` in this answer. Editors, the owner and staff; a viewer gets 403.
    """

    OutputSerializer = RunDetailOutputSerializer

    def post(self, request: Request, run_id: int) -> Response:
        run = selectors.run_get(user=request.user, run_id=run_id)
        require(run.plan, request.user, Capability.EDIT)
        run_cancel(run=run)
        run = selectors.run_get(user=request.user, run_id=run_id)
        return Response(self.OutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunRetryApi(PlansApiView):
    """POST /v4/planSnapshotRuns/{id}/retry -> 201 with the new run's id; 409 while active.

    The new run executes the original snapshot; jobs that succeeded are carried over.
    """

    class InputSerializer(StrictInputSerializer):
        parameterOverrides = ParameterOverridesField()

    OutputSerializer = RunStartedOutputSerializer

    def post(self, request: Request, run_id: int) -> Response:
        run = selectors.run_get(user=request.user, run_id=run_id)
        require(run.plan, request.user, Capability.RUN)
        serializer = self.InputSerializer(data=request.data if request.data is not None else {})
        serializer.is_valid(raise_exception=True)
        new = run_retry(
            run=run,
            requested_by=request.user,
            parameter_overrides=serializer.validated_data.get("parameterOverrides") or {},
        )
        return Response(self.OutputSerializer(new).data, status=status.HTTP_201_CREATED)
