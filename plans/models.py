"""What a plan is: its tasks, its triggers and its overrides.

Runs never read these rows while executing: they execute the snapshot taken when they were
created (see `plans.snapshot`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
    # The plan's own layer of flow parameter values, `{"<flow name>": {"<param>": value}}`: the
    # shape of the trigger and run layers. Precedence: flow default < plan < trigger < run.
    parameter_overrides = models.JSONField(default=dict, blank=True)
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
    # A registered task type's name (`plans.task_types`); the registry, not the column, knows them.
    type = models.CharField(max_length=20, default="http")
    config = models.JSONField(default=dict, blank=True)
    secrets = models.JSONField(default=dict, blank=True)
    run_when = models.CharField(max_length=10, choices=RunWhen.choices, default=RunWhen.ON_SUCCESS)
    upstream = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "ref"], name="plantask_unique_ref")]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    @property
    def type_label(self) -> str:
        """The task type's label ("HTTP request"), or its name when no such type is registered."""
        from plans.task_types import REGISTRY

        task_type = REGISTRY.get(self.type)
        return task_type.label if task_type is not None else self.type


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


class SlotOutcome(models.TextChoices):
    SKIPPED = "skipped", "Skipped: a run was still active"
    QUEUED = "queued", "Queued behind the active run"
    STARTED = "started", "Started"


class TriggerSlot(models.Model):
    """A scheduled slot that did not simply start a run: skipped, or queued by the overlap policy.

    A queued slot waits (`queued`) until the active run ends and then becomes `started`; its run
    is the `runs.PlanRun` of the same `(trigger, scheduled_for)`, which is unique there too.
    """

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="slots")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="slots")
    scheduled_for = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=SlotOutcome.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_for"]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "scheduled_for"], name="triggerslot_unique_slot"
            ),
        ]
        indexes = [models.Index(fields=["plan", "-scheduled_for"])]

    def __str__(self) -> str:
        return f"{self.trigger_id} @ {self.scheduled_for:%Y-%m-%d %H:%M:%S} {self.outcome}"


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
