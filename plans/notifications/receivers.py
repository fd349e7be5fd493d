"""Signal receivers of plan emails, connected in `PlansConfig.ready`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from runs.signals import run_finished


@receiver(run_finished, dispatch_uid="plans.notifications.enqueue_run_emails")
def enqueue_run_emails(sender: Any, run_id: int, **kwargs: Any) -> None:
    """Queue the mails about an ended run for the worker, so a slow SMTP server never delays
    the run's own chain (`run_finished` is sent once per run: see `runs.state.run_end`)."""
    from plans.notifications.sending import wants_emails
    from plans.tasks import send_run_emails
    from runs.models import PlanRun

    plan_id = PlanRun.objects.filter(pk=run_id).values_list("plan_id", flat=True).first()
    if plan_id is not None and wants_emails(plan_id):
        transaction.on_commit(lambda: send_run_emails.delay(run_id))
