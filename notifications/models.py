"""Who is mailed about what, and the record of every mail sent.

`PlanEmailNotifications` holds a plan's recipient lists; `PlanRunEmail` records one mail about
one ended run per address (sent, or why not).
"""

from __future__ import annotations

from django.db import models


class PlanEmailNotifications(models.Model):
    """Who is mailed when a run of the plan ends: one row per plan, created on first edit.

    `on_success`, `on_failure` and `on_any` are lists of addresses (anyone, with or without an
    account); `on_any` covers succeeded, failed and canceled runs. Nothing is sent while
    `enabled` is off, and the lists are kept so switching it back on restores them.
    Change it through `notifications.services`, which validates the addresses.
    """

    plan = models.OneToOneField(
        "plans.Plan", on_delete=models.CASCADE, related_name="email_notifications"
    )
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
