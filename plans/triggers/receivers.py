"""Signal receivers of the trigger machinery, connected in `PlansConfig.ready`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from plans.models import Plan
from plans.signals import plan_deleting
from plans.triggers import beat
from runs.signals import run_finished


@receiver(plan_deleting, dispatch_uid="plans.triggers.remove_periodic_tasks")
def remove_plan_periodic_tasks(sender: Any, plan: Plan, **kwargs: Any) -> None:
    """A deleted plan leaves no periodic task behind (same transaction as the deletion)."""
    names = [t.periodic_task_name for t in plan.triggers.all()]
    beat.remove_periodic_tasks(names)


@receiver(run_finished, dispatch_uid="plans.triggers.start_queued")
def start_queued_after_run(sender: Any, run_id: int, **kwargs: Any) -> None:
    """Under the `queue` policy, the slot waiting behind a run starts when that run ends."""
    from plans.triggers.firing import start_queued
    from runs.models import PlanRun

    plan_id = PlanRun.objects.filter(pk=run_id).values_list("plan_id", flat=True).first()
    if plan_id is not None:
        transaction.on_commit(lambda: start_queued(plan_id))
