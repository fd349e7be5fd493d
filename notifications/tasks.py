"""Celery tasks of notifications: thin adapters taking ids (autodiscovered by the Celery app)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

# Seconds to wait before each retry of mails that failed (a server restarting, a greylist).
EMAIL_RETRY_DELAYS = (30, 300)


@shared_task(
    name="notifications.send_run_emails",
    bind=True,
    max_retries=len(EMAIL_RETRY_DELAYS),
    ignore_result=True,
)
def send_run_emails(self: Any, run_id: int) -> None:
    """Mail the recipients of an ended run (see `notifications.sending`).

    Addresses that failed are tried again after each delay of EMAIL_RETRY_DELAYS; after the
    last try they stay recorded as failed (`PlanRunEmail`) and in the worker's log.
    """
    from notifications.sending import send_run_emails as send

    result = send(run_id)
    if result.failed and self.request.retries < len(EMAIL_RETRY_DELAYS):
        raise self.retry(countdown=EMAIL_RETRY_DELAYS[self.request.retries])
