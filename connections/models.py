"""Credentials: encrypted secrets and the named connections that use them."""

from __future__ import annotations

from django.db import models


class Secret(models.Model):
    """One encrypted value. Rows are never updated in place: replacing a secret makes a new row,
    so a snapshot taken earlier keeps resolving the value it was taken with."""

    ciphertext = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Secret #{self.pk}"


class ConnectionKind(models.TextChoices):
    SLACK = "slack", "Slack"
    S3 = "s3", "Amazon S3 (or compatible)"
    LOCAL = "local", "Local folder"


class Connection(models.Model):
    """Named credentials for Slack or storage. `secrets` maps field name -> Secret id."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=ConnectionKind.choices)
    settings = models.JSONField(default=dict, blank=True)
    secrets = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"
