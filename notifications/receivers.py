"""Signal receivers of plan emails, connected in `NotificationsConfig.ready`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from plans.signals import plan_shared, plan_unshared
from runs.signals import run_finished


@receiver(run_finished, dispatch_uid="notifications.enqueue_run_emails")
def enqueue_run_emails(sender: Any, run_id: int, **kwargs: Any) -> None:
    """Queue the mails about an ended run for the worker, so a slow SMTP server never delays
    the run's own chain (`run_finished` is sent once per run: see `runs.state.run_end`)."""
    from notifications.sending import wants_emails
    from notifications.tasks import send_run_emails
    from runs.models import PlanRun

    plan_id = PlanRun.objects.filter(pk=run_id).values_list("plan_id", flat=True).first()
    if plan_id is not None and wants_emails(plan_id):
        transaction.on_commit(lambda: send_run_emails.delay(run_id))


@receiver(plan_shared, dispatch_uid="notifications.watch_failures_of_shared_plan")
def watch_failures_of_shared_plan(
    sender: Any, plan: Any, new_addresses: list[str], **kwargs: Any
) -> None:
    """New collaborators hear of failed runs by default (seed product); a role change is not new."""
    from notifications.services import plan_notifications_watch_failures

    plan_notifications_watch_failures(plan=plan, addresses=new_addresses)


@receiver(plan_unshared, dispatch_uid="notifications.unsubscribe_unshared_user")
def unsubscribe_unshared_user(sender: Any, plan: Any, user: Any, **kwargs: Any) -> None:
    """Run mails describe the plan; someone who may no longer see it stops getting them."""
    from notifications.services import plan_notifications_unsubscribe

    if user.email:
        plan_notifications_unsubscribe(plan_id=plan.pk, address=user.email)
