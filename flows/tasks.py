"""Celery tasks of flows: thin adapters taking ids."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="flows.run_flow_job", acks_late=True, reject_on_worker_lost=True)
def run_flow_job(job_id: int) -> bool:
    """Execute the ad-hoc flow job `job_id` (see `flows.adhoc`); a duplicate does nothing."""
    from flows.adhoc import execute_adhoc_job

    return execute_adhoc_job(job_id)
