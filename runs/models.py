"""What happened: plan runs, their jobs and the jobs' log lines.

Statuses change only through the conditional updates in `runs.state`, so a redelivered
message, the reaper and a cancel racing each other stay correct.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class JobStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELED = "canceled"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
ENDED_JOB_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.SKIPPED, JobStatus.CANCELED)


class RunSource(models.TextChoices):
    MANUAL = "manual"
    API = "api"
    SCHEDULE = "schedule"
    RETRY = "retry"


class PlanRun(models.Model):
    """One execution of a plan, against the snapshot frozen when it was created.

    `snapshot` is the plan as it was (see `plans.snapshot.build_snapshot`); it holds secret
    *references* only. A scheduled run carries its trigger and the slot it stands for;
    `(trigger, scheduled_for)` is unique, which is what makes a slot fire at most once.
    """

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="runs")
    snapshot = models.JSONField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    source = models.CharField(max_length=10, choices=RunSource.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trigger = models.ForeignKey(
        "plans.Trigger", on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(default=False)
    retry_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="retries"
    )
    parameter_overrides = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["plan", "-created_at"]),
            models.Index(fields=["status", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "scheduled_for"],
                condition=Q(trigger__isnull=False, scheduled_for__isnull=False),
                name="planrun_one_run_per_slot",
            ),
            # A client retrying `POST /v4/plans/{id}/run` with its key gets the first run back.
            models.UniqueConstraint(
                fields=["plan", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="planrun_one_run_per_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"Run #{self.pk} of {self.snapshot.get('plan', {}).get('name', '?')}"

    @property
    def plan_name(self) -> str:
        return str(self.snapshot.get("plan", {}).get("name", ""))

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at


class Job(models.Model):
    """One task's execution: inside a run, or on its own (an ad-hoc flow run: `run` is None and
    `flows.FlowRun` points at the job).

    `spec` is the task as the job executes it (for a run's job, its snapshot entry: type,
    config, secret references, condition, upstream), so the runner never reads the snapshot.
    `task_*` fields copy it for the history pages. A job with no run acts with `owner`'s access
    and is visible to them (and staff). `heartbeat_at` is touched while the job runs; a stale
    heartbeat means its worker died. `cancel_requested` stops a job with no run (a run's jobs
    follow the run's status).
    """

    run = models.ForeignKey(
        PlanRun, on_delete=models.CASCADE, null=True, blank=True, related_name="jobs"
    )
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=1)
    task_id = models.BigIntegerField(null=True, blank=True)
    task_name = models.CharField(max_length=200)
    task_ref = models.CharField(max_length=40, blank=True)
    task_type = models.CharField(max_length=20)
    spec = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["run", "position"]),
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["plan", "-created_at"]),
            models.Index(fields=["task_type", "-created_at"]),
            models.Index(fields=["owner", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"Job #{self.pk} {self.task_name}"

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED_JOB_STATUSES


class JobLogLine(models.Model):
    """One line of a job's log; run details and job details read the same rows."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="log_lines")
    at = models.DateTimeField()
    level = models.CharField(max_length=10, default="INFO")
    message = models.TextField()

    class Meta:
        ordering = ["job", "id"]
        indexes = [models.Index(fields=["job", "id"])]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.level} {self.message[:80]}"
