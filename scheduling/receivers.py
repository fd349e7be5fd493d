"""Signal receivers of scheduling, connected in `SchedulingConfig.ready`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from runs.signals import run_finished


@receiver(run_finished, dispatch_uid="scheduling.start_queued")
def start_queued_after_run(sender: Any, run_id: int, **kwargs: Any) -> None:
    """Under the `queue` policy, the slot waiting behind a run starts when that run ends."""
    from runs.models import PlanRun
    from scheduling.firing import start_queued

    plan_id = PlanRun.objects.filter(pk=run_id).values_list("plan_id", flat=True).first()
    if plan_id is not None:
        transaction.on_commit(lambda: start_queued(plan_id))
