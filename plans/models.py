"""What a plan is: its tasks, its triggers and its overrides.

Runs never read these rows while executing: they execute the snapshot taken when they were
created (see `plans.snapshot`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TaskType(models.TextChoices):
    HTTP = "http", "HTTP request"
    SLACK = "slack", "Slack message"
    DELETE = "delete", "Delete files"
    FLOW = "flow", "Flow"


class RunWhen(models.TextChoices):
    ON_SUCCESS = "onSuccess", "On success"
    ON_FAILURE = "onFailure", "On failure"
    ALWAYS = "always", "Always"


class OverlapPolicy(models.TextChoices):
    ALLOW = "allow", "Allow overlapping runs"
    SKIP = "skip", "Skip a slot while a run is active"
    QUEUE = "queue", "Queue one run behind the active one"


class Plan(models.Model):
    """A named, ordered list of tasks, run on its triggers, by hand, or through the API."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plans"
    )
    paused = models.BooleanField(default=False, help_text="A paused plan starts no scheduled runs.")
    pause_reason = models.CharField(max_length=500, blank=True)
    overlap_policy = models.CharField(
        max_length=10, choices=OverlapPolicy.choices, default=OverlapPolicy.ALLOW
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "name"])]

    def __str__(self) -> str:
        return self.name


class PlanTask(models.Model):
    """One task of a plan, at `position` (1-based) in the listed order.

    `upstream` holds the refs of earlier tasks whose outcome decides whether this one runs;
    None means "the task listed just before" (and nothing for the first task). `secrets` maps a
    secret field name (e.g. `secretKey`) to a `tasks_engine.Secret` id: values never live here.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    ref = models.CharField(max_length=40, help_text="Short reference name, e.g. fetch_orders.")
    type = models.CharField(max_length=20, choices=TaskType.choices, default=TaskType.HTTP)
    config = models.JSONField(default=dict, blank=True)
    secrets = models.JSONField(default=dict, blank=True)
    run_when = models.CharField(max_length=10, choices=RunWhen.choices, default=RunWhen.ON_SUCCESS)
    upstream = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "ref"], name="plantask_unique_ref")]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class TriggerKind(models.TextChoices):
    CRON = "cron", "Cron expression"
    INTERVAL = "interval", "Every N units"
    ONCE = "once", "Once"


class IntervalUnit(models.TextChoices):
    SECONDS = "seconds"
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"


class Trigger(models.Model):
    """A schedule entry of a plan; each enabled trigger is one django-celery-beat PeriodicTask."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="triggers")
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    kind = models.CharField(max_length=10, choices=TriggerKind.choices, default=TriggerKind.CRON)
    cron = models.CharField(max_length=200, blank=True)
    every = models.PositiveIntegerField(null=True, blank=True)
    unit = models.CharField(max_length=10, choices=IntervalUnit.choices, blank=True)
    run_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    start_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    parameter_overrides = models.JSONField(default=dict, blank=True)
    # Slots up to here are handled (run, skipped or deliberately not caught up).
    handled_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def periodic_task_name(self) -> str:
        """The stable django-celery-beat name this trigger syncs to."""
        return f"plans.trigger:{self.pk}"


class ShareRole(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"


class PlanShare(models.Model):
    """`user` collaborates on `plan` with `role` (what each role allows: `plans.access`).

    A share covers the plan, its triggers, runs and jobs, not the flows its tasks use.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_shares"
    )
    role = models.CharField(max_length=10, choices=ShareRole.choices, default=ShareRole.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "user"], name="planshare_unique_user")
        ]
        # "Plans shared with me" is a lookup by user.
        indexes = [models.Index(fields=["user", "plan"])]

    def __str__(self) -> str:
        return f"{self.plan} · {self.user} ({self.role})"


class PlanEmailNotifications(models.Model):
    """Who is mailed when a run of the plan ends: one row per plan, created on first edit.

    `on_success`, `on_failure` and `on_any` are lists of addresses (anyone, with or without an
    account); `on_any` covers succeeded, failed and canceled runs. Nothing is sent while
    `enabled` is off, and the lists are kept so switching it back on restores them.
    Change it through `plans.notifications.services`, which validates the addresses.
    """

    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="email_notifications")
    enabled = models.BooleanField(
        default=False, verbose_name="Send email notifications when this plan runs"
    )
    on_success = models.JSONField(default=list, blank=True)
    on_failure = models.JSONField(default=list, blank=True)
    on_any = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "email notifications"
        verbose_name_plural = "email notifications"

    def __str__(self) -> str:
        return f"Email notifications of plan #{self.plan_id}"


class RunEmailStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class PlanRunEmail(models.Model):
    """One recipient's mail about one ended run: the record that it was sent, or why not.

    `(run, address)` is unique, so a retry or a duplicate task delivery sends an address at
    most once per run; `attempts` counts tries and `error` keeps the last failure.
    """

    run = models.ForeignKey("runs.PlanRun", on_delete=models.CASCADE, related_name="emails")
    address = models.CharField(max_length=254)
    status = models.CharField(
        max_length=10, choices=RunEmailStatus.choices, default=RunEmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "address"], name="planrunemail_unique_address")
        ]

    def __str__(self) -> str:
        return f"Run #{self.run_id} -> {self.address}: {self.status}"
