"""Signals other parts hook into (the trigger sync removes periodic tasks on plan deletion)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the deleting transaction, before the rows go; kwargs: plan.
plan_deleting = Signal()
