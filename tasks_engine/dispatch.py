"""Turning a run's jobs into a Celery chain, and rebuilding the rest of a chain (the reaper).

The database is the source of truth; the chain is only the transport. `resume` can be called
at any time: it chains the jobs that have not ended, and the jobs' conditional claims make a
second chain over the same jobs harmless.
"""

from __future__ import annotations

from celery import chain

from runs.models import Job, JobStatus


def _chain_for(run_id: int, job_ids: list[int]):
    from tasks_engine.tasks import execute_job, finish_run

    return chain(*(execute_job.si(job_id) for job_id in job_ids), finish_run.si(run_id))


def enqueue(run_id: int) -> None:
    """Send the chain for every job of the run, in snapshot order, then the finishing step."""
    resume(run_id)


def resume(run_id: int) -> None:
    """Send a chain over the run's jobs that have not ended yet (all of them for a new run)."""
    job_ids = list(
        Job.objects.filter(run_id=run_id, status__in=[JobStatus.PENDING, JobStatus.RUNNING])
        .order_by("position")
        .values_list("pk", flat=True)
    )
    _chain_for(run_id, job_ids).apply_async()
