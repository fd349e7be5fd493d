"""Jobs: the history list and one job with its log."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import selectors
from api.fields import MAX_ID
from api.pagination import list_body, paginate
from api.permissions import PlansApiView
from api.serializers import JobDetailOutputSerializer, JobListOutputSerializer
from runs.models import JobStatus
from workspace.features import require_plans_enabled


class JobListApi(PlansApiView):
    """GET /v4/jobs?planSnapshotRunId=&status=&planId=&taskType=: visible jobs, newest first.

    One query per page whatever the number of rows (no per-row lookups).
    """

    class FilterSerializer(serializers.Serializer):
        planSnapshotRunId = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        planId = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        status = serializers.ChoiceField(choices=JobStatus.values, required=False)
        taskType = serializers.CharField(required=False, max_length=20)

    OutputSerializer = JobListOutputSerializer

    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        jobs = selectors.job_visible_list(
            user=request.user,
            filters=selectors.JobFilters(
                run_id=data.get("planSnapshotRunId"),
                plan_id=data.get("planId"),
                status=data.get("status"),
                task_type=data.get("taskType"),
            ),
        )
        page = paginate(request, jobs, newest_first=True)
        return Response(list_body(self.OutputSerializer(page.items, many=True).data, page))


class JobDetailApi(APIView):
    """GET /v4/jobs/{id}: the job with its run and plan ids and its log lines (first 2000).

    An ad-hoc flow job (no plan) stays readable while plans are turned off: it belongs to flows.
    """

    OutputSerializer = JobDetailOutputSerializer

    def get(self, request: Request, job_id: int) -> Response:
        job = selectors.job_get(user=request.user, job_id=job_id)
        if job.plan_id is not None:
            require_plans_enabled()
        log = selectors.job_log_lines(job=job)
        return Response(self.OutputSerializer(job, context={"log": log}).data)
