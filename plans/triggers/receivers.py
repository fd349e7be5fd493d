"""Signal receivers of the trigger machinery, connected in `PlansConfig.ready`."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_migrate
from django.dispatch import receiver

from plans.models import Plan, Trigger
from plans.signals import plan_deleting
from plans.triggers import beat
from plans.triggers.services import triggers_skip_missed_slots
from workspace.signals import workspace_settings_changed


@receiver(plan_deleting, dispatch_uid="plans.triggers.remove_periodic_tasks")
def remove_plan_periodic_tasks(sender: Any, plan: Plan, **kwargs: Any) -> None:
    """A deleted plan leaves no periodic task behind (same transaction as the deletion)."""
    names = [t.periodic_task_name for t in plan.triggers.all()]
    beat.remove_periodic_tasks(names)


@receiver(post_migrate, dispatch_uid="plans.triggers.ensure_change_marker")
def ensure_change_marker(sender: Any, **kwargs: Any) -> None:
    """Make sure django-celery-beat's change marker row exists.

    A DatabaseScheduler that started while the row was missing never notices the first change
    (it compares the new timestamp with None and sees no change), so a first trigger created
    after beat started would wait for beat's 5-minute full reload.
    """
    if getattr(sender, "name", None) != "plans":
        return
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTasks

    PeriodicTasks.objects.get_or_create(ident=1, defaults={"last_update": timezone.now()})


@receiver(workspace_settings_changed, dispatch_uid="plans.triggers.skip_slots_missed_while_off")
def skip_slots_missed_while_off(
    sender: Any, before: dict[str, bool], after: dict[str, bool], **kwargs: Any
) -> None:
    """Turning plans back on starts the schedules afresh, as unpausing a plan does: slots that
    passed while plans were off are not caught up (a firing that saw them marked them already;
    this covers slots no firing saw)."""
    if after["plans_enabled"] and not before["plans_enabled"]:
        triggers_skip_missed_slots(Trigger.objects.all())
