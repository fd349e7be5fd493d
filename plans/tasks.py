"""Celery tasks of plans: thin adapters taking ids (autodiscovered by the Celery app)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from plans.triggers import firing


@shared_task(name="plans.fire_trigger", acks_late=True, ignore_result=True)
def fire_trigger(trigger_id: int) -> None:
    """One beat message for a trigger: start the run for its current slot, at most once.

    The run's first job executes in this task (see `firing.fire_trigger`'s
    `run_first_job_here`), so the task lasts as long as that job.
    """
    firing.fire_trigger(trigger_id, run_first_job_here=True)


@shared_task(name="plans.sweep_triggers", ignore_result=True)
def sweep_triggers() -> None:
    """Every minute: fire slots beat missed (see `plans.triggers.sweeper`)."""
    from plans.triggers.sweeper import sweep

    sweep()


# Seconds to wait before each retry of mails that failed (a server restarting, a greylist).
EMAIL_RETRY_DELAYS = (30, 300)


@shared_task(
    name="plans.send_run_emails", bind=True, max_retries=len(EMAIL_RETRY_DELAYS), ignore_result=True
)
def send_run_emails(self: Any, run_id: int) -> None:
    """Mail the recipients of an ended run (see `plans.notifications.sending`).

    Addresses that failed are tried again after each delay of EMAIL_RETRY_DELAYS; after the
    last try they stay recorded as failed (`PlanRunEmail`) and in the worker's log.
    """
    from plans.notifications.sending import send_run_emails as send

    result = send(run_id)
    if result.failed and self.request.retries < len(EMAIL_RETRY_DELAYS):
        raise self.retry(countdown=EMAIL_RETRY_DELAYS[self.request.retries])
