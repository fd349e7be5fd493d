"""Celery tasks: thin adapters that take ids and call the engine."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import Ignore

from tasks_engine import jobs


@shared_task(name="tasks_engine.execute_job", acks_late=True, reject_on_worker_lost=True)
def execute_job(job_id: int) -> None:
    """Execute one job (a run's chain link, or a job with no run); a duplicate delivery stops
    its copy of the chain (Ignore skips the link)."""
    if jobs.execute(job_id) is jobs.Next.STOP:
        raise Ignore()


@shared_task(name="tasks_engine.finish_run", acks_late=True, reject_on_worker_lost=True)
def finish_run(run_id: int) -> None:
    """Set the run's final status once its last job has ended."""
    jobs.finish_run(run_id)


@shared_task(name="tasks_engine.reap_runs")
def reap_runs() -> dict[str, int]:
    """Recover stalled runs and end overdue ones (see `tasks_engine.reaper`)."""
    from tasks_engine.reaper import reap

    return reap()
