"""Output shapes shared by several API views (a plan, a run, a job).

Views nest their own input serializers and alias these as their `OutputSerializer`. Task
configs never carry a secret: each secret field `x` of the task type shows as `xSet: bool`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from api.fields import BlankAsNullField, UtcDateTimeField, format_utc
from plans.models import Plan, PlanTask
from plans.snapshot import resolved_upstream
from plans.task_types import REGISTRY
from runs.models import Job, JobLogLine, PlanRun


def public_config(task: PlanTask) -> dict[str, Any]:
    """The task's config as clients see it: secrets replaced by `<field>Set` flags."""
    secret_fields = REGISTRY[task.type].secret_fields if task.type in REGISTRY else ()
    config = {k: v for k, v in (task.config or {}).items() if k not in secret_fields}
    for name in secret_fields:
        config[f"{name}Set"] = name in (task.secrets or {})
    return config


class TaskOutputSerializer(serializers.Serializer):
    """One task; `upstream` is resolved (the default "task just before" is filled in) and
    comes from the `upstream` context entry, a {task id: [refs]} map for the whole plan."""

    id = serializers.IntegerField()
    position = serializers.IntegerField()
    name = serializers.CharField()
    ref = serializers.CharField()
    type = serializers.CharField()
    config = serializers.SerializerMethodField()
    runWhen = serializers.CharField(source="run_when")
    upstream = serializers.SerializerMethodField()

    def get_config(self, task: PlanTask) -> dict[str, Any]:
        return public_config(task)

    def get_upstream(self, task: PlanTask) -> list[str]:
        return list(self.context["upstream"].get(task.pk, []))


class PlanOutputSerializer(serializers.Serializer):
    """A plan with its tasks in order, the caller's role and its latest run (expects
    `api.selectors` annotations)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    ownerId = serializers.IntegerField(source="owner_id")
    role = serializers.SerializerMethodField()
    paused = serializers.BooleanField()
    pauseReason = serializers.CharField(source="pause_reason")
    overlapPolicy = serializers.CharField(source="overlap_policy")
    createdAt = UtcDateTimeField(source="created_at")
    updatedAt = UtcDateTimeField(source="updated_at")
    tasks = serializers.SerializerMethodField()
    latestPlanSnapshotRun = serializers.SerializerMethodField()

    def get_role(self, plan: Plan) -> str | None:
        """The caller's role: owner, staff, editor or viewer (`plans.access`)."""
        return getattr(plan, "caller_role", None)

    def get_tasks(self, plan: Plan) -> list[dict[str, Any]]:
        tasks = list(plan.tasks.all())
        upstream = resolved_upstream(tasks)
        return [TaskOutputSerializer(t, context={"upstream": upstream}).data for t in tasks]

    def get_latestPlanSnapshotRun(self, plan: Plan) -> dict[str, Any] | None:
        run_id = getattr(plan, "latest_run_id", None)
        if run_id is None:
            return None
        return {
            "id": run_id,
            "status": plan.latest_run_status,  # type: ignore[attr-defined]
            "createdAt": format_utc(plan.latest_run_created_at),  # type: ignore[attr-defined]
        }


class JobOutputSerializer(serializers.Serializer):
    """A job as listed inside its run. `result` is as stored: executors never put secrets in it."""

    id = serializers.IntegerField()
    position = serializers.IntegerField()
    taskName = serializers.CharField(source="task_name")
    taskType = serializers.CharField(source="task_type")
    status = serializers.CharField()
    startedAt = UtcDateTimeField(source="started_at")
    finishedAt = UtcDateTimeField(source="finished_at")
    error = BlankAsNullField()
    result = serializers.JSONField()


class JobListOutputSerializer(JobOutputSerializer):
    """A job on its own (job list): also names its run and plan."""

    planSnapshotRunId = serializers.IntegerField(source="run_id", allow_null=True)
    planId = serializers.IntegerField(source="plan_id", allow_null=True)


class JobLogLineOutputSerializer(serializers.Serializer):
    at = UtcDateTimeField()
    level = serializers.CharField()
    message = serializers.CharField()


class JobDetailOutputSerializer(JobListOutputSerializer):
    """A job with its log lines (the `log` context entry, oldest first)."""

    log = serializers.SerializerMethodField()

    def get_log(self, job: Job) -> list[dict[str, Any]]:
        lines: list[JobLogLine] = self.context["log"]
        return list(JobLogLineOutputSerializer(lines, many=True).data)


class RunOutputSerializer(serializers.Serializer):
    """A run without its jobs (run lists)."""

    id = serializers.IntegerField()
    planId = serializers.IntegerField(source="plan_id")
    status = serializers.CharField()
    source = serializers.CharField()
    createdAt = UtcDateTimeField(source="created_at")
    startedAt = UtcDateTimeField(source="started_at")
    finishedAt = UtcDateTimeField(source="finished_at")
    error = BlankAsNullField()
    triggerId = serializers.IntegerField(source="trigger_id", allow_null=True)
    scheduledFor = UtcDateTimeField(source="scheduled_for")
    late = serializers.BooleanField()
    retryOf = serializers.IntegerField(source="retry_of_id", allow_null=True)
    parameterOverrides = serializers.JSONField(source="parameter_overrides")


class RunDetailOutputSerializer(RunOutputSerializer):
    """A run with its jobs in position order (expects them prefetched by `api.selectors.run_get`)."""

    jobs = JobOutputSerializer(many=True)


class RunStartedOutputSerializer(serializers.Serializer):
    """The answer to starting a run (run now, retry)."""

    validationStatus = serializers.SerializerMethodField()
    planSnapshotRunId = serializers.IntegerField(source="pk")

    def get_validationStatus(self, run: PlanRun) -> str:
        return "Valid"


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know (a typo is a 400, not a no-op).

    Names in `ignored_fields` (read-only fields of the output) are accepted and ignored, so a
    client may send back what it read.
    """

    ignored_fields: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = set(data) - set(self.fields) - set(self.ignored_fields)
            if unknown:
                raise serializers.ValidationError({k: ["Unknown field."] for k in sorted(unknown)})
            # PostgreSQL stores no NUL in text or jsonb: refuse it here, naming where it is,
            # rather than fail on save.
            nul = _nul_paths(data)
            if nul:
                raise serializers.ValidationError(
                    {path: ["Null characters are not allowed."] for path in nul}
                )
        return super().to_internal_value(data)


class CheckedInputSerializer(StrictInputSerializer):
    """A strict input serializer whose `check` adds a service's own validation of the raw
    input (a task list, address lists), so one 400 names every problem, not just the first
    layer's. `check` gets the errors found so far and returns more, keyed by path."""

    def check(self, data: Mapping[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
        return {}

    def to_internal_value(self, data: Any) -> Any:
        errors: dict[str, Any] = {}
        value: Any = None
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors.update(exc.detail if isinstance(exc.detail, dict) else {"request": exc.detail})
        if isinstance(data, Mapping):
            errors.update(self.check(data, errors))
        if errors:
            raise serializers.ValidationError(errors)
        return value


def _nul_paths(value: Any, prefix: str = "") -> list[str]:
    """Paths (`tasks[0].config.url`) of the strings, keys included, that contain a NUL."""
    found: list[str] = []
    if isinstance(value, str):
        if "\x00" in value:
            found.append(prefix or "request")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if "\x00" in str(key):
                found.append(path)
            else:
                found.extend(_nul_paths(item, path))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_nul_paths(item, f"{prefix}[{index}]"))
    return found
