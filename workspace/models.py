"""Workspace-wide switches: one row for the whole installation."""

from __future__ import annotations

from typing import Any

from django.db import models

SINGLETON_ID = 1


class WorkspaceSettings(models.Model):
    """The workspace's switches; there is at most one row, with id 1.

    Read it with `workspace.selectors.get_workspace_settings()` (which answers the defaults,
    everything on, while the row does not exist) and change it with
    `workspace.services.workspace_settings_update`.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    plans_enabled = models.BooleanField(
        "Plans",
        default=True,
        help_text="Off: plan pages and the plan, run and job API answer 403, triggers start "
        "no runs (their slots are not caught up later) and manual runs are refused.",
    )
    sharing_enabled = models.BooleanField(
        "Sharing",
        default=True,
        help_text="Off: no new shares can be made and sharing controls are hidden; plans "
        "already shared stay shared.",
    )
    import_export_enabled = models.BooleanField(
        "Import and export",
        default=True,
        help_text="Off: plans cannot be exported or imported.",
    )
    api_tokens_enabled = models.BooleanField(
        "API access tokens",
        default=True,
        help_text="Off: users other than staff cannot create API access tokens (tokens already "
        "made keep working until revoked).",
    )
    plan_emails_enabled = models.BooleanField(
        "Plan email notifications",
        default=True,
        help_text="Off: no plan sends email notifications (each plan keeps its recipients).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "workspace settings"
        verbose_name_plural = "workspace settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=SINGLETON_ID), name="workspace_settings_singleton"
            )
        ]

    def __str__(self) -> str:
        return "Workspace settings"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.id = SINGLETON_ID
        super().save(*args, **kwargs)
