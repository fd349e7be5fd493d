"""Signal receivers of the engine, connected in `TasksEngineConfig.ready`."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from runs.signals import run_queued
from tasks_engine import dispatch


@receiver(run_queued, dispatch_uid="tasks_engine.enqueue_queued_run")
def enqueue_queued_run(sender: Any, run_id: int, **kwargs: Any) -> None:
    """A run's jobs were committed: send its chain to the workers."""
    dispatch.enqueue(run_id)
