"""Turning a run's jobs into a Celery chain, and rebuilding the rest of a chain (the reaper).

The database is the source of truth; the chain is only the transport. `resume` can be called
at any time: it chains the jobs that have not ended, and the jobs' conditional claims make a
second chain over the same jobs harmless.

`start_here` is the chain with its first link run in the calling worker process (a scheduled
run started by the beat message's task): the first job starts without a second broker hop,
and the rest of the chain is sent exactly as the chain would have sent it.
"""

from __future__ import annotations

from celery import chain

from runs.models import Job, JobStatus, PlanRun


def _chain_for(run_id: int, job_ids: list[int]):
    from tasks_engine.tasks import execute_job, finish_run

    return chain(*(execute_job.si(job_id) for job_id in job_ids), finish_run.si(run_id))


def start_here(run: PlanRun) -> None:
    """Execute the run's first job in this process, then send the chain for the rest.

    `run` is the run as just created (its snapshot is not read again). Call it after the run
    is committed, from a Celery task (the job may take as long as its task does). It behaves as the chain's first `execute_job` link: the job's claim makes a
    duplicate harmless, a STOP (another delivery owns the job) ends it here, and an exception
    sends nothing further. If this worker dies mid-job, the job's heartbeat goes stale and the
    reaper fails it and resumes the run (there is no message to redeliver for it).
    """
    from tasks_engine import jobs

    open_jobs = list(
        Job.objects.filter(run=run, status__in=[JobStatus.PENDING, JobStatus.RUNNING]).order_by(
            "position"
        )
    )
    if open_jobs:
        first = open_jobs[0]
        first.run = run
        if jobs.execute(first.pk, job=first) is jobs.Next.STOP:
            return
    _chain_for(run.pk, [job.pk for job in open_jobs[1:]]).apply_async()


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
